"""Multi-line replies: the welcome burst, LUSERS, MOTD, NAMES, WHOIS, WHO lines."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import __version__
from ..protocol import numerics as N
from ..protocol.message import MAX_LINE, format_line
from .state import User

if TYPE_CHECKING:
    from .context import Context

VERSION = f"geventchat-{__version__}"
USER_MODES = "i"
CHANNEL_MODES = "nt"


def isupport_tokens(ctx: Context) -> list[str]:
    config = ctx.chat.config
    return [
        "CASEMAPPING=rfc1459",
        "CHANTYPES=#",
        "CHANNELLEN=50",
        f"NICKLEN={config.nicklen}",
        f"NETWORK={config.network}",
        "PREFIX=(ov)@+",
        "CHANMODES=b,k,l,nt",
        "TARGMAX=PRIVMSG:4,NOTICE:4",
    ]


def welcome(ctx: Context) -> None:
    """001-005, then LUSERS and the MOTD: what every client expects on registration."""
    user = ctx.session.user
    assert user is not None
    config = ctx.chat.config
    created = time.strftime("%a %b %d %Y at %H:%M:%S UTC", time.gmtime(ctx.chat.created))
    ctx.reply(N.RPL_WELCOME, f"Welcome to the {config.network} IRC Network {user.prefix}")
    ctx.reply(N.RPL_YOURHOST, f"Your host is {config.server_name}, running version {VERSION}")
    ctx.reply(N.RPL_CREATED, f"This server was created {created}")
    ctx.reply(N.RPL_MYINFO, config.server_name, VERSION, USER_MODES, CHANNEL_MODES)
    ctx.reply(N.RPL_ISUPPORT, *isupport_tokens(ctx), "are supported by this server")
    lusers(ctx)
    motd(ctx)


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
    ctx.reply(N.RPL_MOTDSTART, f"- {ctx.chat.config.server_name} Message of the day - ")
    for line in lines:
        ctx.reply(N.RPL_MOTD, f"- {line}")
    ctx.reply(N.RPL_ENDOFMOTD, "End of /MOTD command.")


def names(ctx: Context, room: str, nicks: Iterable[str]) -> None:
    """353 lines packed under 512 bytes, then 366.

    Every arrival gets the whole list, so this runs over every nick once per
    registration: the packing is done by join() and rfind() over the bytes,
    not by a Python loop per nick (a space never occurs inside a UTF-8
    character), and the head is formatted once: the lines differ only in
    their nicks, which need no cleaning and fit the budget by construction.
    """
    head = format_line(N.RPL_NAMREPLY, ctx.session.name, "=", room, "x", prefix=ctx.chat.config.server_name)[:-3]
    budget = MAX_LINE - 2 - len(head)  # a line's nicks and spaces stay under this
    send = ctx.session.send
    text = " ".join(nicks).encode()
    start, end = 0, len(text)
    while start < end:
        if end - start < budget:
            stop = end
        else:
            stop = text.rfind(b" ", start, start + budget)
            if stop <= start:  # one nick longer than the budget goes alone (and is cut)
                stop = text.find(b" ", start)
                stop = end if stop < 0 else stop
                ctx.reply(N.RPL_NAMREPLY, "=", room, text[start:stop].decode())
                start = stop + 1
                continue
        send(head + text[start:stop] + b"\r\n")
        start = stop + 1
    ctx.reply(N.RPL_ENDOFNAMES, room, "End of /NAMES list.")


def whois(ctx: Context, user: User, idle: int) -> None:
    server = ctx.chat.config.server_name
    ctx.reply(N.RPL_WHOISUSER, user.nick, user.user, user.host, "*", user.realname)
    ctx.reply(N.RPL_WHOISCHANNELS, user.nick, ctx.chat.lobby)
    ctx.reply(N.RPL_WHOISSERVER, user.nick, user.server or server, f"{ctx.chat.config.network} server")
    ctx.reply(N.RPL_WHOISIDLE, user.nick, str(idle), str(int(user.signon)), "seconds idle, signon time")


def who_line(ctx: Context, mask: str, user: User) -> None:
    flags = "G" if user.away else "H"
    ctx.reply(N.RPL_WHOREPLY, mask, user.user, user.host, user.server, user.nick, flags, f"0 {user.realname}")
