"""The WebSocket opening handshake (RFC 6455 4.2), decided from a parsed request: plain data, no I/O.

h11 has parsed the request; this module says whether it asks for a
WebSocket, and if so what to answer: 101 with the accept token and the
IRC subprotocol the client prefers, or a refusal with its status. No
extension is accepted (permessage-deflate would compress each line once per
recipient, where today a line is framed once per view).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from wsproto.utilities import generate_accept_token

from ..protocol.websocket import BINARY_SUBPROTOCOL, choose_subprotocol

WEBSOCKET_VERSION = b"13"


@dataclass(frozen=True)
class Upgrade:
    """Accept: the 101 response's headers, and how lines are framed."""

    headers: tuple[tuple[bytes, bytes], ...]
    subprotocol: str | None

    @property
    def binary(self) -> bool:
        return self.subprotocol == BINARY_SUBPROTOCOL


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    headers: tuple[tuple[bytes, bytes], ...] = ()


def header_values(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    """Every comma-separated value of a header (h11 gives names lower-cased), stripped."""
    values: list[str] = []
    for key, value in headers:
        if key == name:
            values.extend(part.strip() for part in value.decode("latin-1").split(","))
    return [value for value in values if value]


def header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    """A header that is given once; repeated ones joined with commas (as HTTP allows)."""
    found = [value.decode("latin-1").strip() for key, value in headers if key == name]
    return ", ".join(found) if found else None


def wants_websocket(headers: list[tuple[bytes, bytes]]) -> bool:
    """`Upgrade: websocket`: the request asks for a WebSocket (other upgrades are ignored)."""
    return any(value.lower() == "websocket" for value in header_values(headers, b"upgrade"))


def answer(method: bytes, headers: list[tuple[bytes, bytes]]) -> Upgrade | Refusal:
    """What to answer a request that asks for a WebSocket."""
    if method != b"GET":
        return Refusal(405, "a WebSocket is opened with GET", ((b"allow", b"GET, HEAD"),))
    if not any(value.lower() == "upgrade" for value in header_values(headers, b"connection")):
        return Refusal(400, "a WebSocket upgrade needs 'Connection: Upgrade'")
    versions = header_values(headers, b"sec-websocket-version")
    if versions != [WEBSOCKET_VERSION.decode()]:
        return Refusal(426, "WebSocket version 13 only", ((b"sec-websocket-version", WEBSOCKET_VERSION),))
    key = header(headers, b"sec-websocket-key")
    try:
        valid = key is not None and len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        return Refusal(400, "a WebSocket upgrade needs a Sec-WebSocket-Key of 16 bytes in base64")
    subprotocol = choose_subprotocol(header_values(headers, b"sec-websocket-protocol"))
    response = [(b"upgrade", b"websocket"), (b"connection", b"Upgrade"),
                (b"sec-websocket-accept", generate_accept_token(key.encode()))]
    if subprotocol is not None:
        response.append((b"sec-websocket-protocol", subprotocol.encode()))
    return Upgrade(tuple(response), subprotocol)
