"""Lines a node makes up for its own clients about users of other nodes.

When a node dies, splits or rejoins there is no sender to format the QUIT,
JOIN or NICK lines, so each node formats them for its own members.
"""

from __future__ import annotations

import logging
import random
import time

from ..core.chat import Chat
from ..core.state import User
from ..protocol.message import Message
from ..protocol.names import casefold

log = logging.getLogger("geventchat")

GUEST = "Guest"


def quits(chat: Chat, users: list[User], reason: str) -> None:
    """Users of another node are gone: their neighbours here see them quit, then they leave every channel."""
    now = time.time()
    for user in users:
        chat.outbox.to_channels(chat.neighbours(user), Message("QUIT", (reason,), user.prefix), now, here_only=True)
        chat.user_gone(user.uid)


def join(chat: Chat, user: User) -> None:
    """A user of another node arrived in the lobby while this node was not listening: say so here."""
    if chat.lobby:
        chat.outbox.to_channel(
            chat.lobby_folded, Message("JOIN", (chat.lobby,), user.prefix), time.time(), here_only=True,
            extended=Message("JOIN", (chat.lobby, user.account or "*", user.realname), user.prefix),
        )


def nick(chat: Chat, user: User, old_prefix: str) -> None:
    chat.outbox.to_channels(chat.neighbours(user), Message("NICK", (user.nick,), old_prefix), time.time(),
                            here_only=True)


def guest_nick(nicklen: int) -> str:
    digits = max(1, min(5, nicklen - len(GUEST)))
    return (GUEST + str(random.randrange(10 ** (digits - 1), 10**digits)))[: max(nicklen, 1)]


def force_rename(chat: Chat, uid: str, lost_nick: str) -> None:
    """Our user lost `lost_nick` to an earlier signon: move it to a guest nick, and say why.

    Goes through the NICK command itself, so the claim, the directory and the
    NICK line everyone sees are exactly those of a rename the user asked for.
    """
    session = chat.sessions.get(uid)
    if session is None or session.user is None or casefold(session.user.nick) != casefold(lost_nick):
        return
    for _ in range(5):
        wanted = guest_nick(chat.config.limits.nicklen)
        chat.handle(session, Message("NICK", (wanted,)), time.time())
        if session.nick == wanted:
            chat.outbox.server_says(
                session, "NOTICE", wanted,
                f"Your nick {lost_nick} is held by an earlier signon elsewhere on the network; you are now {wanted}",
            )
            log.info("nick conflict: %s %s -> %s", uid, lost_nick, wanted)
            return
