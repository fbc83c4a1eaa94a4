"""A non-blocking IRC connection: bytes in -> Messages, Messages -> bytes out.

Never waits: connect, recv and send all return at once, and the caller's
select loop says when to call again. Lines are framed and parsed by
geventchat.protocol, the same code the server uses.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass, field

from geventchat.protocol.framing import TOO_LONG, LineBuffer
from geventchat.protocol.message import Message, ParseError, format_line, parse

OUTGOING_LIMIT = 1 << 20
"""Bytes we are willing to hold for a server that does not read; past it, give up."""

READ_PER_TURN = 256 * 1024
"""Bytes read in one call: a flood from the server must not starve the keyboard."""


class ConnectionLost(Exception):
    """The connection ended; the message says why, in words."""


@dataclass
class Incoming:
    """What one read produced: messages, plus lines that were not IRC (shown as notices)."""

    messages: list[Message] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    lost: str | None = None  # set when the connection ended after these lines


def describe(error: BaseException) -> str:
    """An OSError in words, without the errno number."""
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the server address ({error.strerror})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def open_blocking(host: str, port: int, timeout: float) -> socket.socket:
    """Connect before the UI starts, so a bad address is a one-line error and an exit."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setblocking(False)
    return sock


class Connection:
    def __init__(self, sock: socket.socket, connected: bool = True) -> None:
        self.sock = sock
        self.connected = connected        # False while a non-blocking connect is in progress
        self._in = LineBuffer()
        self._out = bytearray()
        self.closed = False

    @classmethod
    def start(cls, family: int, address: tuple) -> "Connection":
        """Begin a non-blocking connect to a resolved address; wants_write() is True until it completes.

        The address is the one the first connection reached, so reconnecting
        never blocks on a name lookup.
        """
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        code = sock.connect_ex(address)
        if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
            sock.close()
            raise ConnectionLost(os.strerror(code))
        return cls(sock, connected=code == 0)

    def fileno(self) -> int:
        return self.sock.fileno()

    def wants_write(self) -> bool:
        return not self.connected or bool(self._out)

    def send(self, command: str, *params: str) -> None:
        """Queue one message; flush() writes it when the socket is writable."""
        self._out += format_line(command, *params)
        if len(self._out) > OUTGOING_LIMIT:
            raise ConnectionLost("the server is not reading what we send")

    def writable(self) -> None:
        """Finish connecting, then write as much queued output as the socket takes."""
        if not self.connected:
            code = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise ConnectionLost(os.strerror(code))
            self.connected = True
        self.flush()

    def flush(self) -> None:
        while self._out and self.connected:
            try:
                sent = self.sock.send(self._out)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                raise ConnectionLost(describe(error)) from None
            del self._out[:sent]

    def readable(self) -> Incoming:
        """Read what has arrived; `lost` says why when the server has gone.

        The lines read before the end are kept: the ERROR line that explains
        a close usually arrives in the same read as the close itself.
        """
        got = Incoming()
        taken = 0
        while taken < READ_PER_TURN:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return got
            except OSError as error:
                got.lost = describe(error)
                return got
            if not data:
                got.lost = "the server closed the connection"
                return got
            taken += len(data)
            for line in self._in.feed(data):
                if line is TOO_LONG:
                    got.bad.append("the server sent a line longer than 512 bytes (skipped)")
                    continue
                try:
                    got.messages.append(parse(line))
                except ParseError:
                    got.bad.append(f"the server sent a line that is not IRC: {line[:80]!r}")
        return got  # more may be waiting: the select loop comes back for it

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass
