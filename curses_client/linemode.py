"""Line mode: lines from stdin are typed lines, chat lines go to stdout as text.

For pipes, scripts, dumb terminals and ssh without -t: the same session and
commands as the full-screen client, printing each line of every window once,
in the order they came (`HH:MM <nick> text`); a line of a channel other than
the current one (/window) names it (`HH:MM [#dev] <bob> hi`), a private one
reads `[msg from bob] ...`. End of input quits like /quit, after the lines read
so far have been sent; when the other end has gone (ssh dropped: stdout
closed, or SIGHUP) the QUIT says `Terminal closed`. Output never blocks the
loop: it is written as stdout takes it, and a reader that stops for good
loses the oldest lines (said so) rather than the connection.
"""

from __future__ import annotations

import os
import select
import selectors
import signal
import sys
import time
from dataclasses import replace
from typing import Callable

from .address import format_address
from .config import ClientConfig
from .session import Session
from .state import ChatState, Kind, Line, Window, WindowKind
from .termkeys import plain_text

OUTPUT_LIMIT = 1 << 20
"""Bytes of chat held for a stdout that is not being read; past it the oldest lines are dropped."""


class LineMode:
    def __init__(self, session: Session, stdin_fd: int, stdout_fd: int) -> None:
        self.session = session
        self.state = session.state
        self.stdin_fd = stdin_fd
        self.stdout_fd = stdout_fd
        self.printed = 0
        self.pending = b""
        self.out = bytearray()
        self.dropped = 0
        self.eof = False
        self.quit_sent = False
        self.signalled: list[int] = []

    def loop(self) -> int:
        selector = selectors.DefaultSelector()
        try:
            selector.register(self.stdin_fd, selectors.EVENT_READ, "stdin")
            stdin_file = False
        except PermissionError:  # a regular file or /dev/null: always readable, epoll will not watch it
            stdin_file = True
        watched = None
        out_watched = False
        while not self.session.done:
            self._print()
            conn = self.session.conn
            want = None
            if conn is not None:
                want = (conn, conn.fileno(),
                        selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.wants_write() else 0))
            if want != watched:
                if watched is not None:
                    try:
                        selector.unregister(watched[1])
                    except (KeyError, ValueError, OSError):
                        pass
                if want is not None:
                    selector.register(want[1], want[2], "net")
                watched = want
            if bool(self.out) != out_watched and self.stdout_fd >= 0:
                if self.out:
                    selector.register(self.stdout_fd, selectors.EVENT_WRITE, "stdout")
                else:
                    selector.unregister(self.stdout_fd)
                out_watched = bool(self.out)
            now = time.time()
            timeout = min(self.session.timeout(now), 0.2)
            if stdin_file and not self.eof:
                self._read_stdin(now)
                timeout = 0.0 if not self.eof else timeout
            events = selector.select(timeout)
            now = time.time()
            for key, mask in events:
                if key.data == "stdin":
                    self._read_stdin(now)
                    if self.eof:
                        selector.unregister(self.stdin_fd)
                elif key.data == "net":
                    self.session.socket_ready(bool(mask & selectors.EVENT_READ),
                                              bool(mask & selectors.EVENT_WRITE), now)
                elif key.data == "stdout":
                    self._write()
            if self.signalled and not self.quit_sent:
                self.quit_sent = True
                self.session.quit("Terminal closed" if signal.SIGHUP in self.signalled else "Leaving", now)
            if self.eof and not self.quit_sent and not self.session.held and self._settled():
                self.quit_sent = True
                self.session.quit("Terminal closed" if _hung_up(self.stdout_fd) else "Leaving", now)
            if self.stdout_fd < 0 and not self.quit_sent:
                self.quit_sent = True
                self.session.quit("Terminal closed", now)
            self.session.tick(now)
            if self.session.conn is None and self.session.retry_at is None and not self.session.done:
                self.session.done = True  # disconnected for good (--no-reconnect, a refusal)
        self._print()
        self._write(wait=2.0)
        return self.session.exit_status

    def _settled(self) -> bool:
        """Not in the middle of a first connection: end of input may quit now."""
        session = self.session
        return session.ever_connected or (session.conn is None and session.lookup is None)

    def _read_stdin(self, now: float) -> None:
        try:
            data = os.read(self.stdin_fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.eof = True
            data = b"\n" if self.pending else b""
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        for raw in lines:
            line = plain_text(raw.rstrip(b"\r"))  # keys a dumb terminal sent as escape sequences vanish
            if line.strip():
                self.session.submit(line, now)

    def _print(self) -> None:
        journal = self.state.windows.journal
        if self.printed >= journal.total:
            return
        active, status = self.state.windows.active, self.state.windows.status
        self.out += "".join(stream_text(window, line, window is active or window is status) + "\n"
                            for window, line in journal.since(self.printed)).encode("utf-8")
        self.printed = journal.total
        if len(self.out) > OUTPUT_LIMIT:
            cut = self.out.find(b"\n", len(self.out) - OUTPUT_LIMIT // 2) + 1
            self.dropped += self.out[:cut].count(b"\n")
            del self.out[:cut]
            self.out[:0] = f"[{self.dropped} lines not shown: the output was not being read]\n".encode()
            self.dropped = 0
        self._write()

    def _write(self, wait: float = 0.0) -> None:
        """Write what stdout takes now (or within `wait` seconds, at the end)."""
        deadline = time.monotonic() + wait
        while self.out and self.stdout_fd >= 0:
            try:
                sent = os.write(self.stdout_fd, self.out)
            except (BlockingIOError, InterruptedError):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                select.select([], [self.stdout_fd], [], remaining)
                continue
            except OSError:  # BrokenPipe: the reader has gone
                self.stdout_fd = -1
                self.out.clear()
                return
            del self.out[:sent]


def stream_text(window: Window, line: Line, current: bool) -> str:
    """One line of the stream: as the window shows it, with where it belongs when that is not plain."""
    if window.kind is WindowKind.QUERY and line.kind is Kind.MESSAGE:
        line = replace(line, kind=Kind.PRIVATE_OUT if line.own else Kind.PRIVATE_IN,
                       nick=window.name if line.own else line.nick)
        return line.plain()
    if current or line.kind is Kind.PRIVATE_IN:
        return line.plain()
    segments, _ = line.segments()
    return segments[0][0] + f"[{window.label}] " + "".join(text for text, _ in segments[1:])


def _hung_up(fd: int) -> bool:
    """The reader of `fd` has gone (ssh dropped): poll reports an error or a hangup on it."""
    if fd < 0:
        return True
    try:
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(event & (select.POLLERR | select.POLLHUP) for _, event in poller.poll(0))
    except (OSError, ValueError):
        return False


def _nonblocking_stdout() -> tuple[int, Callable[[], None]]:
    """A non-blocking descriptor for stdout, and how to undo it.

    A terminal is opened anew (its open file is shared with the shell, which
    must not find it non-blocking); a pipe or socket is switched and
    switched back at the end.
    """
    fd = sys.stdout.fileno()
    if os.isatty(fd):
        try:
            own = os.open(os.ttyname(fd), os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError:
            return fd, lambda: None
        return own, lambda: os.close(own)
    try:
        was = os.get_blocking(fd)
        os.set_blocking(fd, False)
    except OSError:
        return fd, lambda: None

    def restore() -> None:
        try:
            os.set_blocking(fd, was)
        except OSError:
            pass
    return fd, restore


def run(config: ClientConfig) -> int:
    address = format_address(config.host, config.port)
    state = ChatState(nick=config.nick, server=address, wanted_room=config.room)
    session = Session(config, state)
    session.give_up_first = True
    sys.stdout.flush()
    stdout_fd, restore = _nonblocking_stdout()
    mode = LineMode(session, sys.stdin.fileno(), stdout_fd)

    def on_signal(signum: int, frame: object) -> None:
        if mode.signalled:
            session.done = True
        mode.signalled.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        session.start(time.time())
        status = mode.loop()
        if session.gave_up is not None and not session.ever_connected:
            print(f"chat-client: cannot connect to {address}: {session.gave_up}", file=sys.stderr)
        return status
    finally:
        restore()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if session.conn is not None:
            session.conn.close()
