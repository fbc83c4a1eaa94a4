"""Every special key of every terminal type, typed into the real client: it moves as named, nothing stray.

For each TERM the client runs under (xterm-256color, screen-256color,
tmux-256color, linux, vt100), each sequence that terminal sends is typed
after "abc def", then an "X" marks where the cursor was: the input line
must read exactly as the key's action says, with the cursor after the X.
Under TERM=dumb the client is in line mode; there the sequences must
vanish from the line sent.
"""

from __future__ import annotations

import pytest

from tests.support.client import IrcClient
from tests.support.keyseqs import SEQUENCES, UNKNOWN
from tests.support.terminal import Terminal, client_argv

pytestmark = pytest.mark.timeout(60)

HOME, END = b"\x01", b"\x05"   # Ctrl-A, Ctrl-E: the same on every terminal
TYPED = "abc def"

EFFECTS: dict[str, tuple[bytes, str]] = {
    "left": (END, "abc deXf"), "right": (HOME, "aXbc def"), "home": (END, "Xabc def"),
    "end": (HOME, "abc defX"), "delete": (HOME, "Xbc def"), "backspace": (END, "abc deX"),
    "word_left": (END, "abc Xdef"), "word_right": (HOME, "abcX def"), "kill_word_after": (HOME, "X def"),
    "kill_word_back": (END, "abc X"), "nothing": (END, "abc defX"),
}
"""Action -> (where the cursor starts, the input line after the key and an X)."""

ACTION_OF = {
    "left": "left", "shift+left": "left", "right": "right", "shift+right": "right",
    "home": "home", "shift+home": "home", "end": "end", "shift+end": "end",
    "delete": "delete", "shift+delete": "delete", "backspace": "backspace",
    "ctrl+left": "word_left", "alt+b": "word_left",
    "ctrl+right": "word_right", "alt+f": "word_right",
    "alt+d": "kill_word_after", "ctrl+delete": "kill_word_after", "alt+backspace": "kill_word_back",
}


WINDOW_KEYS = {"alt+left", "alt+right"}
"""Keys that switch windows (irssi's): with two windows, either shows the other one, the input line kept."""


def effect(label: str) -> tuple[bytes, str]:
    return EFFECTS[ACTION_OF.get(label, "nothing")]


@pytest.mark.parametrize("term", list(SEQUENCES))
def test_every_key_of_the_terminal_moves_as_named(spawn, term: str) -> None:
    alice = spawn("alice", rows=30, env={"TERM": term})
    lobby = "[#lobby] "
    for label, seq in [*SEQUENCES[term], *(("unknown", s) for s in UNKNOWN)]:
        start, expected = effect(label)
        prompt = "[(status)] " if label in WINDOW_KEYS else lobby
        alice.proc.write(HOME + b"\x0b")          # Ctrl-A Ctrl-K: an empty line
        alice.type(TYPED)
        alice.proc.write(start)
        alice.proc.write(seq)                      # the key, in one write as a terminal sends it
        alice.type("X")
        column = len(prompt) + expected.index("X") + 1
        alice.wait_for(lambda t: t.input_line() == prompt + expected and t.cursor() == (29, column),
                       f"{label} ({seq!r}) under {term}: {expected!r} with the cursor after the X")
        if label in WINDOW_KEYS:
            alice.press("alt-2")
            alice.wait_for(lambda t: t.input_line().startswith(lobby), "back to #lobby")
    assert "connected" in alice.status()


def test_a_dumb_terminal_gets_line_mode_and_keys_do_not_reach_the_room(chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    argv = client_argv("127.0.0.1", "alice", "Alice", "alice", "--port", str(chat_server.port))
    term = Terminal(argv, name="dumb", env={"TERM": "dumb"})
    try:
        term.wait_text("cannot run full screen; using line mode")
        term.wait_text("You joined #lobby")
        # The line discipline edits nothing here: the arrows' and Home's bytes are in the line.
        term.proc.write(b"ab\x1b[Dc\x1b[1~d\x1bOAe\x1b[1;5Cf\tg\r")
        bob.expect(r"^:alice!\S+ PRIVMSG #lobby :abcdef\tg$")
        term.type("/quit\r")
        assert term.wait_exit() == 0
    finally:
        term.close()
        bob.close()
