"""The curses client's loop: one select over keys, the socket, the screen's output and signals.

Nothing in the loop waits on anything but select: the keys are read as
bytes and decoded here (termkeys.py), the connection is non-blocking from
the first connect on, and what curses draws leaves through termout.py
without blocking. One draw per turn, and none while the terminal has not
taken the last one.

Signals (Ctrl-C, SIGTERM, SIGHUP, SIGWINCH, Ctrl-Z) only set a flag and wake
the loop through signal.set_wakeup_fd, so they are handled between turns
and the terminal is always restored in one place, whatever ends the program.
"""

from __future__ import annotations

import curses
import fcntl
import os
import selectors
import signal
import struct
import sys
import termios
import time
from dataclasses import dataclass, field

from . import commands, keys
from .address import format_address
from .config import ClientConfig
from .editor import LineEditor
from .paste import ANSWERS, PendingPaste, joined, line_count
from .session import Session
from .state import ChatState
from .termkeys import ESCAPE_DELAY, TERMINFO_KEYS, Key, KeyDecoder, Paste, Text, key_from_label
from .termout import TerminalOutput
from .view import View

PASTE_ON = b"\x1b[?2004h"
PASTE_OFF = b"\x1b[?2004l"

_QUIT_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_WATCHED = (*_QUIT_SIGNALS, signal.SIGWINCH, signal.SIGTSTP)


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
    def __init__(self, screen: "curses.window", session: Session, signals: Signals, wake_fd: int,
                 output: TerminalOutput, decoder: KeyDecoder) -> None:
        self.screen = screen
        self.session = session
        self.config: ClientConfig = session.config
        self.state = session.state
        self.editor = LineEditor()
        self.view = View(screen, self.config.nicklist_cols)
        self.signals = signals
        self.wake_fd = wake_fd
        self.output = output
        self.decoder = decoder
        self.keys_fd = sys.stdin.fileno()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.keys_fd, selectors.EVENT_READ, "keys")
        self.selector.register(wake_fd, selectors.EVENT_READ, "signal")
        self._net: tuple[object, int, int] | None = None  # (connection, fd, events) registered
        self._out_watched = False
        self.interrupted = False
        self.dirty = True
        self.paste: PendingPaste | None = None
        e = self.editor
        self.editing = {
            "left": e.left, "right": e.right, "home": e.home, "end": e.end,
            "backspace": e.backspace, "delete": e.delete, "kill_before": e.kill_before,
            "kill_after": e.kill_after, "kill_word": e.kill_word, "word_left": e.word_left,
            "word_right": e.word_right, "kill_word_back": e.kill_word_back,
            "kill_word_after": e.kill_word_after, "history_up": e.up, "history_down": e.down,
        }

    def loop(self) -> int:
        while not self.session.done:
            if (self.dirty or self.state.changed) and not self.output.busy():
                self.state.changed = False
                self.dirty = False
                self.view.draw(self.state, self.editor, self.paste.question() if self.paste else None)
                self.output.flush()
            self._watch_socket()
            self._watch_output()
            now = time.time()
            timeout = self.session.timeout(now)
            deadline = self.decoder.deadline()
            if deadline is not None:
                timeout = max(0.0, min(timeout, deadline - now))
            events = self.selector.select(timeout)
            now = time.time()
            for key, mask in events:
                if key.data == "keys":
                    self._read_keys(now)
                elif key.data == "signal":
                    _drain(self.wake_fd)
                elif key.data == "net":
                    self.session.socket_ready(bool(mask & selectors.EVENT_READ),
                                              bool(mask & selectors.EVENT_WRITE), now)
                elif key.data == "out":
                    self.output.flush()
            for event in self.decoder.expire(now):
                self._event(event, now)
            self._signals(now)
            self.session.tick(now)
        return self.session.exit_status

    # --- what the selector watches ---------------------------------------
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

    def _watch_output(self) -> None:
        """Watch the terminal for room only while output is held back."""
        want = self.output.busy()
        if want == self._out_watched:
            return
        fd = self.output.fileno()
        if fd is None:
            return
        if want:
            self.selector.register(fd, selectors.EVENT_WRITE, "out")
        else:
            self.selector.unregister(fd)
        self._out_watched = want

    # --- signals -----------------------------------------------------------
    def _signals(self, now: float) -> None:
        seen = self.signals.take()
        if signal.SIGWINCH in seen:
            self._resize()
        if signal.SIGTSTP in seen:
            self._suspend()
        for signum in _QUIT_SIGNALS:
            if signum in seen:
                if self.interrupted:  # asked twice: leave now
                    self.session.done = True
                else:
                    self.interrupted = True
                    self.session.quit("Leaving" if signum == signal.SIGINT else "Terminal closed", now)
        if seen:
            self.dirty = True

    def _resize(self) -> None:
        rows, cols = _terminal_size()
        if (rows, cols) != self.screen.getmaxyx() and rows > 0 and cols > 0:
            curses.resizeterm(rows, cols)
        self.screen.clear()
        self.dirty = True

    def _suspend(self) -> None:
        """Ctrl-Z: give the terminal back as it was (no paste mode), stop, and take it again on `fg`."""
        leave_screen(self.output)
        os.kill(os.getpid(), signal.SIGSTOP)
        # Continued: curses' first refresh after endwin sets the terminal's modes again; it must
        # reach the terminal itself, before output goes through the pipe once more.
        self.screen.clear()
        self.screen.refresh()
        enter_screen(self.output)
        self.dirty = True

    # --- keys --------------------------------------------------------------
    def _read_keys(self, now: float) -> None:
        """Read what the terminal sent and act on each key; end of input means the terminal is gone."""
        try:
            data = os.read(self.keys_fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(self.keys_fd)
            self.session.quit("Terminal closed", now)
            return
        for event in self.decoder.feed(data, now):
            self._event(event, now)

    def _event(self, event: object, now: float) -> None:
        self.dirty = True
        if self.view.too_small():
            # Nothing typed blind is sent: only a redraw is taken.
            if isinstance(event, Key) and keys.action_for(event) == "redraw":
                self.screen.clear()
            return
        if self.paste is not None:
            self._answer(event, now)
        elif isinstance(event, Text):
            self.editor.insert(event.text)
        elif isinstance(event, Paste):
            self._pasted(event, now)
        elif isinstance(event, Key):
            self._apply(keys.action_for(event), now)

    def _apply(self, action: str, now: float) -> None:
        editor, back = self.editor, self.state.scrollback
        width, height = self.view.pane(self.state)
        if action == "submit":
            line = editor.submit(remember=not commands.is_secret(editor.text))
            if line.strip():
                back.end()
                self.session.submit(line, now)
        elif action in ("home", "end") and not editor.text:
            back.home(width, height) if action == "home" else back.end()
            if action == "home":
                self.session.fetch_older(self.state.windows.active, now)
        elif action == "top":
            back.home(width, height)
            self.session.fetch_older(self.state.windows.active, now)
        elif action == "bottom":
            back.end()
        elif action == "page_up":
            back.page_up(width, height)
            if back.at_top(width, height):
                self.session.fetch_older(self.state.windows.active, now)
        elif action == "page_down":
            back.page_down(width, height)
        elif action == "complete":
            editor.complete(self._completions())
        elif action.startswith("window_"):
            self._switch(action[len("window_"):])
        elif action == "redraw":
            self.screen.clear()
        elif action in self.editing:
            self.editing[action]()

    def _switch(self, how: str) -> None:
        windows = self.state.windows
        if how == "next":
            windows.step(1)
        elif how == "prev":
            windows.step(-1)
        else:
            windows.show_number(int(how))
        self.state.changed = True

    def _completions(self) -> list[str]:
        """What Tab may complete: the nicks of this window, our channels, and /commands at the start."""
        state = self.state
        names = state.nicks() + [window.name for window in state.windows if window.is_channel]
        if self.editor.text.startswith("/") and " " not in self.editor.text[:self.editor.cursor]:
            names += ["/" + name for name in commands.COMMANDS]
        return names

    # --- pastes ------------------------------------------------------------
    def _pasted(self, paste: Paste, now: float) -> None:
        lines = line_count(paste.text)
        if "\n" in paste.text and lines > self.config.paste_lines:
            self.paste = PendingPaste(paste.text, lines, paste.truncated)
            return
        self._send_paste(paste.text, now)

    def _answer(self, event: object, now: float) -> None:
        """The status line asked about a paste: y/Enter sends, j joins, n/Esc cancels; other keys wait."""
        assert self.paste is not None
        answer = None
        if isinstance(event, Text) and len(event.text) == 1:
            answer = ANSWERS.get(event.text)
        elif isinstance(event, Key):
            answer = {"submit": "send", "cancel": "cancel"}.get(keys.action_for(event))
        if answer is None:
            return
        text, self.paste = self.paste.text, None
        if answer == "send":
            self._send_paste(text, now)
        elif answer == "join":
            self._send_paste(joined(text) + "\n", now)
        else:
            self.state.status(now, f"Paste of {line_count(text)} lines cancelled")

    def _send_paste(self, text: str, now: float) -> None:
        """Type the paste in: every line it completes is sent as chat text."""
        typed = bool(self.editor.text[:self.editor.cursor])
        done = self.editor.insert_paste(text)
        if done:
            self.state.scrollback.end()
        for index, line in enumerate(done):
            # A line begun by hand before the paste is the user's own: it may be a command.
            self.session.submit(line, now, pasted=not (index == 0 and typed))


def terminfo_keys() -> dict[bytes, Key]:
    """This terminal's key sequences from its terminfo entry (curses must be set up)."""
    found: dict[bytes, Key] = {}
    for cap, label in TERMINFO_KEYS.items():
        try:
            seq = curses.tigetstr(cap)
        except curses.error:
            continue
        if seq:
            found.setdefault(seq, key_from_label(label))
    return found


def enter_screen(output: TerminalOutput) -> None:
    """From now on curses' output goes through the non-blocking path; pastes come marked."""
    output.start()
    output.write(PASTE_ON)


def leave_screen(output: TerminalOutput) -> None:
    """Bracketed paste off, output back to the terminal itself, then curses' own goodbye."""
    output.write(PASTE_OFF)
    output.stop()
    curses.endwin()


def _terminal_size() -> tuple[int, int]:
    """The pty's size now (TIOCGWINSZ), not the one curses remembers."""
    for fd in (sys.stdin.fileno(), sys.stdout.fileno()):
        try:
            rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
            return rows, cols
        except OSError:
            continue
    return curses.LINES, curses.COLS


def _no_flow_control() -> None:
    """Turn off Ctrl-S/Ctrl-Q flow control: a stray Ctrl-S would freeze the screen.
    endwin() restores the terminal's own modes."""
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


def _escape_delay() -> float:
    """ESCDELAY (milliseconds), as curses reads it; else our own default."""
    try:
        return max(0.0, int(os.environ["ESCDELAY"]) / 1000)
    except (KeyError, ValueError):
        return ESCAPE_DELAY


def run(config: ClientConfig) -> int:
    """Run the full-screen client; the screen comes up at once, the connection follows.

    The terminal is always restored: bracketed paste off, modes and screen as they were.
    """
    state = ChatState(nick=config.nick, server=format_address(config.host, config.port), wanted_room=config.room)
    session = Session(config, state)
    signals = Signals()
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    previous = {signum: signal.signal(signum, signals.handler) for signum in _WATCHED}
    previous_wakeup = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    output = TerminalOutput()
    screen = curses.initscr()
    try:
        curses.noecho()
        curses.cbreak()
        _no_flow_control()
        try:
            curses.curs_set(1)
        except curses.error:
            pass
        decoder = KeyDecoder(terminfo_keys(), _escape_delay())
        enter_screen(output)
        app = App(screen, session, signals, wake_read, output, decoder)
        session.start(time.time())
        return app.loop()
    finally:
        try:
            leave_screen(output)
        finally:
            signal.set_wakeup_fd(previous_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(wake_read)
            os.close(wake_write)
            if session.conn is not None:
                session.conn.close()
