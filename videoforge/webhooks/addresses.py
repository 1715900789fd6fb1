"""Where a webhook may go (no SSRF): an https URL whose host resolves to public addresses only.

Checked when an endpoint is registered and again at every delivery, which connects to the very address it checked
(delivery.py), so a name that resolves elsewhere later (DNS rebinding) is refused then, not followed. Every address
the name resolves to must pass: one private address among public ones is refused too. IPv6 forms that carry an IPv4
address (mapped, NAT64, 6to4) are judged by that address.

With WEBHOOK_ALLOW_LOOPBACK (development) an endpoint may also be on loopback, over http or https: a receiver on
this machine. Private, link-local and every other non-public range stay refused.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048
"""Longest endpoint URL."""
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
"""The well-known NAT64 prefix: DNS64 hands these out for IPv4-only hosts, and the gateway reaches the IPv4 inside."""
NOT_PUBLIC = "its host resolves to a private, loopback, link-local or otherwise non-public address"
"""Why an address is refused; the address itself is not said (it would map a private network for the caller)."""


class TargetRefused(Exception):
    """A URL no webhook may be sent to, and why (a sentence its owner can act on)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A webhook URL taken apart: what to connect to, and what to ask for."""

    scheme: str
    host: str
    """The name (or IP literal, without brackets) as written, lower-cased: the Host header and TLS name."""
    port: int
    path: str
    """Path and query, as sent in the request line."""


def parse_target(url: str, allow_loopback: bool) -> Target:
    """The URL's parts, or TargetRefused for what no endpoint may be: not https (http only with loopback
    allowed), credentials or a fragment in it, no host, a bad port."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise TargetRefused("the URL holds spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("the URL is not well formed (check the host and port)") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if allow_loopback else ("https",)
    if scheme not in allowed:
        raise TargetRefused("the URL must start with https://"
                            + (" (or http:// on loopback)" if allow_loopback else ""))
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL must not hold a user name or password; authenticate with the signature")
    if parts.fragment:
        raise TargetRefused("the URL must not have a #fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("the URL has no host")
    try:
        host.encode("idna")
    except UnicodeError:
        raise TargetRefused("the URL's host is not a valid name") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), path=path)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, NAT64, 6to4), or None."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not private, loopback, link-local, multicast, reserved, unspecified, shared
    (100.64/10), documentation or any other special range."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public(inner)
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified
                                      or address.is_loopback or address.is_link_local or address.is_private)


def is_allowed(address: IPAddress, allow_loopback: bool) -> bool:
    """Public, or loopback when allowed (development)."""
    if allow_loopback and (address.is_loopback or (embedded_ipv4(address) or address).is_loopback):
        return True
    return is_public(address)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal is itself), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise TargetRefused(f"its host does not resolve ({exc.__class__.__name__})") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # a scope id (%eth0) is not the address
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefused("its host does not resolve")
    return addresses


def check_target(url: str, allow_loopback: bool) -> tuple[Target, IPAddress]:
    """The URL's target and the address to connect to, once every address its host resolves to is allowed."""
    target = parse_target(url, allow_loopback)
    addresses = resolve(target.host, target.port)
    if not all(is_allowed(address, allow_loopback) for address in addresses):
        raise TargetRefused(NOT_PUBLIC)
    if target.scheme == "http" and not all((embedded_ipv4(a) or a).is_loopback for a in addresses):
        raise TargetRefused("an http:// URL must be on loopback; use https://")
    return target, addresses[0]
