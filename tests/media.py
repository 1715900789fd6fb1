"""Small test clips made on the spot with ffmpeg's lavfi sources, plus ffprobe helpers to check outputs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def make_clip(
    path: Path,
    width: int = 320,
    height: int = 180,
    seconds: float = 3.0,
    fps: float = 30,
    audio: bool = True,
    rotate: int | None = None,
    black_lead: float = 0.0,
    pix_fmt: str = "yuv420p",
    audio_channels: int = 1,
    audio_kbps: int = 64,
) -> Path:
    """An H.264/AAC MP4 of moving test pattern (and a tone), encoded as fast as x264 goes.

    `rotate` stores a display-matrix rotation (clockwise degrees) without touching the pixels,
    as phones do. `black_lead` starts the clip with that many seconds of black, as many uploads do.
    Odd sizes need a pixel format without chroma subsampling, such as yuv444p.
    """
    video = f"testsrc2=s={width}x{height}:r={fps}:d={seconds},format={pix_fmt}"
    if black_lead:
        video += f",drawbox=c=black:t=fill:enable='lt(t,{black_lead})'"
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", video]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:d={seconds}"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pix_fmt, "-g", str(int(fps))]
    if audio:
        cmd += ["-c:a", "aac", "-b:a", f"{audio_kbps}k", "-ac", str(audio_channels)]
    encoded = path.with_suffix(".plain.mp4") if rotate is not None else path
    cmd += ["-shortest", str(encoded)]
    subprocess.run(cmd, check=True)
    if rotate is not None:
        # Remuxing with a rotate tag makes ffmpeg 5.1's MP4 muxer write the track's display matrix.
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(encoded), "-c", "copy",
             "-metadata:s:v:0", f"rotate={rotate}", str(path)],
            check=True,
        )
        encoded.unlink()
    return path


def make_hdr_clip(path: Path, width: int = 320, height: int = 180, seconds: float = 2.0,
                  transfer: str = "smpte2084") -> Path:
    """The test pattern as 10-bit HDR (PQ by default, or HLG: arib-std-b67) in BT.2020, tagged as phones tag it."""
    to_hdr = (f"zscale=tin=bt709:pin=bt709:min=bt709:rin=tv:t={transfer}:p=bt2020:m=bt2020nc:r=tv:npl=100,"
              "format=yuv420p10le")
    subprocess.run([
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r=30:d={seconds}",
        "-vf", to_hdr, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
        "-color_primaries", "bt2020", "-color_trc", transfer, "-colorspace", "bt2020nc", str(path),
    ], check=True)
    return path


def saturation(path: Path, filters: str = "") -> float:
    """Mean chroma saturation (signalstats SATAVG) over a picture or a video's frames, after `filters`."""
    graph = f"movie={path}" + (f",{filters}" if filters else "") + ",signalstats"
    report = ffprobe(Path(graph), "-f", "lavfi", "-show_entries", "frame_tags=lavfi.signalstats.SATAVG")
    values = [float(f["tags"]["lavfi.signalstats.SATAVG"]) for f in report["frames"]]
    return sum(values) / len(values)


def make_audio_only(path: Path, seconds: float = 2.0) -> Path:
    """An M4A with a tone and no picture."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=d={seconds}", "-c:a", "aac", str(path)],
        check=True,
    )
    return path


def make_empty_video(path: Path) -> Path:
    """An MP4 that declares a video track but holds no frames: zero duration."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=1",
         "-frames:v", "0", "-c:v", "libx264", str(path)],
        check=True,
    )
    return path


def make_text_file(path: Path) -> Path:
    """A text file that only pretends to be a video by its name."""
    path.write_text("This is a shopping list, not a video.\n" * 20)
    return path


def make_truncated(source: Path, path: Path, keep: float = 0.5) -> Path:
    """The first part of an MP4, as a failed upload leaves it (its index, at the end, is gone)."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def ffprobe(path: Path, *args: str) -> dict:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", *args, str(path)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(done.stdout)


def video_stream(path: Path) -> dict:
    """The first video stream of a file (or HLS playlist) as ffprobe reports it."""
    report = ffprobe(path, "-show_streams", "-select_streams", "v:0")
    return report["streams"][0]


def keyframe_times(path: Path) -> list[float]:
    """Presentation times of the keyframes in a file or HLS playlist."""
    report = ffprobe(path, "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags")
    return [round(float(p["pts_time"]), 3) for p in report["packets"] if "K" in p.get("flags", "")]


def mean_luma(image: Path) -> float:
    """Average Y (0-255) of a picture: near 16 for black video, far above for a real frame."""
    report = ffprobe(
        Path(f"movie={image},signalstats"), "-f", "lavfi",
        "-show_entries", "frame_tags=lavfi.signalstats.YAVG",
    )
    return float(report["frames"][0]["tags"]["lavfi.signalstats.YAVG"])



SPOKEN_PARTS = ("the quick brown fox jumps over the lazy dog",
                "a journey of a thousand miles begins with a single step",
                "we watched the video together and then we went home to sleep")
"""What make_speech_clip says by default: three sentences, each after a pause (about 16 s with flite's slt)."""


def make_speech(path: Path, text: str, voice: str = "slt") -> Path:
    """`text` read aloud by ffmpeg's flite filter, as a 16 kHz mono WAV (no other dependency)."""
    # flite's text option ends at a colon or quote; the tests' texts have neither.
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"flite=text='{text}':voice={voice}",
                    "-ar", "16000", "-ac", "1", str(path)], check=True)
    return path


def make_speech_clip(path: Path, parts: tuple[str, ...] = SPOKEN_PARTS, width: int = 320, height: int = 180,
                     lead: float = 1.0, gap: float = 1.5) -> list[float]:
    """An H.264/AAC MP4 at `path`: test pattern with `parts` spoken over it, the first `lead` seconds in, each next
    one after `gap` seconds of silence, then a second of pattern. Returns when each part starts in the clip."""
    starts, pieces, at = [], [], lead
    for number, text in enumerate(parts):
        wav = make_speech(path.with_suffix(f".part{number}.wav"), text)
        starts.append(at)
        pieces.append(wav)
        at += float(ffprobe(wav, "-show_format")["format"]["duration"]) + gap
    inputs = [arg for wav in pieces for arg in ("-i", str(wav))]
    delays = "".join(f"[{n}:a]adelay={int(start * 1000)}[d{n}];" for n, start in enumerate(starts))
    mix = "".join(f"[d{n}]" for n in range(len(pieces)))
    subprocess.run([
        "ffmpeg", "-v", "error", "-y", *inputs, "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r=25",
        "-filter_complex", f"{delays}{mix}amix=inputs={len(pieces)}:normalize=0,apad=pad_dur=1[a]",
        "-map", f"{len(pieces)}:v", "-map", "[a]", "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac", "-b:a", "64k", "-ar", "48000", str(path)], check=True)
    for wav in pieces:
        wav.unlink()
    return starts


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / words in `reference`, over lower-case words without punctuation:
    the usual measure of a transcript (0 is perfect; above 1 is possible with many insertions)."""
    ref, hyp = _plain_words(reference), _plain_words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        current = [i]
        for j, guess in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != guess)))
        previous = current
    return previous[-1] / max(1, len(ref))


def _plain_words(text: str) -> list[str]:
    import re

    return re.findall(r"[a-z0-9']+", text.lower())
