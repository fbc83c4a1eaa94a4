"""Who may open a WebSocket, and who a request really comes from: plain functions, no I/O.

A browser sends `Origin` with every WebSocket handshake, and a page from
another site must not be able to drive its visitor's browser into the chat;
a client that sends no `Origin` is not a browser, and nothing is gained by
refusing it. Behind a reverse proxy every connection comes from the proxy:
the client's own address is the last one the proxy chain added to
`X-Forwarded-For`, believed only when the peer is a proxy we were told to trust.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def origin_allowed(origin: str | None, host: str | None, allowed: Iterable[str]) -> bool:
    """No Origin (not a browser), the page's own origin, or one of `allowed` (`*`: any).

    The page's own origin is the one whose host and port are the request's
    `Host`: the page at http://chat.example.org:8080/ opens its WebSocket
    with that Host and that Origin.
    """
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    allowed = tuple(allowed)
    if "*" in allowed or origin in allowed:
        return True
    scheme, sep, authority = origin.partition("://")
    if not sep or scheme not in ("http", "https") or host is None:
        return False
    return _without_default_port(authority, scheme) == _without_default_port(host.strip().lower(), scheme)


def _without_default_port(host: str, scheme: str) -> str:
    default = ":443" if scheme == "https" else ":80"
    return host[: -len(default)] if host.endswith(default) else host


def is_trusted(ip: str, trusted: tuple[Network, ...]) -> bool:
    address = _address(ip)
    return address is not None and any(address in network for network in trusted)


def client_address(peer: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str | None:
    """The client's address: the peer's, or behind trusted proxies the last untrusted hop they name.

    None when a trusted proxy names something that is not an address.
    """
    if not forwarded_for or not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _address(_strip_port(hop))
        if address is None:
            return None
        client = str(address)
        if not any(address in network for network in trusted):
            break
    return client


def _strip_port(hop: str) -> str:
    """`[2001:db8::1]:443` -> `2001:db8::1`, `192.0.2.1:443` -> `192.0.2.1`; a bare address as it is."""
    if hop.startswith("["):
        return hop[1:].partition("]")[0]
    if hop.count(":") == 1:
        return hop.partition(":")[0]
    return hop


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
