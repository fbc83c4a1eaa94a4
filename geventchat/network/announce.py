"""Lines a node makes up for its own clients about the network.

When a node dies, splits or rejoins there is no sender to format the QUIT,
JOIN or NICK lines, so each node formats them for its own members, as its
own users saw things; and only this node can tell its users that the link
to the rest of the chat is down, or that lines they sent did not get there.
Everything goes through the outbox with here_only=True.
"""

from __future__ import annotations

import logging
import random
import time

from ..core.chat import Chat
from ..core.state import User
from ..protocol import numerics as N
from ..protocol.message import Message

log = logging.getLogger("geventchat")

GUEST = "Guest"
GUEST_TRIES = 20


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


def tell(chat: Chat, text: str, uids: set[str] | None = None) -> None:
    """A server NOTICE to every registered local user (or to these)."""
    for session in list(chat.sessions.values()):
        if session.user is not None and session.closed is None and (uids is None or session.uid in uids):
            chat.outbox.server_says(session, "NOTICE", session.nick, text)


def clock(stamp: float) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(stamp))


def link_down(chat: Chat, since: float, kept_seconds: float, dropped: int) -> None:
    lost = f"; {dropped} lines said here could not be kept" if dropped else ""
    tell(chat, f"The link to the rest of the chat is down since {clock(since)}: lines said here from now on "
               f"reach only the users of this server until it is back (the first {kept_seconds:g} s are kept "
               f"for the others){lost}")


def link_back(chat: Chat, since: float, now: float, dropped: int) -> None:
    lost = (f"{dropped} lines said here while it was down could not be kept and did not reach the others"
            if dropped else "every line said here meanwhile has been passed on")
    tell(chat, f"The link to the rest of the chat is back after {now - since:.0f} s: {lost}")


def undelivered(chat: Chat, counts: dict[str | None, int], why: str) -> None:
    """Tell each local sender how many of its lines did not reach the other servers, and why."""
    for uid, count in counts.items():
        if uid is not None and count:
            tell(chat, f"{count} line{'s' if count != 1 else ''} you sent did not reach the rest of the chat: {why}",
                 {uid})


def guest_nick(nicklen: int) -> str:
    digits = max(1, min(5, nicklen - len(GUEST)))
    return (GUEST + str(random.randrange(10 ** (digits - 1), 10**digits)))[: max(nicklen, 1)]


def force_rename(chat: Chat, uid: str, lost_nick: str) -> str | None:
    """Our user lost `lost_nick` to a user who holds it on the network: rename it, and say why.

    The NICK line goes to this node's clients only, from the loser's own
    prefix (they knew it by that nick); the other nodes learn the new nick
    from this node's HELLO, each announcing it as its own users saw the
    loser. A client still registering is told 433 and picks another nick.
    Returns the new nick, or None.
    """
    session = chat.sessions.get(uid)
    registry = chat.registry
    if session is None or session.closed is not None:
        return None
    user = session.user
    if user is None:
        registry.forget_claim(lost_nick, uid)  # type: ignore[attr-defined]
        session.nick = None
        chat.outbox.numeric(session, N.ERR_NICKNAMEINUSE, lost_nick, "Nickname is already in use")
        return None
    for _ in range(GUEST_TRIES):
        wanted = guest_nick(chat.config.limits.nicklen)
        if registry.claim_nick(wanted, uid):
            break
    else:
        chat.quit(session, "Nickname collision", time.time())
        return None
    old_prefix = user.prefix
    registry.forced_rename(user, wanted)  # type: ignore[attr-defined]
    session.nick = wanted
    chat.outbox.to_channels(chat.neighbours(user), Message("NICK", (wanted,), old_prefix), time.time(),
                            here_only=True)
    chat.outbox.server_says(
        session, "NOTICE", wanted,
        f"Your nick {lost_nick} is held by another user of the network, who had it first there; you are now {wanted}",
    )
    log.info("nick conflict: %s %s -> %s", uid, lost_nick, wanted)
    return wanted
