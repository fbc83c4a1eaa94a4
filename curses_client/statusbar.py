"""The status line for a given width, as styled pieces; no curses.

What matters most survives a narrow terminal: the connection state first,
then what is waiting to be sent, the act list and whether there is more
below, then the nick and the window; the server's name goes first when room
runs out. The act list (irssi's) names the windows where something
happened while they were hidden: `3` for joins and the like, `3*` for
messages, `3!` when someone named you or wrote to you alone. A question
(confirming a paste) takes the whole line.
"""

from __future__ import annotations

from .history import loading
from .scrollback import Segment
from .state import Activity, ChatState, Phase, WindowKind
from .wrap import fit, text_width

MARKS = {Activity.EVENT: "", Activity.MESSAGE: "*", Activity.MENTION: "!"}
STYLES = {Activity.EVENT: "act:event", Activity.MESSAGE: "act:message", Activity.MENTION: "act:mention"}


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


def _window(state: ChatState, short: bool) -> str:
    windows = state.windows
    window = windows.active
    head = f"{windows.number(window)}:{window.label}"
    if window.kind is not WindowKind.CHANNEL:
        return head
    if not window.joined:
        return f"{head} (not joined)" if not short else f"{head} (-)"
    count = len(window.members)
    return f"{head} ({count} user{'s' if count != 1 else ''})" if not short else f"{head} ({count})"


def _act(state: ChatState, names: bool) -> list[Segment]:
    active = state.windows.act_list()
    if not active:
        return []
    out: list[Segment] = [("Act: ", "bar")]
    for index, (number, window) in enumerate(active):
        if index:
            out.append((" " if names else ",", "bar"))
        label = f"{number}:{window.label}" if names else str(number)
        out.append((label + MARKS[window.activity], STYLES[window.activity]))
    return out


def render(state: ChatState, cols: int, question: str | None = None) -> list[Segment]:
    """Exactly `cols` cells (padded with spaces) for the status line, in styled pieces."""
    if cols <= 0:
        return []
    if question is not None:
        return [(_pad(fit(f" {question} ", cols), cols), "bar")]
    back = state.scrollback
    right = ""
    if loading(state.windows.active):
        right = " -- loading older lines… -- "
    elif not back.following:
        right = f" -- more below ({back.unseen} new) -- " if back.unseen else " -- more below -- "
    if text_width(right) > cols // 2:
        right = " more " if right else ""
    waiting = f"{state.waiting} waiting" if state.waiting else ""
    nick = state.nick + (f" ({state.account})" if state.account else "")
    long_window, short_window = _window(state, False), _window(state, True)
    acts, act_names = _act(state, False), _act(state, True)
    secure, phase, short_phase = state.secure, phase_text(state), phase_text(state, short=True)
    choices: list[list[str | list[Segment]]] = [
        [nick, state.server, long_window, secure, phase, waiting, act_names],
        [nick, state.server, long_window, secure, phase, waiting, acts],
        [nick, long_window, secure, phase, waiting, act_names],
        [nick, long_window, secure, phase, waiting, acts],
        [state.nick, long_window, secure, phase, waiting, acts],
        [state.nick, short_window, secure, phase, waiting, acts],
        [state.nick, short_window, phase, waiting, acts],
        [state.nick, phase, waiting, acts],
        [state.nick, phase, waiting],
        [state.nick, short_phase, waiting],
        [short_phase, waiting],
    ]
    room = cols - text_width(right)
    for parts in choices:
        line = _join(parts)
        if _width(line) <= room:
            break
    line = _fit(line, max(0, room))
    return line + [(" " * max(0, room - _width(line)), "bar"), (right, "bar")]


def text(state: ChatState, cols: int, question: str | None = None) -> str:
    """The status line as plain text (tests, line mode)."""
    return "".join(piece for piece, _ in render(state, cols, question))


def _join(parts: list[str | list[Segment]]) -> list[Segment]:
    out: list[Segment] = [(" ", "bar")]
    for part in parts:
        if not part:
            continue
        if len(out) > 1:
            out.append((" | ", "bar"))
        out.extend([(part, "bar")] if isinstance(part, str) else part)
    out.append((" ", "bar"))
    return out


def _width(segments: list[Segment]) -> int:
    return sum(text_width(piece) for piece, _ in segments)


def _fit(segments: list[Segment], cols: int) -> list[Segment]:
    out: list[Segment] = []
    used = 0
    for piece, style in segments:
        if used + text_width(piece) > cols:
            out.append((fit(piece, cols - used), style))
            break
        out.append((piece, style))
        used += text_width(piece)
    return out


def _pad(text_: str, cols: int) -> str:
    return text_ + " " * max(0, cols - text_width(text_))
