"""IRC over WebSocket: one IRC line per WebSocket message, on a plain or TLS stream.

The HTTP upgrade has been answered before this transport exists (web/door.py);
from then on wsproto reads the client's frames, which may come split or
fragmented, and this transport turns each finished message into its line.
A message is bounded like a line on a TCP socket: past the longest line a
client may send (tags included) it is one TOO_LONG (417) and the rest of it
is skipped, never kept. What the client is sent is already framed, once per
view, by the core (see outbox.py); this transport adds only its own control
frames (pong, close) and the TLS layer.
"""

from __future__ import annotations

from wsproto.connection import SERVER, Connection, ConnectionState
from wsproto.events import CloseConnection, Message, Ping

from ..core.session import TransportInfo
from ..protocol.framing import TOO_LONG, LineBuffer, TooLong
from ..protocol.message import MAX_INPUT
from ..protocol.websocket import CLOSE_NORMAL, close_frame
from .base import PeerError, Stream

PROBLEMS = {1002: "bad frame", 1007: "invalid UTF-8 in a text message", 1009: "message too big"}
"""What a client did wrong, by the close code wsproto chose: the quit reason says it in words."""


class WebSocketTransport:
    __slots__ = ("stream", "info", "_ws", "_pending", "_message", "_size", "_skipping", "_lines", "_control",
                 "_close_code", "_closed", "_error")

    def __init__(self, stream: Stream, info: TransportInfo, trailing: bytes = b"") -> None:
        self.stream = stream
        self.info = info
        self._ws = Connection(SERVER)
        self._pending = trailing  # bytes that came with the upgrade request
        self._message: list[bytes] = []  # the unfinished message's parts
        self._size = 0
        self._skipping = False  # the rest of a too-long message is read and dropped
        self._lines = LineBuffer()
        self._control = b""  # our control frames waiting to be sent (the latest pong, a close reply)
        self._close_code = CLOSE_NORMAL
        self._closed = False  # the close handshake has been answered: no data frame may follow
        self._error: str | None = None  # the client's frames could not be read: close with this reason

    @property
    def wants_write(self) -> bool:
        return bool(self._control) or self.stream.wants_write

    def start(self) -> None:
        """The handshake was the HTTP upgrade, already answered."""

    def read(self) -> list[bytes | TooLong] | None:
        """The lines of the messages that finished arriving; None once the client has closed."""
        if self._closed:
            return None
        if self._error is not None:
            raise PeerError(self._error)
        if self._pending:
            data, self._pending = self._pending, b""
        else:
            data = self.stream.recv()
            if data is None:
                return None
            if not data:
                return []
        ws = self._ws
        ws.receive_data(data)
        lines: list[bytes | TooLong] = []
        for event in ws.events():
            if isinstance(event, Message):
                self._take(event.data, event.message_finished, lines)
            elif isinstance(event, Ping):
                # RFC 6455 5.5.3: an endpoint may answer only the latest of several pings
                self._control = ws.send(event.response())
            elif isinstance(event, CloseConnection):
                if ws.state is ConnectionState.REMOTE_CLOSING:  # the client's close frame: answer it
                    self._control += ws.send(event.response())
                    self._closed = True
                    return lines or None
                # wsproto could not read the frames (bad framing, invalid UTF-8 in a text message):
                # the lines before the bad frame run, then the client is closed with the reason
                self._close_code = event.code
                self._error = f"WebSocket error: {PROBLEMS.get(event.code, 'protocol error')}"
                break
        if self._error is not None and not lines:
            raise PeerError(self._error)
        return lines

    def _take(self, data: bytes | str, finished: bool, lines: list[bytes | TooLong]) -> None:
        """Add a piece of a message; a finished message is its line (a trailing CRLF tolerated)."""
        if isinstance(data, str):
            data = data.encode("utf-8")  # wsproto decoded a text message; IRC parses bytes
        if self._skipping:
            self._skipping = not finished
            return
        self._size += len(data)
        if self._size > MAX_INPUT:
            lines.append(TOO_LONG)
            self._message, self._size, self._skipping = [], 0, not finished
            return
        self._message.append(data)
        if finished:
            message = b"".join(self._message)
            self._message, self._size = [], 0
            lines.extend(self._lines.feed(message + b"\n"))

    def wire(self, data: bytes) -> bytes:
        """Queued frames (and our control frames) -> socket bytes; nothing after the close handshake."""
        if self._control:
            control, self._control = self._control, b""
            data = control if self._closed else control + data
        elif self._closed:
            data = b""
        return self.stream.seal(data)

    def farewell(self) -> bytes:
        """The close frame after the ERROR line (none if the client's close was already answered)."""
        if self._closed:
            return b""
        return close_frame(self._close_code)
