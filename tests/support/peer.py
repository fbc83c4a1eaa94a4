"""One client of a Chat without sockets: the lines it was sent, whether it was hung up.

The core takes lines and the time and gives bytes, so a test can read as a
transcript: what a client says, what it and others get.
"""

from __future__ import annotations

from geventchat.core.chat import Chat
from geventchat.core.session import PLAIN_TCP, TransportInfo
from geventchat.protocol.message import MAX_LINE


class Peer:
    def __init__(self, chat: Chat, nick: str | None = None, now: float = 1000.0, host: str = "127.0.0.1",
                 caps: str = "", transport: TransportInfo = PLAIN_TCP) -> None:
        """`transport` with framing (a WebSocket): what it is sent is kept as the frames were queued."""
        self.chat = chat
        self.raw: list[bytes] = []  # every line queued for this client, as bytes
        self.hung_up = 0
        self.broken = False  # a transport bug: send() raises
        self.framed = bool(transport.framing)
        self.session = chat.connect(host, self._send, self._hang_up, now, transport)
        self._read = 0
        if caps:
            self.say(f"CAP REQ :{caps}", now=now)
        if nick:
            self.say(f"NICK {nick}", f"USER {nick} 0 * :{nick.title()} Real", now=now)
        if caps:
            self.say("CAP END", now=now)

    def _send(self, data: bytes) -> None:
        if self.broken:
            raise RuntimeError("a bug in the transport")
        if self.framed:
            self.raw.append(data)
            return
        assert data.endswith(b"\r\n")
        body = data.split(b" ", 1)[1] if data.startswith(b"@") else data
        assert len(body) <= MAX_LINE, data
        self.raw.append(data)

    def _hang_up(self) -> None:
        self.hung_up += 1

    def _text(self, raw: bytes) -> str:
        """A queued line without its CRLF, or a queued WebSocket frame's payload."""
        if not self.framed:
            return raw[:-2].decode()
        size = raw[1] & 0x7F
        return raw[2 if size < 126 else 4 if size == 126 else 10:].decode()

    @property
    def out(self) -> list[str]:
        """Every line this client was sent, without its CRLF."""
        return [self._text(raw) for raw in self.raw]

    def say(self, *lines: str, now: float = 1000.0) -> list[str]:
        """Send lines (no flood control); return what this client got since it last looked."""
        for line in lines:
            self.chat.receive(self.session, line.encode(), now)
        return self.new()

    def new(self) -> list[str]:
        fresh = self.raw[self._read:]
        self._read = len(self.raw)
        return [self._text(raw) for raw in fresh]
