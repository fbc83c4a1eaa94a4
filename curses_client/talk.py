"""What people say: PRIVMSG and NOTICE (CTCP inside them) to the window each belongs to.

A channel's lines go to its window; a private message opens the window of
that conversation (it is not shown; the act list marks it); a server's
notice goes to the status window. With echo-message the server sends our own
lines back: the one shown when it was typed is confirmed instead of shown
twice. The same placement serves lines played back from history.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass

from geventchat.protocol.message import Message
from geventchat.protocol.names import casefold

from .backlog import parse_time
from .handlers import Reply, handles, nick_of, strip_formatting
from .state import Activity, ChatState, Echo, Kind, Line, Phase, Window

CLIENT_VERSION = "geventchat curses client"


@dataclass(frozen=True, slots=True)
class Said:
    """A PRIVMSG or NOTICE read: where it goes and how it looks."""

    window: Window
    kind: Kind
    text: str
    nick: str
    own: bool
    mention: bool
    level: Activity


def _strip_statusmsg(state: ChatState, target: str) -> str:
    """`@#dev` (to the operators of #dev) -> `#dev`."""
    rest = target.lstrip(state.features.prefix_symbols)
    return rest if rest != target and state.features.is_channel(rest) else target


def read(state: ChatState, msg: Message, window: Window | None = None) -> Said | None:
    """Where a PRIVMSG or NOTICE goes and how it reads; None for a CTCP request (not a line to show).

    `window` is given for history, whose batch names the conversation.
    """
    if len(msg.params) < 2:
        return None
    sender, target, text = nick_of(msg.prefix), _strip_statusmsg(state, msg.params[0]), msg.params[1]
    own = bool(msg.prefix) and state.is_me(sender)
    notice = msg.command == "NOTICE"
    action = False
    if text.startswith("\x01"):
        verb, _, rest = text.strip("\x01").partition(" ")
        if verb.upper() == "ACTION" and not notice:
            action, text = True, rest
        elif not notice:
            return None
        else:
            text = text.strip("\x01")
    text = strip_formatting(text)
    channel = state.features.is_channel(target)
    if window is None:
        window = _window_for(state, sender, target, channel, own, notice, msg.prefix)
    if notice:
        return Said(window, Kind.NOTICE, text, sender or state.server, own, False,
                    Activity.NONE if own else Activity.MENTION if not channel else Activity.MESSAGE)
    nick = sender or state.nick
    if channel:
        mention = not own and state.mentions_me(text)
        return Said(window, Kind.ACTION if action else Kind.MESSAGE, text, nick, own, mention,
                    Activity.NONE if own else Activity.MENTION if mention else Activity.MESSAGE)
    kind = Kind.ACTION if action else Kind.MESSAGE if own else Kind.PRIVATE_IN
    return Said(window, kind, text, nick, own, False, Activity.NONE if own else Activity.MENTION)


def _window_for(state: ChatState, sender: str, target: str, channel: bool, own: bool, notice: bool,
                prefix: str | None) -> Window:
    windows = state.windows
    if channel:
        return windows.find(target) or state.channel(target)
    from_server = not prefix or "!" not in prefix
    if from_server or state.phase is not Phase.CONNECTED:
        return windows.status
    peer = target if own else sender
    if notice:  # a notice opens nothing: its conversation's window if there is one, else the one on screen
        found = windows.find(peer)
        return found if found is not None else windows.active
    return state.query(peer)


def show(state: ChatState, said: Said, when: float, msgid: str | None = None, stamp: float | None = None,
         history: bool = False) -> Line | None:
    """Put a line in its window; None when that msgid is already there."""
    line = Line(when, said.kind, said.text, said.nick, said.own, said.mention, history=history)
    if not said.window.add(line, msgid, stamp):
        return None
    if not history:
        state.windows.mark(said.window, said.level)
    state.changed = True
    return line


@handles("PRIVMSG", "NOTICE")
def privmsg(state: ChatState, msg: Message, now: float) -> list[Reply]:
    if _echoed(state, msg):
        return []
    said = read(state, msg)
    if said is None:
        return _ctcp_request(state, msg, now)
    show(state, said, now, msg.tag("msgid"), parse_time(msg.tag("time")) or now)
    return []


@handles("TAGMSG")
def tagmsg(state: ChatState, msg: Message, now: float) -> list[Reply]:
    return []  # typing notices and reactions: nothing a terminal shows


def _echoed(state: ChatState, msg: Message) -> bool:
    """Our own line came back (echo-message): confirm the line shown for it rather than show it again."""
    if "echo-message" not in state.caps or not msg.prefix or not state.is_me(nick_of(msg.prefix)):
        return False
    target, text = casefold(msg.param(0)), msg.param(1)
    for echo in list(state.echoes):
        if casefold(echo.target) == target and echo.text == text:
            state.echoes.remove(echo)
            confirm(state, echo, msg)
            return True
    return False


def confirm(state: ChatState, echo: Echo, msg: Message) -> None:
    """The server has our line: shown as confirmed, and known by its msgid so history never repeats it."""
    if echo.line is None:
        return
    echo.line.confirmed()
    msgid = msg.tag("msgid")
    window = state.windows.find(echo.target)
    if msgid and window is not None:
        window.backlog.remember(msgid, parse_time(msg.tag("time")), echo.line)
    state.changed = True


def await_echo(state: ChatState, target: str, text: str, line: Line | None, now: float) -> None:
    """A PRIVMSG or NOTICE of ours has left; with echo-message, expect it back."""
    if "echo-message" not in state.caps:
        return
    state.echoes.append(Echo(target, text, state.nick, now, line))
    if line is not None:
        line.pending = True
        state.changed = True


def expire_echoes(state: ChatState, now: float) -> None:
    """Lines the server has not echoed in time are flagged as not confirmed.

    One whose connection was lost is flagged too, but still listed: the
    history after the reconnect may show it arrived after all.
    """
    timeout = state.settings.echo_timeout
    while state.echoes and now - state.echoes[0].sent >= timeout:
        _unconfirmed(state, state.echoes.popleft())
    for echo in state.lost_echoes:
        if now - echo.sent >= timeout:
            _unconfirmed(state, echo)


def connection_lost(state: ChatState) -> None:
    """Echoes can no longer come: history after the reconnect may still show the lines arrived."""
    state.lost_echoes.extend(state.echoes)
    state.echoes.clear()


def settle_lost(state: ChatState, window: Window | None = None, private: bool = False,
                coming: Collection[str] = ()) -> None:
    """What history did not confirm (of one window's conversation, of private ones, or all) is flagged.

    `coming`: (casefolded) conversations whose history is on its way; their lines wait for it.
    """
    keep = []
    for echo in state.lost_echoes:
        if (window is None and not private) or (
                private and not state.features.is_channel(echo.target) and casefold(echo.target) not in coming) or (
                window is not None and casefold(echo.target) == casefold(window.name)):
            _unconfirmed(state, echo)
        else:
            keep.append(echo)
    state.lost_echoes = keep


def confirmed_by_history(state: ChatState, window: Window, msg: Message) -> bool:
    """A history line that is one of ours whose echo the lost connection took: it confirms that line."""
    if not state.lost_echoes or not msg.prefix or msg.command != "PRIVMSG":
        return False
    sender, text = nick_of(msg.prefix), msg.param(1)
    for echo in state.lost_echoes:
        if (casefold(echo.nick) == casefold(sender) and echo.text == text
                and casefold(echo.target) == casefold(window.name)):
            state.lost_echoes.remove(echo)
            confirm(state, echo, msg)
            return True
    return False


def _unconfirmed(state: ChatState, echo: Echo) -> None:
    if echo.line is not None and echo.line.pending and not echo.line.unconfirmed:
        echo.line.pending = False
        echo.line.unconfirmed = True
        state.changed = True


def _ctcp_request(state: ChatState, msg: Message, now: float) -> list[Reply]:
    sender = nick_of(msg.prefix)
    verb, _, arg = msg.param(1).strip("\x01").partition(" ")
    verb = verb.upper()
    state.status(now, f"{sender} asked for CTCP {verb}")
    if verb == "VERSION":
        return [("NOTICE", sender, f"\x01VERSION {CLIENT_VERSION}\x01")]
    if verb == "PING":
        return [("NOTICE", sender, f"\x01PING {arg}\x01")]
    if verb == "TIME":
        return [("NOTICE", sender, f"\x01TIME {time.ctime(now)}\x01")]
    return []
