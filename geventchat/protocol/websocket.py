"""IRC lines as WebSocket messages (RFC 6455 framing, the IRCv3 WebSocket subprotocols).

One IRC line is one WebSocket message, without its CRLF. A frame the server
sends is not masked, so a line framed once is the same bytes for every
recipient: the outbox frames a relayed line once per view, like its tags.
Reading a client's frames is wsproto's job (transports/websocket.py); this
module only writes them.
"""

from __future__ import annotations

import struct

TEXT_SUBPROTOCOL = "text.ircv3.net"
BINARY_SUBPROTOCOL = "binary.ircv3.net"
SUBPROTOCOLS = (BINARY_SUBPROTOCOL, TEXT_SUBPROTOCOL)

OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
OPCODE_CLOSE = 0x8
FIN = 0x80

FRAME_OVERHEAD = 4
"""Header bytes of a server frame holding one line (payload up to 65535 bytes: a line with tags is under 8,700)."""

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001

_SHORT = struct.Struct("!BB")
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")


def frame(payload: bytes, opcode: int = OPCODE_TEXT) -> bytes:
    """One final, unmasked frame (server to client) holding `payload`."""
    size = len(payload)
    first = FIN | opcode
    if size < 126:
        return _SHORT.pack(first, size) + payload
    if size < 65536:
        return _MEDIUM.pack(first, 126, size) + payload
    return _LONG.pack(first, 127, size) + payload


def frame_line(line: bytes, opcode: int = OPCODE_TEXT) -> bytes:
    """A CRLF-ended IRC line as one WebSocket message: the spec forbids the trailing CR and LF."""
    return frame(line[:-2] if line[-2:] == b"\r\n" else line.rstrip(b"\r\n"), opcode)


def close_frame(code: int = CLOSE_NORMAL, reason: str = "") -> bytes:
    """A close frame: the status code, and a reason cut to fit a control frame (125 bytes)."""
    text = reason.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")
    return frame(struct.pack("!H", code) + text, OPCODE_CLOSE)


def choose_subprotocol(offered: list[str]) -> str | None:
    """The first of the client's subprotocols (its order of preference) that IRC over WebSocket defines."""
    for name in offered:
        if name.strip().lower() in SUBPROTOCOLS:
            return name.strip().lower()
    return None
