"""What a key does: a `get_wch()` result -> an action name (or text to insert).

A table rather than an if-chain, so the keys the README lists are the keys
the client has. Only the curses KEY_* constants are used here; no screen.
"""

from __future__ import annotations

import curses

Action = str

SPECIAL: dict[int, Action] = {
    curses.KEY_LEFT: "left",
    curses.KEY_RIGHT: "right",
    curses.KEY_UP: "history_up",
    curses.KEY_DOWN: "history_down",
    curses.KEY_HOME: "home",
    curses.KEY_END: "end",
    curses.KEY_FIND: "home",      # some terminals send Find/Select for Home/End
    curses.KEY_SELECT: "end",
    curses.KEY_BACKSPACE: "backspace",
    curses.KEY_DC: "delete",
    curses.KEY_PPAGE: "page_up",
    curses.KEY_NPAGE: "page_down",
    curses.KEY_ENTER: "submit",
    curses.KEY_RESIZE: "resize",
}

CONTROL: dict[str, Action] = {
    "\n": "submit",
    "\r": "submit",
    "\t": "complete",
    "\x7f": "backspace",
    "\x08": "backspace",
    "\x01": "home",          # Ctrl-A
    "\x05": "end",           # Ctrl-E
    "\x02": "left",          # Ctrl-B
    "\x06": "right",         # Ctrl-F
    "\x04": "delete",        # Ctrl-D
    "\x15": "kill_before",   # Ctrl-U
    "\x0b": "kill_after",    # Ctrl-K
    "\x17": "kill_word",     # Ctrl-W
    "\x0c": "redraw",        # Ctrl-L
    "\x10": "history_up",    # Ctrl-P
    "\x0e": "history_down",  # Ctrl-N
}


def action_for(key: int | str) -> tuple[Action, str]:
    """(action, text): text is what to insert for the "insert" action, else ""."""
    if isinstance(key, int):
        return SPECIAL.get(key, "ignore"), ""
    if key in CONTROL:
        return CONTROL[key], ""
    if key.isprintable() or ord(key) > 0x9F:
        return "insert", key
    return "ignore", ""
