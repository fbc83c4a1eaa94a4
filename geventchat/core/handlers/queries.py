"""WHOIS WHO NAMES LUSERS MOTD VERSION TIME ISON USERHOST: asking about the chat."""

from __future__ import annotations

import time

from ...protocol import numerics as N
from ...protocol.message import Message
from ...protocol.names import casefold
from .. import replies
from ..context import Context, IrcError


def whois(ctx: Context, msg: Message) -> None:
    """WHOIS [<server>] <nick>{,<nick>}

    311 user, 319 channels, 312 server, 317 idle, then 318; 401 for a stranger.
    """
    if not msg.params or not msg.params[-1]:
        raise IrcError(N.ERR_NONICKNAMEGIVEN, "No nickname given")
    masks = msg.params[-1]
    for target in [t for t in masks.split(",") if t][: ctx.chat.config.limits.max_whois_targets]:
        user = ctx.chat.registry.find(target)
        if user is None:
            ctx.reply(N.ERR_NOSUCHNICK, target, "No such nick/channel")
            continue
        if user.away:
            ctx.reply(N.RPL_AWAY, user.nick, user.away)
        replies.whois(ctx, user, max(0, int(ctx.now - user.last_spoke)))
    ctx.reply(N.RPL_ENDOFWHOIS, masks, "End of /WHOIS list.")


def who(ctx: Context, msg: Message) -> None:
    """WHO [<mask>]

    The lobby (or no mask, `*`, `0`) lists everyone; a nick lists that user.
    """
    chat = ctx.chat
    mask = msg.param(0) or "*"
    if mask in ("*", "0") or casefold(mask) == chat.lobby_folded:
        for user in chat.registry.users():
            replies.who_line(ctx, chat.lobby, user)
    else:
        user = chat.registry.find(mask)
        if user is not None:
            replies.who_line(ctx, chat.lobby, user)
    ctx.reply(N.RPL_ENDOFWHO, mask, "End of /WHO list.")


def names(ctx: Context, msg: Message) -> None:
    """NAMES [<channel>]

    The lobby's members; any other channel has none.
    """
    chat = ctx.chat
    channel = msg.param(0).split(",")[0] or chat.lobby
    if casefold(channel) == chat.lobby_folded:
        replies.names(ctx, chat.lobby, chat.registry.users())
    else:
        ctx.reply(N.RPL_ENDOFNAMES, channel, "End of /NAMES list.")


def lusers(ctx: Context, msg: Message) -> None:
    """LUSERS

    How many are here: 251, 254, 255 (and 253 while some are still registering).
    """
    replies.lusers(ctx)


def motd(ctx: Context, msg: Message) -> None:
    """MOTD

    The message of the day from --motd-file, or 422 when there is none.
    """
    replies.motd(ctx)


def version(ctx: Context, msg: Message) -> None:
    """VERSION

    351 with the software version, then the 005 tokens again.
    """
    config = ctx.chat.config
    ctx.reply(N.RPL_VERSION, replies.VERSION + ".", config.server.name, "geventchat IRC server")
    replies.isupport(ctx)


def time_(ctx: Context, msg: Message) -> None:
    """TIME

    391 with the server's local time, readable.
    """
    stamp = time.strftime("%A %B %d %Y -- %H:%M:%S %z", time.localtime(ctx.now))
    ctx.reply(N.RPL_TIME, ctx.chat.config.server.name, stamp)


def ison(ctx: Context, msg: Message) -> None:
    """ISON <nick>{ <nick>}

    303 with those that are online, spelt as they are, as many as fit in one
    line (the reply's head is longer than the request's), never a nick cut in half.
    """
    registry = ctx.chat.registry
    online = (user.nick for user in map(registry.find, " ".join(msg.params).split()) if user is not None)
    ctx.reply(N.RPL_ISON, " ".join(ctx.outbox.fitting(ctx.session, N.RPL_ISON, online)))


def userhost(ctx: Context, msg: Message) -> None:
    """USERHOST <nick>{ <nick>}

    302 with `nick=+user@host` (`-` when away) for up to five nicks.
    """
    found = []
    for wanted in " ".join(msg.params).split()[: ctx.chat.config.limits.max_userhost]:
        user = ctx.chat.registry.find(wanted)
        if user is not None:
            found.append(f"{user.nick}={'-' if user.away else '+'}{user.user}@{user.host}")
    ctx.reply(N.RPL_USERHOST, " ".join(found))
