"""Multi-line replies: the welcome burst, ISUPPORT, LUSERS, MOTD, NAMES, TOPIC, WHOIS, WHO lines."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import TYPE_CHECKING

from .. import __version__
from ..protocol import numerics as N
from .channels import FLAG_MODES, KEY_MODE, LIMIT_MODE, LIST_MODES, STATUS_MODES, STATUS_PREFIX, Channel
from .state import User

if TYPE_CHECKING:
    from .context import Context

VERSION = f"geventchat-{__version__}"
USER_MODES = "iow"
CHANNEL_MODES = "".join(sorted(LIST_MODES + KEY_MODE + LIMIT_MODE + FLAG_MODES + STATUS_MODES))
CHANNEL_MODES_WITH_PARAMS = "".join(sorted(LIST_MODES + KEY_MODE + LIMIT_MODE + STATUS_MODES))


def isupport_tokens(ctx: Context) -> list[str]:
    """RPL_ISUPPORT: what the server does, and its limits, each token telling the truth."""
    config = ctx.chat.config
    limits, channels = config.limits, config.channels
    targets = limits.max_targets
    tokens = [
        "CASEMAPPING=rfc1459",
        "CHANTYPES=#",
        f"CHANMODES={LIST_MODES},{KEY_MODE},{LIMIT_MODE},{FLAG_MODES}",
        f"PREFIX=({STATUS_MODES}){''.join(STATUS_PREFIX[m] for m in STATUS_MODES)}",
        f"STATUSMSG={''.join(STATUS_PREFIX[m] for m in STATUS_MODES)}",
        f"CHANLIMIT=#:{channels.max_channels_per_user}",
        f"CHANNELLEN={limits.channellen}",
        f"TOPICLEN={channels.topiclen}",
        f"KICKLEN={channels.kicklen}",
        f"MAXLIST={LIST_MODES}:{channels.maxlist}",
        f"MODES={channels.modes_per_command}",
        "EXCEPTS=e",
        "INVEX=I",
        "ELIST=MNU",
        f"NICKLEN={limits.nicklen}",
        f"USERLEN={limits.userlen}",
        f"AWAYLEN={limits.awaylen}",
        f"NETWORK={config.server.network}",
        "WHOX",
        f"TARGMAX=PRIVMSG:{targets},NOTICE:{targets},TAGMSG:{targets},JOIN:,PART:,KICK:,"
        f"WHOIS:{limits.max_whois_targets},USERHOST:{limits.max_userhost},NAMES:",
    ]
    if ctx.chat.history is not None:
        tokens += [f"CHATHISTORY={config.history.chathistory_max}", "MSGREFTYPES=timestamp,msgid"]
    return tokens


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
    ctx.reply(N.RPL_MYINFO, server.name, VERSION, USER_MODES, CHANNEL_MODES, CHANNEL_MODES_WITH_PARAMS)
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
    ctx.reply(N.RPL_LUSERCHANNELS, str(len(chat.channels)), "channels formed")
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


def names(ctx: Context, channel: Channel, before_end: Callable[[], None] | None = None) -> None:
    """353 lines packed under 512 bytes, then 366; `@`/`+` before members with a status (all of
    them under multi-prefix), `nick!user@host` under userhost-in-names, `@` for a secret channel.

    Every arrival in the lobby gets its whole list, so members without a status
    are named by a C loop (map over attrgetter), not a Python loop per member.
    `before_end` sends what must come between the names and their end (a read marker).
    """
    caps = ctx.session.caps
    name = _PREFIX if "userhost-in-names" in caps else _NICK
    members = channel.members
    if channel.status:
        every = "multi-prefix" in caps
        marked = [channel.prefixes(uid, every) + name(members[uid]) for uid in channel.status if uid in members]
        plain = map(name, (user for uid, user in members.items() if uid not in channel.status))
        items: Iterable[str] = itertools.chain(marked, plain)
    else:
        items = map(name, members.values())
    kind = "@" if channel.secret else "="
    ctx.outbox.numeric_list(ctx.session, N.RPL_NAMREPLY, (kind, channel.name), items)
    if before_end is not None:
        before_end()
    ctx.reply(N.RPL_ENDOFNAMES, channel.name, "End of /NAMES list.")


def topic(ctx: Context, channel: Channel) -> None:
    """332 and 333 (who set it, when), or 331."""
    if not channel.topic:
        ctx.reply(N.RPL_NOTOPIC, channel.name, "No topic is set")
        return
    ctx.reply(N.RPL_TOPIC, channel.name, channel.topic)
    ctx.reply(N.RPL_TOPICWHOTIME, channel.name, channel.topic_by, str(int(channel.topic_at)))


def whois(ctx: Context, user: User, idle: int) -> None:
    server = ctx.chat.config.server
    ctx.reply(N.RPL_WHOISUSER, user.nick, user.user, user.host, "*", user.realname)
    chat, asker = ctx.chat, ctx.session.uid
    every = "multi-prefix" in ctx.session.caps
    shown = [channel.prefixes(user.uid, every) + channel.name for channel in chat.channels.channels_of(user.uid)
             if not channel.secret or channel.has(asker)]
    if shown:
        ctx.outbox.numeric_list(ctx.session, N.RPL_WHOISCHANNELS, (user.nick,), shown)
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


def who_flags(ctx: Context, user: User, channel: Channel | None) -> str:
    """H or G (here, gone), `*` for a server operator, then the member's prefixes in `channel`."""
    flags = "G" if user.away else "H"
    if "o" in user.modes:
        flags += "*"
    if channel is not None:
        flags += channel.prefixes(user.uid, "multi-prefix" in ctx.session.caps)
    return flags


def who_line(ctx: Context, channel: Channel | None, user: User) -> None:
    """352: `<channel> <user> <host> <server> <nick> <flags> :<hopcount> <real name>`."""
    ctx.reply(N.RPL_WHOREPLY, channel.name if channel is not None else "*", user.user, user.host, user.server,
              user.nick, who_flags(ctx, user, channel), f"0 {user.realname}")
