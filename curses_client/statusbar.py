"""The status line's text for a given width; no curses.

What matters most survives a narrow terminal: the connection state first,
then what is waiting to be sent and whether there is more below, then the
nick and the room; the server's name goes first when room runs out. A
question (confirming a paste) takes the whole line.
"""

from __future__ import annotations

from .state import ChatState, Phase
from .wrap import fit, text_width


def phase_text(state: ChatState, short: bool = False) -> str:
    if state.phase is Phase.CONNECTING:
        text = "connecting…"
    elif state.phase is Phase.RESOLVING:
        text = "looking up…"
    else:
        text = state.phase.value
    if state.detail and state.phase is Phase.DISCONNECTED and not short:
        text += f", {state.detail}"
    return text


def render(state: ChatState, cols: int, question: str | None = None) -> str:
    """Exactly `cols` cells (padded with spaces) for the status line."""
    if cols <= 0:
        return ""
    if question is not None:
        return _pad(fit(f" {question} ", cols), cols)
    back = state.scrollback
    right = ""
    if not back.following:
        right = f" -- more below ({back.unseen} new) -- " if back.unseen else " -- more below -- "
        if text_width(right) > cols // 2:
            right = " more "
    waiting = f"{state.waiting} waiting" if state.waiting else ""
    if state.room:
        count = len(state.members)
        room = f"{state.room} ({count} user{'s' if count != 1 else ''})"
        short_room = f"{state.room} ({count})"
    else:
        room = short_room = "no room"
    secure = state.secure
    for parts in (
        [state.nick, state.server, room, secure, phase_text(state), waiting],
        [state.nick, room, secure, phase_text(state), waiting],
        [state.nick, short_room, secure, phase_text(state), waiting],
        [state.nick, short_room, phase_text(state), waiting],
        [state.nick, phase_text(state), waiting],
        [state.nick, phase_text(state, short=True), waiting],
        [phase_text(state, short=True), waiting],
    ):
        left = " " + " | ".join(p for p in parts if p) + " "
        if text_width(left) + text_width(right) <= cols:
            break
    left = fit(left, max(0, cols - text_width(right)))
    return _pad(left, cols - text_width(right)) + right


def _pad(text: str, cols: int) -> str:
    return text + " " * max(0, cols - text_width(text))
