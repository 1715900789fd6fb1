"""HDR sources (PQ or HLG, as phones record by default) tone-mapped to SDR BT.709 for every rung and the poster.

An HDR picture converted to 8 bits without tone mapping plays washed out and grey on every screen:
the rungs are H.264 High (8-bit), which browsers only show as SDR. The mapping goes to linear light,
to BT.709 primaries, then `mobius`, which keeps in-range values (most of a phone video) and rolls
highlights off smoothly; on the test pattern it keeps 78-80% of the SDR original's saturation
where a plain conversion keeps 21% (PQ) or 35% (HLG) (tests/modules/processor/test_colour.py).
It costs: a 1080p HDR ladder takes 2x the time of the same file unmapped (benchmarks/ladder_hdr.py).
"""

from __future__ import annotations

HDR_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})
"""ffprobe's names for PQ (HDR10, Dolby Vision base layers) and HLG (phones, broadcast)."""

# ffprobe's colour names -> zscale's, for the source side; HDR video is BT.2020 unless it says otherwise.
_MATRIX = {"bt2020nc": "2020_ncl", "bt2020c": "2020_cl", "bt709": "709"}
_PRIMARIES = {"bt2020": "2020", "bt709": "709"}

SDR_TAGS = ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]
"""Output tags once mapped, so players do not guess."""


def is_hdr(transfer: str | None) -> bool:
    return transfer in HDR_TRANSFERS


def to_sdr(transfer: str | None, primaries: str | None = None, matrix: str | None = None,
           full_range: bool = False) -> list[str]:
    """Filters mapping an HDR picture to 8-bit SDR BT.709 (none for SDR sources).

    The source's colour is spelt out rather than read from the frames: files often tag the
    transfer but leave primaries or matrix unset, and zscale then finds no conversion path.
    """
    if not is_hdr(transfer):
        return []
    source = (f"tin={transfer}:min={_MATRIX.get(matrix or '', '2020_ncl')}"
              f":pin={_PRIMARIES.get(primaries or '', '2020')}:rin={'full' if full_range else 'limited'}")
    return [
        # To linear light with BT.709 primaries in one step; npl=100 puts SDR reference white at 1.0.
        f"zscale={source}:t=linear:p=709:npl=100",
        "format=gbrpf32le",
        # desat=0: highlights keep their colour, and the mapping costs a third less than the default.
        "tonemap=tonemap=mobius:desat=0",
        "zscale=t=709:m=709:r=limited",
        "format=yuv420p",
    ]
