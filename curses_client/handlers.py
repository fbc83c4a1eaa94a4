"""The table of what to do with each server message, and the helpers its handlers share.

HANDLERS maps a command or numeric to a function `(state, msg, now) ->
replies`, where replies are messages to send back (PONG, CAP END, an
alternative NICK, a CHATHISTORY request). The handlers live in modules by
subject (registration, channels, talk, history, accounts); incoming.py
gathers them. None does I/O.
"""

from __future__ import annotations

import re
from typing import Callable

from geventchat.protocol.message import Message
from geventchat.protocol.names import casefold

from .state import ChatState, Phase

Reply = tuple[str, ...]
Handler = Callable[[ChatState, Message, float], list[Reply]]

HANDLERS: dict[str, Handler] = {}

_FORMATTING = re.compile(r"\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]")


def handles(*commands: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for command in commands:
            HANDLERS[command] = fn
        return fn
    return register


def nick_of(prefix: str | None) -> str:
    return (prefix or "").split("!", 1)[0]


def userhost_of(prefix: str | None) -> str:
    return (prefix or "").partition("!")[2]


def last(msg: Message) -> str:
    """The trailing parameter, or "" when a server sent none."""
    return msg.params[-1] if msg.params else ""


def strip_formatting(text: str) -> str:
    """Drop mIRC colour and bold codes: we show text, not control bytes."""
    return _FORMATTING.sub("", text)


def reclaim_if_free(state: ChatState, nick: str, now: float) -> list[Reply]:
    """Someone left our nick: take it back (once; the answer says whether it worked)."""
    if (state.phase is Phase.CONNECTED and not state.reclaiming and casefold(nick) == casefold(state.wanted_nick)
            and not state.is_me(state.wanted_nick)):
        state.reclaiming = True
        state.note(now, f"{state.wanted_nick} is free again: taking it back")
        return [("NICK", state.wanted_nick)]
    return []
