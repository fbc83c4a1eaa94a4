"""SASL as IRC carries it: AUTHENTICATE chunks in, a mechanism's message out; PLAIN and EXTERNAL.

A client sends base64 in AUTHENTICATE lines of at most 400 bytes; a chunk of
exactly 400 means more follows (`+` when nothing does). This module gathers
the chunks and reads the mechanisms' messages, and knows nothing of accounts.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from ..protocol.names import casefold

CHUNK = 400
"""IRCv3 SASL 3.1: "the client MUST split it into chunks of 400 bytes" (a chunk of 400 means more comes)."""

MECHANISMS = ("PLAIN", "EXTERNAL")
"""Offered in this order, in the `sasl` capability's value and in 908."""

MORE = object()
"""feed(): the exchange wants another chunk."""


class TooLong(Exception):
    """A chunk past 400 bytes, or an exchange past its limit: 905."""


@dataclass(slots=True)
class Exchange:
    """One SASL exchange in progress: the mechanism, and the base64 gathered so far."""

    mechanism: str
    data: bytearray = field(default_factory=bytearray)


def feed(exchange: Exchange, chunk: str, limit: int) -> object:
    """Add one AUTHENTICATE parameter; MORE, or the whole message decoded (None if it is not base64).

    Raises TooLong for a chunk over 400 bytes or a message over `limit` bytes.
    """
    raw = chunk.encode()
    if len(raw) > CHUNK:
        raise TooLong
    if raw != b"+":
        exchange.data += raw
        if len(exchange.data) > limit:
            raise TooLong
        if len(raw) == CHUNK:
            return MORE
    try:
        return base64.b64decode(bytes(exchange.data), validate=True)
    except (binascii.Error, ValueError):
        return None


def plain(message: bytes) -> tuple[str, str] | None:
    """PLAIN (RFC 4616): `authzid NUL authcid NUL password` -> (account, password), or None.

    An authorization identity other than the account itself is refused.
    """
    parts = message.split(b"\0")
    if len(parts) != 3:
        return None
    try:
        authzid, authcid, password = (part.decode("utf-8") for part in parts)
    except UnicodeDecodeError:
        return None
    if not authcid or not password or (authzid and casefold(authzid) != casefold(authcid)):
        return None
    return authcid, password


def external(message: bytes) -> str | None:
    """EXTERNAL (RFC 4422 appendix A): an optional authorization identity; "" for none, None if unreadable."""
    try:
        return message.decode("utf-8")
    except UnicodeDecodeError:
        return None


def encode(*parts: str) -> list[str]:
    """A message as the AUTHENTICATE parameters a client sends (tests, the curses client): 400-byte chunks."""
    text = base64.b64encode("\0".join(parts).encode()).decode()
    chunks = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or ["+"]
    if len(chunks[-1]) == CHUNK:
        chunks.append("+")
    return chunks
