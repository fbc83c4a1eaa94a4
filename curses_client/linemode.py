"""Line mode: lines from stdin are typed lines, chat lines go to stdout as text.

For pipes, scripts and dumb terminals: the same session and commands as the
full-screen client, printing each scrollback line once (`HH:MM <nick> text`).
End of input quits like /quit, after the lines read so far have been sent.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import sys
import time

from .session import ClientConfig, Session
from .state import ChatState


class LineMode:
    def __init__(self, session: Session, stdin_fd: int, out) -> None:
        self.session = session
        self.state = session.state
        self.stdin_fd = stdin_fd
        self.out = out
        self.printed = 0
        self.pending = b""
        self.eof = False
        self.quit_sent = False
        self.signalled: list[int] = []

    def loop(self) -> int:
        selector = selectors.DefaultSelector()
        selector.register(self.stdin_fd, selectors.EVENT_READ, "stdin")
        watched = None
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
            now = time.time()
            timeout = min(self.session.timeout(now), 0.2)
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
            if self.signalled and not self.quit_sent:
                self.quit_sent = True
                self.session.quit("Leaving", now)
            if self.eof and not self.quit_sent and not self.session.waiting:
                self.quit_sent = True
                self.session.quit("Leaving", now)
            self.session.tick(now)
            if self.session.conn is None and self.session.retry_at is None and not self.session.done:
                self.session.done = True  # disconnected for good (--no-reconnect)
        self._print()
        return self.session.exit_status

    def _read_stdin(self, now: float) -> None:
        try:
            data = os.read(self.stdin_fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            self.eof = True
            data = b"\n" if self.pending else b""
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        for raw in lines:
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            if line.strip():
                self.session.submit(line, now)

    def _print(self) -> None:
        back = self.state.scrollback
        start = max(self.printed, back.first)
        if start >= back.total:
            return
        text = "".join(back.line(n).plain() + "\n" for n in range(start, back.total))
        self.printed = back.total
        try:
            self.out.write(text)
            self.out.flush()
        except BrokenPipeError:
            self.session.done = True


def run(config: ClientConfig, sock: socket.socket) -> int:
    state = ChatState(nick=config.nick, server=f"{config.host}:{config.port}", wanted_room=config.room)
    session = Session(config, state)
    mode = LineMode(session, sys.stdin.fileno(), sys.stdout)

    def on_signal(signum: int, frame: object) -> None:
        if mode.signalled:
            session.done = True
        mode.signalled.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        session.attach(sock, time.time())
        return mode.loop()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if session.conn is not None:
            session.conn.close()
