"""The Transport interface, and the plain TCP one: lines separated by CRLF on a socket."""

from __future__ import annotations

import socket
from typing import Protocol

from ..core.session import TransportInfo
from ..protocol.framing import LineBuffer, TooLong


class HandshakeFailed(Exception):
    """The connection never became one a client can talk over (a bad TLS hello, a bad HTTP upgrade)."""


class PeerError(ConnectionError):
    """The peer broke its transport's own protocol (a bad WebSocket frame): the text is the quit reason."""


class Transport(Protocol):
    info: TransportInfo
    wants_write: bool  # bytes of the transport's own (TLS records) wait to be sent

    def start(self) -> None:
        """Finish the transport's handshake; blocks the reader greenlet; raises HandshakeFailed or OSError."""

    def read(self) -> list[bytes | TooLong] | None:
        """The lines that arrived (blocks until some bytes do); None once the peer has closed."""

    def wire(self, data: bytes) -> bytes:
        """Queued items (lines ending in CRLF, or what the session framed them into) -> socket bytes. Never blocks."""

    def farewell(self) -> bytes:
        """What goes after the last line, before the close (a WebSocket close frame); b"" for nothing."""


class Stream(Protocol):
    """The bytes under a message transport: the socket as it is, or TLS on it."""

    wants_write: bool

    def start(self) -> None: ...
    def recv(self) -> bytes | None: ...  # b"" when what arrived held no data yet; None once closed
    def seal(self, data: bytes) -> bytes: ...  # plaintext -> socket bytes, never blocking
    def sendall(self, data: bytes) -> None: ...  # blocking: before the connection has a queue


class SocketStream:
    """The socket itself: what is sent is what the peer reads."""

    __slots__ = ("sock", "recv_size", "wants_write")

    def __init__(self, sock: socket.socket, recv_size: int) -> None:
        self.sock = sock
        self.recv_size = recv_size
        self.wants_write = False

    def start(self) -> None:
        pass

    def recv(self) -> bytes | None:
        return self.sock.recv(self.recv_size) or None

    def seal(self, data: bytes) -> bytes:
        return data

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)


class TcpTransport:
    """IRC as RFC 1459 has it: a byte stream of CRLF-ended lines."""

    __slots__ = ("sock", "recv_size", "info", "wants_write", "_lines")

    def __init__(self, sock: socket.socket, recv_size: int, ip: str) -> None:
        self.sock = sock
        self.recv_size = recv_size
        self.info = TransportInfo("tcp", secure=False, ip=ip)
        self.wants_write = False
        self._lines = LineBuffer()

    def start(self) -> None:
        pass

    def read(self) -> list[bytes | TooLong] | None:
        data = self.sock.recv(self.recv_size)
        if not data:
            return None
        return self._lines.feed(data)

    def wire(self, data: bytes) -> bytes:
        return data

    def farewell(self) -> bytes:
        return b""
