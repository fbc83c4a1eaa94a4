"""Server addresses as people type them: `host`, `host:port`, `[IPv6]:port`, or a bare IPv6.

Pure string handling, so the command line and the status bar agree on one
spelling: an IPv6 address is always printed in brackets before its port.
"""

from __future__ import annotations

import ipaddress


class AddressError(ValueError):
    """The text is not a host or host:port; the message says what is wrong."""


def split_address(text: str) -> tuple[str, int | None]:
    """(host, port or None) from `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 like `::1`."""
    text = text.strip()
    if not text:
        raise AddressError("the server address is empty")
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or not host:
            raise AddressError(f"{text!r}: an IPv6 address in brackets needs its closing ']'")
        if rest and not rest.startswith(":"):
            raise AddressError(f"{text!r}: after ']' only ':port' may follow")
        _check_ipv6(host, text)
        return host, _port(rest[1:], text) if rest else None
    if text.count(":") > 1:  # a bare IPv6 address: every colon belongs to it
        _check_ipv6(text, text)
        return text, None
    host, colon, port = text.partition(":")
    if not host:
        raise AddressError(f"{text!r}: the host is missing before ':'")
    return host, _port(port, text) if colon else None


def format_address(host: str, port: int) -> str:
    """`host:port`, with an IPv6 host in brackets: `[::1]:25565`."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise AddressError(f"{whole!r}: the port must be a number from 1 to 65535")
    return int(text)


def _check_ipv6(host: str, whole: str) -> None:
    try:
        ipaddress.IPv6Address(host.split("%", 1)[0])  # a zone like fe80::1%eth0 is allowed
    except ValueError:
        raise AddressError(f"{whole!r} is not an IPv6 address (write [address]:port)") from None
