"""The curses client's loop: one select over keys, the socket and signals; one draw per turn.

Signals (Ctrl-C, SIGTERM, SIGHUP, SIGWINCH) only set a flag and wake the
loop through signal.set_wakeup_fd, so they are handled between turns and the
terminal is always restored in one place, whatever ends the program.
"""

from __future__ import annotations

import curses
import fcntl
import os
import selectors
import signal
import socket
import struct
import sys
import termios
import time
from dataclasses import dataclass, field

from . import keys
from .editor import LineEditor
from .session import ClientConfig, Session
from .state import ChatState
from .view import View

_HANGUP_READS = 100
"""Turns in a row with stdin readable but no key: the terminal is gone."""

_WATCHED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGWINCH)


@dataclass
class Signals:
    """Signals seen since the last turn; set by handlers, read by the loop."""

    seen: set[int] = field(default_factory=set)

    def handler(self, signum: int, frame: object) -> None:
        self.seen.add(signum)

    def take(self) -> set[int]:
        seen, self.seen = self.seen, set()
        return seen


class App:
    def __init__(self, screen: "curses.window", session: Session, signals: Signals, wake_fd: int) -> None:
        self.screen = screen
        self.session = session
        self.state = session.state
        self.editor = LineEditor()
        self.view = View(screen)
        self.signals = signals
        self.wake_fd = wake_fd
        self.selector = selectors.DefaultSelector()
        self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "keys")
        self.selector.register(wake_fd, selectors.EVENT_READ, "signal")
        self._net: tuple[object, int, int] | None = None  # (connection, fd, events) registered
        self.interrupted = False
        self.empty_reads = 0
        e = self.editor
        self.editing = {
            "left": e.left, "right": e.right, "home": e.home, "end": e.end,
            "backspace": e.backspace, "delete": e.delete, "kill_before": e.kill_before,
            "kill_after": e.kill_after, "kill_word": e.kill_word,
            "history_up": e.up, "history_down": e.down,
        }

    def loop(self) -> int:
        dirty = True
        while not self.session.done:
            if dirty or self.state.changed:
                self.state.changed = False
                self.view.draw(self.state, self.editor)
            self._watch_socket()
            now = time.time()
            events = self.selector.select(self.session.timeout(now))
            now = time.time()
            dirty = False
            for key, mask in events:
                if key.data == "keys":
                    dirty |= self._keys(now)
                elif key.data == "signal":
                    _drain(self.wake_fd)
                elif key.data == "net":
                    self.session.socket_ready(bool(mask & selectors.EVENT_READ),
                                              bool(mask & selectors.EVENT_WRITE), now)
            dirty |= self._signals(now)
            self.session.tick(now)
        return self.session.exit_status

    def _watch_socket(self) -> None:
        """Keep the selector's entry for the socket in step with the session's connection."""
        conn = self.session.conn
        want = None
        if conn is not None:
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.wants_write() else 0)
            want = (conn, conn.fileno(), events)
        if want == self._net:
            return
        if self._net is not None:
            try:
                self.selector.unregister(self._net[1])
            except (KeyError, ValueError, OSError):
                pass
        if want is not None:
            self.selector.register(want[1], want[2], "net")
        self._net = want

    def _signals(self, now: float) -> bool:
        seen = self.signals.take()
        if signal.SIGWINCH in seen:
            self._resize()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            if signum in seen:
                if self.interrupted:  # asked twice: leave now
                    self.session.done = True
                else:
                    self.interrupted = True
                    self.session.quit("Leaving" if signum == signal.SIGINT else "Terminal closed", now)
        return bool(seen)

    def _resize(self) -> None:
        rows, cols = _terminal_size()
        if (rows, cols) != self.screen.getmaxyx() and rows > 0 and cols > 0:
            curses.resizeterm(rows, cols)
        self.screen.clear()

    def _keys(self, now: float) -> bool:
        """Read every key waiting (get_wch, so UTF-8 arrives as characters) and apply it.

        A terminal that has gone away stays readable with nothing to read;
        after many such turns in a row the client leaves instead of spinning.
        """
        got = False
        while True:
            try:
                key = self.screen.get_wch()
            except curses.error:
                if got:
                    self.empty_reads = 0
                else:
                    self.empty_reads += 1
                    if self.empty_reads == _HANGUP_READS:
                        self.selector.unregister(sys.stdin.fileno())
                        self.session.quit("Terminal closed", now)
                return got
            got = True
            action, text = keys.action_for(key)
            self._apply(action, text, now)

    def _apply(self, action: str, text: str, now: float) -> None:
        editor, back = self.editor, self.state.scrollback
        width, height = self.view.pane()
        if action == "insert":
            editor.insert(text)
        elif action == "submit":
            line = editor.submit()
            if line.strip():
                back.end()
                self.session.submit(line, now)
        elif action in ("home", "end") and not editor.text:
            back.home(width, height) if action == "home" else back.end()
        elif action == "page_up":
            back.page_up(width, height)
        elif action == "page_down":
            back.page_down(width, height)
        elif action == "complete":
            editor.complete(self.state.nicks())
        elif action == "resize":
            self._resize()
        elif action == "redraw":
            self.screen.clear()
        elif action in self.editing:
            self.editing[action]()


def _terminal_size() -> tuple[int, int]:
    """The pty's size now (TIOCGWINSZ), not the one curses remembers."""
    for fd in (sys.stdout.fileno(), sys.stdin.fileno()):
        try:
            rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
            return rows, cols
        except OSError:
            continue
    return curses.LINES, curses.COLS


def _no_flow_control() -> None:
    """Turn off Ctrl-S/Ctrl-Q flow control: a stray Ctrl-S would freeze the screen (and,
    with our writes blocked, the network). endwin() restores the terminal's own modes."""
    try:
        attrs = termios.tcgetattr(sys.stdin.fileno())
        attrs[0] &= ~termios.IXON
        termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, attrs)
        curses.def_prog_mode()
    except (termios.error, curses.error):
        pass


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except (BlockingIOError, InterruptedError):
        pass


def run(config: ClientConfig, sock: socket.socket) -> int:
    """Run the full-screen client on an already connected socket; always restore the terminal."""
    state = ChatState(nick=config.nick, server=f"{config.host}:{config.port}", wanted_room=config.room)
    session = Session(config, state)
    signals = Signals()
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    previous = {signum: signal.signal(signum, signals.handler) for signum in _WATCHED}
    previous_wakeup = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    os.environ.setdefault("ESCDELAY", "25")
    screen = curses.initscr()
    try:
        curses.noecho()
        curses.cbreak()
        screen.keypad(True)
        screen.nodelay(True)
        _no_flow_control()
        try:
            curses.set_escdelay(25)
            curses.curs_set(1)
        except (curses.error, AttributeError):
            pass
        session.attach(sock, time.time())
        return App(screen, session, signals, wake_read).loop()
    finally:
        try:
            screen.keypad(False)
            curses.nocbreak()
            curses.echo()
        finally:
            curses.endwin()
            signal.set_wakeup_fd(previous_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(wake_read)
            os.close(wake_write)
            if session.conn is not None:
                session.conn.close()
