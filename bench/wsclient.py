"""The load generator's side of IRC over WebSocket: the upgrade, masked client frames, server frames read back.

The generator's clients speak raw bytes on non-blocking sockets, so the
client half of RFC 6455 is written out here rather than borrowed from a
library with its own I/O: one GET with `Upgrade: websocket` naming the
IRCv3 text subprotocol, then every IRC line a client sends as one masked
text frame (no CRLF), and the server's unmasked frames turned back into
lines, so the rest of the generator counts them as it counts TCP lines.
"""

from __future__ import annotations

import base64
import os
import random
import struct

SUBPROTOCOL = b"text.ircv3.net"
OPCODE_TEXT, OPCODE_BINARY = 0x1, 0x2
_MASKED_SHORT = struct.Struct("!BB4s")
_MASKED_MEDIUM = struct.Struct("!BBH4s")
_getrandbits = random.getrandbits


def upgrade_request(host: str, port: int) -> bytes:
    """The opening handshake a browser would send, without Origin (not a browser page)."""
    key = base64.b64encode(os.urandom(16))
    return (b"GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n"
            % (host.encode(), port, key, SUBPROTOCOL))


def upgrade_answer(data: bytes) -> tuple[bool | None, bytes]:
    """(True: 101, False: refused, None: the head is not all here yet; the bytes after the head)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None, data
    status = data[:data.find(b"\r\n")].split(b" ", 2)
    return len(status) > 1 and status[1] == b"101", data[end + 4:]


def _mask(payload: bytes, key: int) -> bytes:
    size = len(payload)
    if not size:
        return payload
    repeated = key.to_bytes(4, "big") * (size // 4 + 1)
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated[:size], "big")).to_bytes(size, "big")


def frame_lines(data: bytes) -> bytes:
    """CRLF-ended IRC lines -> one masked text frame each (a client must mask, RFC 6455 5.3)."""
    frames = []
    for line in data.split(b"\r\n"):
        if not line:
            continue
        key = _getrandbits(32)
        size = len(line)
        if size < 126:
            head = _MASKED_SHORT.pack(0x80 | OPCODE_TEXT, 0x80 | size, key.to_bytes(4, "big"))
        elif size < 65536:
            head = _MASKED_MEDIUM.pack(0x80 | OPCODE_TEXT, 0x80 | 126, size, key.to_bytes(4, "big"))
        else:
            raise ValueError("an IRC line is far shorter than 64 KiB")
        frames.append(head + _mask(line, key))
    return b"".join(frames)


def whole(data: bytes) -> int:
    """Where the last whole frame in `data` ends: the bytes before it can be counted in, the rest waits.

    Phase lines are counted by their marker in the raw bytes, headers and
    all (a header's first byte is never ASCII, so it cannot be part of a
    marker), which saves cutting every frame out; only this walk is paid.
    """
    at, size = 0, len(data)
    while size - at >= 2:
        length = data[at + 1] & 0x7F
        if length < 126:
            end = at + 2 + length
        elif length == 126:
            if size - at < 4:
                break
            end = at + 4 + ((data[at + 2] << 8) | data[at + 3])
        else:
            if size - at < 10:
                break
            end = at + 10 + int.from_bytes(data[at + 2:at + 10], "big")
        if end > size:
            break
        at = end
    return at


def read_frames(data: bytes) -> tuple[list[bytes], bytes]:
    """Server frames (never masked) -> the payloads of the text and binary ones, and the unfinished rest.

    Control frames are skipped: the server sends none unasked but the close
    that comes just before its TCP close, which the reader sees anyway.
    """
    lines: list[bytes] = []
    at, size = 0, len(data)
    while size - at >= 2:
        length = data[at + 1] & 0x7F
        start = at + 2
        if length == 126:
            if size - at < 4:
                break
            length = (data[at + 2] << 8) | data[at + 3]
            start = at + 4
        elif length == 127:
            if size - at < 10:
                break
            length = int.from_bytes(data[at + 2:at + 10], "big")
            start = at + 10
        end = start + length
        if end > size:
            break
        if data[at] & 0x0F in (OPCODE_TEXT, OPCODE_BINARY):
            lines.append(data[start:end])
        at = end
    return lines, data[at:]
