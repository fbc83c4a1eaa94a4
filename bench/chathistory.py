"""One client with draft/chathistory and batch that asks CHATHISTORY, one request at a time, and times each.

It asks as a client filling its scrollback would: the request goes out, and
the time is taken when the batch's end (`BATCH -ref`) has arrived, so each
figure is the whole answer on this client's screen. Requests go out on a
fixed schedule (not back to back), so a slow answer delays only its own
figure; live lines of the channel arriving meanwhile are read and skipped.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

CAPS = b"batch draft/chathistory server-time message-tags"
"""What a client that fills its scrollback asks for: the lines then carry their time and msgid."""


class Refused(RuntimeError):
    """The server answered a request with FAIL, or did not offer the capabilities."""


@dataclass
class Answer:
    kind: str  # "LATEST", "BEFORE"
    seconds: float
    lines: int  # lines in the batch
    finished: float  # time.monotonic() when the batch ended


@dataclass
class Reader:
    """A registered client in the lobby with the capabilities; `ask` one CHATHISTORY request at a time."""

    host: str
    port: int
    nick: str = "hreader"
    timeout: float = 30.0
    sock: socket.socket = field(init=False)
    buffer: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def register(self, channel: bytes = b"#lobby") -> None:
        """CAP LS, REQ, registration; returns once the server has put this client in `channel`."""
        nick = self.nick.encode()
        self.sock.sendall(b"CAP LS 302\r\nNICK %s\r\nUSER %s 0 * :history reader\r\nCAP REQ :%s\r\n"
                          % (nick, nick, CAPS))
        line = self._until(lambda line: _words(line)[0] == b"CAP" and _words(line)[2:3] in ([b"ACK"], [b"NAK"]))
        if _words(line)[2] == b"NAK":
            raise Refused(f"the server does not offer {CAPS.decode()}: {line.decode(errors='replace')}")
        self.sock.sendall(b"CAP END\r\n")
        # the end of the channel's NAMES, or a refusal (a nick in use or too long, a full server)
        line = self._until(lambda line: (_words(line)[0] == b"366" and channel in line)
                           or _words(line)[0] in (b"432", b"433", b"ERROR"))
        if _words(line)[0] != b"366":
            raise Refused(f"the history reader could not register: {line.decode(errors='replace')}")

    def ask(self, request: bytes) -> tuple[float, int]:
        """(seconds until the batch ended, lines in it) for one `CHATHISTORY ...` request."""
        started = time.perf_counter()
        self.sock.sendall(request + b"\r\n")
        opened = self._until(lambda line: _words(line)[0] in (b"BATCH", b"FAIL"))
        words = _words(opened)
        if words[0] == b"FAIL" or not words[1].startswith(b"+"):
            raise Refused(f"{request.decode()}: {opened.decode(errors='replace')}")
        ref = words[1][1:]
        inside, end = b"batch=" + ref, [b"BATCH", b"-" + ref]
        count = 0
        while True:
            line = self._line()
            if line.startswith(b"@") and inside in line.split(b" ", 1)[0]:
                count += 1
            elif _words(line)[:2] == end:
                return time.perf_counter() - started, count

    def close(self) -> None:
        try:
            self.sock.sendall(b"QUIT :done\r\n")
        except OSError:
            pass
        self.sock.close()

    def _line(self) -> bytes:
        """The next line; PINGs are answered on the way."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end]).rstrip(b"\r")
                del self.buffer[:end + 1]
                if line.startswith(b"PING "):
                    self.sock.sendall(b"PONG " + line[5:] + b"\r\n")
                    continue
                return line
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the history reader's connection")
            self.buffer += data

    def _until(self, wanted: Callable[[bytes], bool]) -> bytes:
        while True:
            line = self._line()
            if wanted(line):
                return line


def _words(line: bytes) -> list[bytes]:
    """The command and its first parameters, tags and prefix left out."""
    if line.startswith(b"@"):
        line = line.partition(b" ")[2]
    if line.startswith(b":"):
        line = line.partition(b" ")[2]
    return line.split(b" ", 3)


@dataclass
class Schedule:
    """Requests to send, one every `interval` seconds from `start`, run on a thread of their own."""

    reader: Reader
    requests: list[tuple[str, bytes]]  # (kind, request line)
    interval: float
    answers: list[Answer] = field(default_factory=list)
    error: BaseException | None = None
    _thread: threading.Thread | None = None

    def start(self, delay: float = 0.0) -> None:
        self._thread = threading.Thread(target=self._run, args=(time.monotonic() + delay,), daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive() and self.error is None:
            self.error = TimeoutError(f"CHATHISTORY requests still running after {timeout:.0f} s")

    def _run(self, due: float) -> None:
        try:
            for kind, request in self.requests:
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                seconds, lines = self.reader.ask(request)
                self.answers.append(Answer(kind, seconds, lines, time.monotonic()))
                due += self.interval
        except BaseException as error:  # noqa: BLE001 - handed to the caller, who reports it
            self.error = error
