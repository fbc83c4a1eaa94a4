"""Channel events: joins, parts, kicks, quits, nick changes, topics, names, modes, invites.

Each lands in the window it concerns: a channel's events in its window, a
quit or a nick change in every window that person shares with us. Our own
JOIN opens (or revives) the channel's window and starts its history; our
own PART closes it; a KICK keeps it, marked as no longer joined.
"""

from __future__ import annotations

import time

from geventchat.protocol import numerics as N
from geventchat.protocol.message import Message
from geventchat.protocol.names import casefold

from . import history
from .handlers import Reply, handles, last, nick_of, reclaim_if_free, strip_formatting, userhost_of
from .state import Activity, ChatState, Kind, Window, WindowKind


def _window(state: ChatState, name: str) -> Window | None:
    window = state.windows.find(name)
    return window if window is not None and window.is_channel else None


def _here_or_active(state: ChatState, name: str) -> Window:
    """The channel's window when we have one, else the window on screen (a reply about another channel)."""
    return _window(state, name) or state.windows.active


@handles("JOIN")
def join(state: ChatState, msg: Message, now: float) -> list[Reply]:
    nick, name = nick_of(msg.prefix), msg.param(0)
    if state.is_me(nick):
        return _joined(state, name, msg.prefix or "", now)
    window = _window(state, name)
    if window is not None and window.joined:
        window.add_member(nick)
        state.status(now, f"{nick} ({userhost_of(msg.prefix)}) joined {name}", window)
    return []


def _joined(state: ChatState, name: str, prefix: str, now: float) -> list[Reply]:
    """We are in a channel: its window opens (or comes back), shown when the user asked for it."""
    folded = casefold(name)
    first_channel = not state.windows.channels()
    window = state.channel(name)
    window.joined = True
    window.members.clear()
    window.add_member(nick_of(prefix))
    state.prefix = prefix
    key = state.wanted.get(folded, (name, ""))[1]
    state.wanted[folded] = (name, key)
    joined = {casefold(w.name) for w in state.joined()}
    if all(wanted in joined for wanted in state.wanted):
        state.join_due = None    # nothing left for us to join ourselves
    asked = folded in state.join_asked
    state.join_asked.discard(folded)
    replies = history.start(state, window, now)
    state.status(now, f"You joined {name}", window)
    if asked or (first_channel and state.windows.active is state.windows.status):
        state.windows.show(window)
    return replies


@handles("PART")
def part(state: ChatState, msg: Message, now: float) -> list[Reply]:
    nick, name = nick_of(msg.prefix), msg.param(0)
    reason = f" ({strip_formatting(msg.param(1))})" if msg.param(1) else ""
    window = _window(state, name)
    if state.is_me(nick):
        state.wanted.pop(casefold(name), None)
        if window is not None:
            history.forget(state, window)
            state.windows.close(window)
        state.status(now, f"You left {name}{reason}", state.windows.status)
        state.changed = True
    elif window is not None and window.remove_member(nick):
        state.status(now, f"{nick} left {name}{reason}", window)
    return []


@handles("KICK")
def kick(state: ChatState, msg: Message, now: float) -> list[Reply]:
    name, victim, reason = msg.param(0), msg.param(1), strip_formatting(msg.param(2))
    by = nick_of(msg.prefix)
    window = _window(state, name)
    if state.is_me(victim):
        state.wanted.pop(casefold(name), None)
        target = window or state.windows.status
        if window is not None:
            window.leave()
        state.add(now, Kind.ERROR, f"You were kicked from {name} by {by} ({reason}); /join {name} to go back",
                  window=target, level=Activity.MENTION)
    elif window is not None and window.remove_member(victim):
        state.status(now, f"{victim} was kicked from {name} by {by} ({reason})", window)
    return []


@handles("QUIT")
def quit_(state: ChatState, msg: Message, now: float) -> list[Reply]:
    nick = nick_of(msg.prefix)
    text = f"{nick} quit ({strip_formatting(msg.param(0))})"
    for window in _windows_of(state, nick):
        window.remove_member(nick)
        state.status(now, text, window)
    return reclaim_if_free(state, nick, now)


def _windows_of(state: ChatState, nick: str) -> list[Window]:
    """The windows where a person is: channels they are in with us, our conversation with them."""
    folded = casefold(nick)
    return [w for w in state.windows if (w.is_channel and w.joined and folded in w.members)
            or (w.kind is WindowKind.QUERY and casefold(w.name) == folded)]


@handles("NICK")
def nick(state: ChatState, msg: Message, now: float) -> list[Reply]:
    old, new = nick_of(msg.prefix), msg.param(0)
    replies: list[Reply] = []
    if state.is_me(old):
        state.nick = new
        state.prefix = new + (msg.prefix or "")[len(old):] if state.prefix else ""
        if state.reclaiming and casefold(new) == casefold(state.wanted_nick):
            text = f"You have your nick back: you are now known as {new}"
        else:
            text = f"You are now known as {new}"
        state.reclaiming = False
        for window in state.windows:
            window.rename_member(old, new)
            state.status(now, text, window)
    else:
        windows = _windows_of(state, old)
        query = state.windows.find(old)
        if query is not None and query.kind is WindowKind.QUERY and state.windows.find(new) is None:
            query.name = new
        for window in windows:
            window.rename_member(old, new)
            state.status(now, f"{old} is now known as {new}", window)
        replies = reclaim_if_free(state, old, now)
    state.changed = True
    return replies


