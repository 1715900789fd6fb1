"""Who may frame a video's embed page: the owner's list of origins, checked once here and enforced with CSP.

Gallery validates what an owner sends (`clean_embed_origins`); the web module turns the stored list into the embed
page's `frame-ancestors` (`frame_ancestors`). A stored list is always clean, so the web module never re-parses it.

An origin is `https://host[:port]`, nothing more: a path, query, user name or wildcard would be a CSP source that
means something else (or ends the directive). Plain `http://` is allowed for loopback hosts only, as browsers
treat those as secure contexts (local development, the browser tests).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from videoforge.errors import Refusal

MAX_EMBED_ORIGINS = 20
"""Most origins one video lists: each one goes into the embed page's CSP header, which proxies cap in size."""
MAX_ORIGIN_LENGTH = 300
ANYWHERE = "*"
FIELD = "embed_origins"

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_LOOPBACK_NAMES = ("localhost",)


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host(name: str) -> str | None:
    """The host in the form a CSP source names it (IDN as punycode, IPv6 in brackets), None when it is not one."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        if getattr(address, "scope_id", None) is not None:
            # A zone (`[fe80::1%eth0]`) names an interface of the owner's machine, no site; and its text is
            # anything at all (non-Latin-1, control characters), which would reach the CSP header as it is.
            return None
        return f"[{address.compressed}]" if address.version == 6 else address.compressed
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 1 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return ascii_name


def clean_origin(text: str) -> str:
    """`scheme://host[:port]` normalised (lower case, default port dropped), or a 422 naming what is wrong."""
    value = (text or "").strip()
    if len(value) > MAX_ORIGIN_LENGTH or any(c.isspace() or c in ";,'\"*" for c in value):
        raise Refusal.field(422, FIELD, f"{value[:80]!r} is not an origin such as https://blog.example.com.")
    if value.endswith("/") and value.count("/") == 3:
        value = value[:-1]  # "https://blog.example/" as people paste it: the same origin
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise Refusal.field(422, FIELD, f"{value[:80]!r} is not an origin such as https://blog.example.com.") from None
    host = _host(parts.hostname or "")
    # Port 0 is no port: dropping it as if it were the default would allow a site the owner never listed.
    if (parts.path or parts.query or parts.fragment or parts.username is not None or parts.password is not None
            or "@" in parts.netloc or host is None or port == 0):
        raise Refusal.field(422, FIELD, f"{value[:80]!r} is not an origin: give only scheme, host and port, "
                                        "such as https://blog.example.com.")
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and _loopback(host.strip("[]"))):
        raise Refusal.field(422, FIELD, f"{value[:80]!r}: embedding sites must use https:// "
                                        "(http:// only for localhost).")
    default = {"https": 443, "http": 80}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def clean_embed_origins(values: Sequence[str] | None) -> list[str] | None:
    """The origins an owner allows, deduplicated in their order; None (any site) stays None, [] means none."""
    if values is None:
        return None
    if len(values) > MAX_EMBED_ORIGINS:
        raise Refusal.field(422, FIELD, f"At most {MAX_EMBED_ORIGINS} sites may embed a video "
                                        f"(this list has {len(values)}).")
    return list(dict.fromkeys(clean_origin(value) for value in values))


def frame_ancestors(embed_origins: Sequence[str] | None) -> list[str]:
    """The embed page's CSP `frame-ancestors` sources: any site by default, the owner's list when set."""
    if embed_origins is None:
        return [ANYWHERE]
    return list(embed_origins) or ["'none'"]
