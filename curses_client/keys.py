"""What a key does: a decoded key (termkeys.Key) -> an action name.

Windows switch as in irssi: Alt-1..9 (Alt-0 is window 10), Alt-Left/Right
and Ctrl-P/Ctrl-N for the previous and next one.

A table rather than an if-chain, so the keys the README lists are the keys
the client has. A key with a modifier the table does not know falls back
to the plain key when only Shift was held (Shift-Left moves like Left);
anything else does nothing, and never becomes text.
"""

from __future__ import annotations

from .termkeys import Key

Action = str

ACTIONS: dict[str, Action] = {
    "left": "left", "right": "right", "up": "history_up", "down": "history_down",
    "home": "home", "end": "end", "backspace": "backspace", "delete": "delete",
    "pageup": "page_up", "pagedown": "page_down", "enter": "submit", "tab": "complete",
    "escape": "cancel",
    "ctrl+left": "word_left", "ctrl+right": "word_right", "alt+left": "window_prev", "alt+right": "window_next",
    "alt+b": "word_left", "alt+f": "word_right", "alt+d": "kill_word_after", "alt+backspace": "kill_word_back",
    "ctrl+delete": "kill_word_after", "alt+delete": "kill_word_after",
    "ctrl+home": "top", "ctrl+end": "bottom",
    "ctrl+a": "home", "ctrl+e": "end", "ctrl+b": "left", "ctrl+f": "right", "ctrl+d": "delete",
    "ctrl+u": "kill_before", "ctrl+k": "kill_after", "ctrl+w": "kill_word", "ctrl+l": "redraw",
    "ctrl+p": "window_prev", "ctrl+n": "window_next",
    **{f"alt+{digit}": f"window_{digit or 10}" for digit in range(10)},
}


def action_for(key: Key) -> Action:
    """The action for a key; "ignore" for keys that have none (F-keys, Insert, unknown chords)."""
    action = ACTIONS.get(key.label())
    if action is None and key.shift and not (key.alt or key.ctrl) and key.name != "tab":
        action = ACTIONS.get(key.name)
    return action or "ignore"