@handles("TOPIC")
def topic(state: ChatState, msg: Message, now: float) -> list[Reply]:
    name, text = msg.param(0), strip_formatting(msg.param(1))
    window = _here_or_active(state, name)
    if window.is_channel:
        window.topic = text
    who = nick_of(msg.prefix)
    state.status(now, f"{who} changed the topic of {name} to: {text}" if text else f"{who} cleared the topic of {name}",
                 window)
    return []


@handles(N.RPL_TOPIC)
def topic_reply(state: ChatState, msg: Message, now: float) -> list[Reply]:
    name, text = msg.param(1), strip_formatting(last(msg))
    window = _here_or_active(state, name)
    if window.is_channel and casefold(window.name) == casefold(name):
        window.topic = text
    state.status(now, f"Topic of {name}: {text}", window)
    return []


@handles(N.RPL_NOTOPIC)
def no_topic(state: ChatState, msg: Message, now: float) -> list[Reply]:
    name = msg.param(1)
    window = _here_or_active(state, name)
    if window.is_channel and casefold(window.name) == casefold(name):
        window.topic = ""
    state.status(now, f"No topic is set for {name}", window)
    return []


@handles(N.RPL_TOPICWHOTIME)
def topic_who_time(state: ChatState, msg: Message, now: float) -> list[Reply]:
    name, who, when = msg.param(1), nick_of(msg.param(2)), msg.param(3)
    text = f"Topic set by {who}"
    if when.isdigit():
        text += " on " + time.strftime("%Y-%m-%d %H:%M", time.localtime(int(when)))
    state.status(now, text, _here_or_active(state, name))
    return []


@handles(N.RPL_NAMREPLY)
def names_reply(state: ChatState, msg: Message, now: float) -> list[Reply]:
    pending = state.pending_names.setdefault(casefold(msg.param(2)), {})
    for name in last(msg).split():
        prefixes, nick = state.features.split_prefixes(name)
        if nick:
            pending[casefold(nick)] = (prefixes, nick)
    return []


@handles(N.RPL_ENDOFNAMES)
def end_of_names(state: ChatState, msg: Message, now: float) -> list[Reply]:
    name = msg.param(1)
    found = state.pending_names.pop(casefold(name), {})
    window = _window(state, name)
    if window is not None and window.joined:
        window.members.clear()
        for prefixes, nick in found.values():
            window.add_member(nick, prefixes)
        state.changed = True
    features = state.features
    listed = sorted(found.values(), key=lambda pair: (features.rank(pair[0]), casefold(pair[1])))
    names = " ".join(prefixes[:1] + nick for prefixes, nick in listed)
    state.status(now, f"{len(listed)} in {name}: {names}", window or state.windows.active)
    return []


@handles("MODE")
def mode(state: ChatState, msg: Message, now: float) -> list[Reply]:
    target, modes, args = msg.param(0), msg.param(1), list(msg.params[2:])
    by = nick_of(msg.prefix) or state.server
    shown = " ".join([modes, *args])
    if not state.features.is_channel(target):
        state.status(now, f"mode/{target} [{shown}] by {by}", state.windows.status)
        return []
    window = _window(state, target)
    if window is None:
        return []
    for change in state.features.mode_changes(modes, args):
        symbol = state.features.symbol_of(change.mode)
        member = window.member(change.arg) if symbol and change.arg else None
        if member is not None:
            member.prefixes = state.features.with_prefix(member.prefixes, symbol, change.adding)
    state.status(now, f"mode/{target} [{shown}] by {by}", window)
    state.changed = True
    return []


@handles(N.RPL_CHANNELMODEIS)
def channel_modes(state: ChatState, msg: Message, now: float) -> list[Reply]:
    name = msg.param(1)
    state.status(now, f"Modes of {name}: {' '.join(msg.params[2:])}", _here_or_active(state, name))
    return []


@handles(N.RPL_CREATIONTIME)
def creation_time(state: ChatState, msg: Message, now: float) -> list[Reply]:
    name, when = msg.param(1), msg.param(2)
    if when.isdigit():
        state.status(now, f"{name} was made on {time.strftime('%Y-%m-%d %H:%M', time.localtime(int(when)))}",
                     _here_or_active(state, name))
    return []


@handles("INVITE")
def invite(state: ChatState, msg: Message, now: float) -> list[Reply]:
    by, who, name = nick_of(msg.prefix), msg.param(0), msg.param(1)
    if state.is_me(who):
        state.add(now, Kind.STATUS, f"{by} invites you to {name} (/join {name})", level=Activity.MENTION)
    else:
        window = _here_or_active(state, name)
        state.status(now, f"{by} invited {who} to {name}", window)
    return []


@handles(N.RPL_INVITING)
def inviting(state: ChatState, msg: Message, now: float) -> list[Reply]:
    who, name = msg.param(1), msg.param(2)
    state.status(now, f"You invited {who} to {name}", _here_or_active(state, name))
    return []


JOIN_REFUSED = {N.ERR_CHANNELISFULL, N.ERR_INVITEONLYCHAN, N.ERR_BANNEDFROMCHAN, N.ERR_BADCHANNELKEY,
                N.ERR_TOOMANYCHANNELS, N.ERR_NOSUCHCHANNEL, N.ERR_BADCHANMASK}
"""Numerics that mean a JOIN of ours failed: the channel is not to be joined again by itself."""


def join_refused(state: ChatState, msg: Message) -> None:
    name = msg.param(1)
    state.join_asked.discard(casefold(name))
    window = _window(state, name)
    if window is None or not window.joined:
        state.wanted.pop(casefold(name), None)
