"""A program in a pseudo-terminal, seen through a terminal emulator (pyte).

Tests type bytes as a terminal would and wait — polling with a deadline —
until the emulated screen shows what a person would see. A failed wait
prints every screen involved. See /work/shared/TESTING-CURSES.md.
"""

from __future__ import annotations

import os
import select
import sys
import time
from typing import Callable, Iterable

import ptyprocess
import pyte
from wcwidth import wcwidth

KEYS = {
    "enter": b"\r", "backspace": b"\x7f", "tab": b"\t",
    "left": b"\x1b[D", "right": b"\x1b[C", "up": b"\x1b[A", "down": b"\x1b[B",
    "home": b"\x1b[1~", "end": b"\x1b[4~", "delete": b"\x1b[3~",
    "pageup": b"\x1b[5~", "pagedown": b"\x1b[6~",
    "ctrl-a": b"\x01", "ctrl-e": b"\x05", "ctrl-u": b"\x15", "ctrl-k": b"\x0b", "ctrl-w": b"\x17",
    "ctrl-c": b"\x03", "ctrl-z": b"\x1a", "escape": b"\x1b", "ctrl-n": b"\x0e", "ctrl-p": b"\x10",
    "alt-left": b"\x1b[1;3D", "alt-right": b"\x1b[1;3C",
    **{f"alt-{digit}": b"\x1b" + str(digit).encode() for digit in range(10)},
}


def child_env() -> dict[str, str]:
    # TERM=linux, not xterm-256color: with xterm-like entries ncurses scrolls a burst
    # of lines with `CSI n S`, which pyte ignores, and the emulated pane comes out wrong.
    env = dict(os.environ, TERM="linux", LANG="C.UTF-8", LC_ALL="C.UTF-8", ESCDELAY="25",
               PYTHONUNBUFFERED="1")
    for var in ("LINES", "COLUMNS"):  # they would pin ncurses' size and hide resizes
        env.pop(var, None)
    return env


