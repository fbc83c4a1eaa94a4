"""A non-blocking IRC connection, plain or TLS: bytes in -> Messages, Messages -> bytes out.

Never waits: connect, the TLS handshake, recv and send all return at once,
and the caller's select loop says when to call again (`wants_read`,
`wants_write`; `buffered` when TLS holds decrypted bytes select cannot
see). Lines are framed and parsed by geventchat.protocol, the same code the
server uses. The first bytes a server sends are kept, so a port that does
not speak IRC can be named as such.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
from dataclasses import dataclass, field
from enum import Enum

from geventchat.protocol.framing import TOO_LONG, LineBuffer
from geventchat.protocol.message import Message, ParseError, format_line, parse

from .config import TlsConfig
from .tls import check_pin, describe_tls_error, fingerprint_of

OUTGOING_LIMIT = 1 << 20
"""Bytes we are willing to hold for a server that does not read; past it, give up."""

READ_PER_TURN = 256 * 1024
"""Bytes read in one call: a flood from the server must not starve the keyboard."""

FIRST_BYTES = 256
"""Bytes of the server's first words kept to tell what it speaks."""


class ConnectionLost(Exception):
    """The connection ended; the message says why, in words. `final` when retrying cannot help."""

    def __init__(self, reason: str, final: bool = False) -> None:
        super().__init__(reason)
        self.final = final


class Stage(str, Enum):
    CONNECTING = "connecting"
    HANDSHAKE = "handshake"
    OPEN = "open"


@dataclass
class Incoming:
    """What one read produced: messages, plus lines that were not IRC (shown as notices)."""

    messages: list[Message] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    lost: str | None = None  # set when the connection ended after these lines
    final: bool = False      # the loss is one that retrying will not cure


def describe(error: BaseException) -> str:
    """An OSError in words, without the errno number."""
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the server address ({error.strerror})"
    if isinstance(error, ssl.SSLError):
        return describe_tls_error(error)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


class Connection:
    def __init__(self, sock: socket.socket, tls: TlsConfig | None = None,
                 context: ssl.SSLContext | None = None, hostname: str = "") -> None:
        self.sock = sock
        self.stage = Stage.CONNECTING
        self.tls = tls if tls is not None and tls.enabled else None
        self.context = context
        self.hostname = hostname
        self._in = LineBuffer()
        self._out = bytearray()
        self._handshake_wants_write = False
        self._send_wants_read = False      # TLS: a send waits for the peer's bytes
        self.first_bytes = b""
        self.opened = False                # reached Stage.OPEN at some point
        self.closed = False

    @classmethod
    def start(cls, family: int, address: tuple, tls: TlsConfig | None = None,
              context: ssl.SSLContext | None = None, hostname: str = "") -> "Connection":
        """Begin a non-blocking connect to a resolved address; wants_write() is True until it completes."""
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        code = sock.connect_ex(address)
        if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
            sock.close()
            raise ConnectionLost(os.strerror(code))
        conn = cls(sock, tls, context, hostname)
        if code == 0:
            conn._connected()
        return conn

    @classmethod
    def adopt(cls, sock: socket.socket) -> "Connection":
        """A plain socket that is already connected."""
        conn = cls(sock)
        conn._connected()
        return conn

    @property
    def connected(self) -> bool:
        """Ready for IRC lines: TCP is up and, with TLS, the handshake is done and the certificate accepted."""
        return self.stage is Stage.OPEN

    def fileno(self) -> int:
        return self.sock.fileno()

    def wants_write(self) -> bool:
        if self.stage is Stage.CONNECTING:
            return True
        if self.stage is Stage.HANDSHAKE:
            return self._handshake_wants_write
        return bool(self._out) and not self._send_wants_read

    def buffered(self) -> bool:
        """TLS holds bytes already decrypted: read again without waiting for the socket."""
        return self.stage is Stage.OPEN and isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0

    def send(self, command: str, *params: str) -> None:
        """Queue one message; flush() writes it when the socket is writable."""
        self._out += format_line(command, *params)
        if len(self._out) > OUTGOING_LIMIT:
            raise ConnectionLost("the server is not reading what we send")

    def writable(self) -> None:
        """Finish connecting (and the TLS handshake), then write as much queued output as the socket takes."""
        if self.stage is Stage.CONNECTING:
            code = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise ConnectionLost(os.strerror(code))
            self._connected()
        if self.stage is Stage.HANDSHAKE:
            self._handshake()
        self.flush()

    def _connected(self) -> None:
        """TCP is up: with TLS, wrap the socket and start the handshake."""
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if self.tls is None:
            self.stage = Stage.OPEN
            self.opened = True
            return
        assert self.context is not None
        hostname = self.hostname.split("%", 1)[0] or None
        self.sock = self.context.wrap_socket(self.sock, server_hostname=hostname,
                                             do_handshake_on_connect=False)
        self.stage = Stage.HANDSHAKE
        self._handshake_wants_write = True

    def _handshake(self) -> None:
        assert isinstance(self.sock, ssl.SSLSocket) and self.tls is not None
        try:
            self.sock.do_handshake()
        except ssl.SSLWantReadError:
            self._handshake_wants_write = False
            return
        except ssl.SSLWantWriteError:
            self._handshake_wants_write = True
            return
        except ssl.SSLCertVerificationError as error:
            raise ConnectionLost(describe_tls_error(error), final=True) from None
        except ssl.SSLError as error:
            raise ConnectionLost(describe_tls_error(error), final=True) from None
        except OSError as error:
            raise ConnectionLost(describe(error) if error.strerror else
                                 "the server closed the connection during the TLS handshake") from None
        why = check_pin(self.tls, self.sock.getpeercert(binary_form=True))
        if why is not None:
            raise ConnectionLost(why, final=True)
        self.stage = Stage.OPEN
        self.opened = True

    def peer_fingerprint(self) -> bytes | None:
        """SHA-256 of the server's certificate, once TLS is up (to show, so it can be pinned)."""
        if isinstance(self.sock, ssl.SSLSocket) and self.connected:
            der = self.sock.getpeercert(binary_form=True)
            if der:
                return fingerprint_of(der)
        return None

    def flush(self) -> None:
        while self._out and self.connected:
            try:
                sent = self.sock.send(self._out)
            except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError):
                return
            except ssl.SSLWantReadError:
                self._send_wants_read = True
                return
            except OSError as error:
                raise ConnectionLost(describe(error)) from None
            self._send_wants_read = False
            del self._out[:sent]

    def readable(self) -> Incoming:
        """Read what has arrived; `lost` says why when the server has gone.

        The lines read before the end are kept: the ERROR line that explains
        a close usually arrives in the same read as the close itself.
        """
        got = Incoming()
        if self.stage is Stage.CONNECTING:
            return got  # the connect's outcome is read when the socket turns writable
        if self.stage is Stage.HANDSHAKE:
            try:
                self._handshake()
            except ConnectionLost as error:
                got.lost, got.final = str(error), error.final
            return got
        if self._send_wants_read:
            self._send_wants_read = False
            try:
                self.flush()
            except ConnectionLost as error:
                got.lost = str(error)
                return got
        taken = 0
        while taken < READ_PER_TURN:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return got
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                data = b""
            except OSError as error:
                got.lost = describe(error)
                return got
            if not data:
                got.lost = "the server closed the connection"
                return got
            if len(self.first_bytes) < FIRST_BYTES:
                self.first_bytes += data[:FIRST_BYTES - len(self.first_bytes)]
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
