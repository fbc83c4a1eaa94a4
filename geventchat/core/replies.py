"""Multi-line replies: the welcome burst, LUSERS, MOTD, NAMES, WHOIS, WHO lines."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import TYPE_CHECKING

from .. import __version__
from ..protocol import numerics as N
from .state import User

if TYPE_CHECKING:
    from .context import Context

VERSION = f"geventchat-{__version__}"
USER_MODES = "iow"
CHANNEL_MODES = "nt"


def isupport_tokens(ctx: Context) -> list[str]:
    """RPL_ISUPPORT: only what is built (no channel prefixes, the lobby's two flag modes)."""
    config = ctx.chat.config
    limits = config.limits
    return [
        "CASEMAPPING=rfc1459",
        "CHANTYPES=#",
        f"CHANNELLEN={limits.channellen}",
        f"NICKLEN={limits.nicklen}",
        f"USERLEN={limits.userlen}",
        f"AWAYLEN={limits.awaylen}",
        f"NETWORK={config.server.network}",
        "PREFIX=",
        f"CHANMODES=,,,{CHANNEL_MODES}",
        f"TARGMAX=PRIVMSG:{limits.max_targets},NOTICE:{limits.max_targets},TAGMSG:{limits.max_targets},"
        f"WHOIS:{limits.max_whois_targets},USERHOST:{limits.max_userhost}",
    ] + ([f"CHATHISTORY={config.history.chathistory_max}", "MSGREFTYPES=timestamp,msgid"]
         if ctx.chat.history is not None else [])


def welcome(ctx: Context) -> None:
    """001-005, then LUSERS and the MOTD: what every client expects on registration."""
    user = ctx.session.user
    assert user is not None
    config = ctx.chat.config
    server = config.server
    created = time.strftime("%a %b %d %Y at %H:%M:%S UTC", time.gmtime(ctx.chat.created))
    ctx.reply(N.RPL_WELCOME, f"Welcome to the {server.network} IRC Network {user.prefix}")
    ctx.reply(N.RPL_YOURHOST, f"Your host is {server.name}, running version {VERSION}")
    ctx.reply(N.RPL_CREATED, f"This server was created {created}")
    ctx.reply(N.RPL_MYINFO, server.name, VERSION, USER_MODES, CHANNEL_MODES)
    isupport(ctx)
    lusers(ctx)
    motd(ctx)


ISUPPORT_PER_LINE = 13
"""RFC 2812 leaves room for 13 tokens in one 005 beside the nick and the trailing text."""


def isupport(ctx: Context) -> None:
    tokens = isupport_tokens(ctx)
    for start in range(0, len(tokens), ISUPPORT_PER_LINE):
        ctx.reply(N.RPL_ISUPPORT, *tokens[start:start + ISUPPORT_PER_LINE], "are supported by this server")


def lusers(ctx: Context) -> None:
    chat = ctx.chat
    users = len(chat.registry)
    local = chat.registry.local_count()
    servers = chat.registry.server_count()
    unknown = chat.unregistered_count()
    ctx.reply(N.RPL_LUSERCLIENT, f"There are {users} users and 0 invisible on {servers} servers")
    if unknown:
        ctx.reply(N.RPL_LUSERUNKNOWN, str(unknown), "unknown connection(s)")
    ctx.reply(N.RPL_LUSERCHANNELS, "1", "channels formed")
    ctx.reply(N.RPL_LUSERME, f"I have {local} clients and {servers - 1} servers")
    peak = str(chat.registry.max_users)
    ctx.reply(N.RPL_LOCALUSERS, str(local), peak, f"Current local users {local}, max {peak}")
    ctx.reply(N.RPL_GLOBALUSERS, str(users), peak, f"Current global users {users}, max {peak}")


def motd(ctx: Context) -> None:
    lines = ctx.chat.motd
    if lines is None:
        ctx.reply(N.ERR_NOMOTD, "MOTD File is missing")
        return
    ctx.reply(N.RPL_MOTDSTART, f"- {ctx.chat.config.server.name} Message of the day - ")
    for line in lines:
        ctx.reply(N.RPL_MOTD, f"- {line}")
    ctx.reply(N.RPL_ENDOFMOTD, "End of /MOTD command.")


_NICK = attrgetter("nick")
_PREFIX = attrgetter("prefix")


def names(ctx: Context, channel: str, users: Iterable[User], before_end: Callable[[], None] | None = None) -> None:
    """353 lines packed under 512 bytes, then 366; `nick!user@host` under userhost-in-names.

    `before_end` sends what must come between the names and their end (a read marker).
    """
    items = map(_PREFIX if "userhost-in-names" in ctx.session.caps else _NICK, users)
    ctx.outbox.numeric_list(ctx.session, N.RPL_NAMREPLY, ("=", channel), items)
    if before_end is not None:
        before_end()
    ctx.reply(N.RPL_ENDOFNAMES, channel, "End of /NAMES list.")


def whois(ctx: Context, user: User, idle: int) -> None:
    server = ctx.chat.config.server
    ctx.reply(N.RPL_WHOISUSER, user.nick, user.user, user.host, "*", user.realname)
    ctx.reply(N.RPL_WHOISCHANNELS, user.nick, ctx.chat.lobby)
    ctx.reply(N.RPL_WHOISSERVER, user.nick, user.server or server.name, f"{server.network} server")
    if "o" in user.modes:
        ctx.reply(N.RPL_WHOISOPERATOR, user.nick, "is an IRC operator")
    if user.account:
        ctx.reply(N.RPL_WHOISACCOUNT, user.nick, user.account, "is logged in as")
    if user.secure:
        ctx.reply(N.RPL_WHOISSECURE, user.nick, "is using a secure connection")
    certfp = ctx.session.transport.certfp
    if user.uid == ctx.session.uid and certfp:  # a fingerprint is shown to its owner only
        ctx.reply(N.RPL_WHOISCERTFP, user.nick, f"has client certificate fingerprint {certfp}")
    ctx.reply(N.RPL_WHOISIDLE, user.nick, str(idle), str(int(user.signon)), "seconds idle, signon time")


def who_line(ctx: Context, mask: str, user: User) -> None:
    flags = ("G" if user.away else "H") + ("*" if "o" in user.modes else "")
    ctx.reply(N.RPL_WHOREPLY, mask, user.user, user.host, user.server, user.nick, flags, f"0 {user.realname}")
