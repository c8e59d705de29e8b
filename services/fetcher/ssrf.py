"""SSRF guard: a link whose host resolves to a loopback, private, link-local, metadata or otherwise
non-public address is not fetched unless the feed has ``allow_private: true``.

Every address the name resolves to is checked (an attacker's DNS can mix a public and a private
answer). The check runs before each request and each redirect hop, and again when the connection
is made (``aiohttp_transport.GuardedResolver``), so a DNS answer that changes between the two
(rebinding) is refused too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata endpoints, named so the log line says what was hit.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("169.254.170.2"),
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),
}


class SsrfBlocked(Exception):
    """The URL points at an address the feed may not reach."""

    result = "ssrf_blocked"


def address_problem(address: IpAddress) -> str | None:
    """Why an address is not public (``None`` when it is a global unicast address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in _METADATA:
        return "cloud metadata address"
    if address.is_loopback:
        return "loopback address"
    if address.is_link_local:
        return "link-local address"
    if address.is_private:
        return "private address"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "reserved address"
    if not address.is_global:
        return "non-global address"
    return None


def parse_address(text: str) -> IpAddress:
    """An address as the resolver gives it (an IPv6 zone suffix ``%eth0`` is dropped)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


async def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check_url(url: str, *, allow_private: bool) -> None:
    """Raise ``SsrfBlocked`` if the URL is not http(s) or its host is not a public address.

    A name that does not resolve is left to the HTTP client (it fails with a connect error).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise SsrfBlocked(f"scheme {parts.scheme!r} is not allowed")
    host = (parts.hostname or "").strip("[]")
    if not host:
        raise SsrfBlocked("URL has no host")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise SsrfBlocked(f"bad port: {exc}") from exc
    try:
        addresses = await resolve(host, port)
    except OSError:
        return
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise SsrfBlocked(f"{host} resolves to {address} ({problem})")