class Terminal:
    """One program in a pty of `rows` x `cols`, rendered by pyte."""

    def __init__(self, argv: list[str], rows: int = 24, cols: int = 80, name: str = "term",
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.proc = ptyprocess.PtyProcess.spawn(argv, env={**child_env(), **(env or {})}, dimensions=(rows, cols))
        self.ended = False
        self.peers: list[Terminal] = []   # other terminals pumped in the same polls
        self.raw = bytearray()            # every byte the program wrote (mode switches pyte ignores)

    # --- reading -----------------------------------------------------------
    def pump(self, timeout: float) -> bool:
        """Read whatever arrives within `timeout` from this and the peer terminals; True if any did."""
        terms = [t for t in [self, *self.peers] if not t.ended]
        if not terms:
            time.sleep(timeout)
            return False
        ready, _, _ = select.select([t.proc.fd for t in terms], [], [], timeout)
        got = False
        for term in terms:
            if term.proc.fd in ready:
                got |= term._read()
        return got

    def _read(self) -> bool:
        try:
            data = os.read(self.proc.fd, 65536)
        except OSError:  # EIO once the child has gone
            self.ended = True
            return False
        if not data:
            self.ended = True
            return False
        self.stream.feed(data)
        self.raw += data
        return True

    def wait_for(self, predicate: Callable[["Terminal"], bool], what: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.dump_all()}")
            self.pump(0.05)

    def wait_text(self, text: str, timeout: float = 5.0) -> None:
        """Wait until `text` appears anywhere on the screen."""
        self.wait_for(lambda t: t.has(text), repr(text), timeout)

    def wait_pane(self, text: str, timeout: float = 5.0) -> None:
        self.wait_for(lambda t: any(text in row for row in t.pane()), f"{text!r} in the pane", timeout)

    def said(self) -> str:
        """The pane as one text without any spaces: a line reads whole wherever it was wrapped."""
        return "".join("".join(self.pane()).split())

    def wait_said(self, text: str, timeout: float = 5.0) -> None:
        """Wait until `text` is in the pane, however it was wrapped (spaces are not compared)."""
        wanted = "".join(text.split())
        self.wait_for(lambda t: wanted in t.said(), f"{text!r} said in the pane", timeout)

    def wait_status(self, text: str, timeout: float = 5.0) -> None:
        self.wait_for(lambda t: text in t.status(), f"{text!r} on the status line", timeout)

    def settle(self, quiet: float = 0.2, limit: float = 3.0) -> None:
        """Read until nothing arrives for `quiet` seconds (before a resize only)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and self.pump(quiet):
            pass

    def wait_exit(self, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.isalive():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not exit\n{self.dump()}")
            self.pump(0.05)
        while self._read():  # the last frame
            pass
        self.proc.wait()
        return self.proc.exitstatus if self.proc.exitstatus is not None else -(self.proc.signalstatus or 0)

    # --- the screen by role ------------------------------------------------
    @property
    def display(self) -> list[str]:
        try:
            return [row.rstrip() for row in self.screen.display]
        except IndexError:
            # pyte 0.8.2 leaves the right half of a wide character behind when the left half is
            # overwritten, and then cannot render the row; a terminal shows that cell blank.
            return [self._row(y).rstrip() for y in range(self.screen.lines)]

    def _row(self, y: int) -> str:
        line = self.screen.buffer[y]
        out, x = [], 0
        while x < self.screen.columns:
            data = line[x].data
            out.append(data or " ")
            x += 2 if data and wcwidth(data[0]) == 2 else 1
        return "".join(out)

    def has(self, text: str) -> bool:
        return any(text in row for row in self.display)

    def pane(self) -> list[str]:
        return self.display[:-2]

    def pane_lines(self) -> list[str]:
        return [row for row in self.pane() if row]

    def status(self) -> str:
        return self.display[-2]

    def input_line(self) -> str:
        return self.display[-1]

    def row_of(self, text: str) -> int:
        for y, row in enumerate(self.display):
            if text in row:
                return y
        raise AssertionError(f"{text!r} not on screen\n{self.dump()}")

    def cells(self, y: int) -> list:
        row = self.screen.buffer[y]
        return [row[x] for x in range(self.screen.columns)]

    def cursor(self) -> tuple[int, int]:
        return self.screen.cursor.y, self.screen.cursor.x

    def dump(self) -> str:
        rows = "\n".join(f"{y:2}|{row}" for y, row in enumerate(self.display))
        return f"--- {self.name} ({self.screen.columns}x{self.screen.lines}) ---\n{rows}"

    def dump_all(self) -> str:
        return "\n".join(t.dump() for t in [self, *self.peers])

    # --- typing and sizing -------------------------------------------------
    def type(self, text: str) -> None:
        self.proc.write(text.encode("utf-8"))

    def press(self, *names: str) -> None:
        for name in names:
            self.proc.write(KEYS[name])  # one escape sequence per write

    def paste(self, text: str) -> None:
        """What a terminal sends for a paste while bracketed paste is on: the text between markers."""
        self.proc.write(b"\x1b[200~" + text.encode("utf-8") + b"\x1b[201~")

    def send_line(self, text: str) -> None:
        self.type(text)
        self.press("enter")

    def resize(self, rows: int, cols: int) -> None:
        self.settle()
        self.screen.resize(rows, cols)
        self.proc.setwinsize(rows, cols)

    def close(self) -> None:
        if self.proc.isalive():
            self.proc.terminate(force=True)
        try:
            self.proc.close(force=True)
        except Exception:
            pass


def pump_all(terms: Iterable[Terminal], timeout: float = 0.05) -> None:
    terms = list(terms)
    if terms:
        first = terms[0]
        saved, first.peers = first.peers, terms[1:]
        try:
            first.pump(timeout)
        finally:
            first.peers = saved


def client_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "curses_client", *args]
