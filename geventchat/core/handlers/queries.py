"""WHOIS WHO LUSERS MOTD VERSION TIME ISON USERHOST: asking about the chat."""

from __future__ import annotations

import time

from ...protocol import numerics as N
from ...protocol.message import Message
from .. import replies
from ..channels import Channel
from ..context import Context, IrcError
from ..state import User


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


WHOX_FIELDS = "tcuihsnfdlaor"
"""WHOX fields in the order their values are written (a `%` field list picks among them)."""


def who(ctx: Context, msg: Message) -> None:
    """WHO [<mask> [%<fields>[,<token>]]]

    A channel lists its members (a secret one only to members); a nick, that
    user; `*`, `0` or nothing, everyone the client may see (not +i strangers).
    With a `%` field list (WHOX) each answer is a 354 of those fields.
    """
    chat = ctx.chat
    mask = msg.param(0) or "*"
    fields, token = None, None
    if len(msg.params) > 1 and msg.params[1].startswith("%"):
        fields, _, token = msg.params[1][1:].partition(",")
    if mask.startswith("#"):
        channel = chat.channels.find(mask)
        if channel is not None and (not channel.secret or channel.has(ctx.session.uid)):
            for user in list(channel.members.values()):
                _who_answer(ctx, channel, user, fields, token)
    elif mask in ("*", "0"):
        me = ctx.session.uid
        for user in chat.registry.users():
            if user.uid == me or "i" not in user.modes or chat.channels.shared(user.uid, me):
                _who_answer(ctx, _first_shared(ctx, user), user, fields, token)
    else:
        user = chat.registry.find(mask)
        if user is not None:
            _who_answer(ctx, _first_shared(ctx, user), user, fields, token)
    ctx.reply(N.RPL_ENDOFWHO, mask, "End of /WHO list.")


def _first_shared(ctx: Context, user: User) -> Channel | None:
    """The channel a WHO line names for a user: one it shares with the asker, else none."""
    mine = ctx.chat.channels.of(ctx.session.uid)
    for channel in ctx.chat.channels.channels_of(user.uid):
        if channel.folded in mine:
            return channel
    return None


def _who_answer(ctx: Context, channel: Channel | None, user: User, fields: str | None, token: str | None) -> None:
    if fields is None:
        replies.who_line(ctx, channel, user)
        return
    values = {
        "t": token or "0",
        "c": channel.name if channel is not None else "*",
        "u": user.user,
        "i": "255.255.255.255",
        "h": user.host,
        "s": user.server,
        "n": user.nick,
        "f": replies.who_flags(ctx, user, channel),
        "d": "0",
        "l": str(max(0, int(ctx.now - user.last_spoke))),
        "a": user.account or "0",
        "o": "n/a",
        "r": user.realname,
    }
    chosen = [values[f] for f in WHOX_FIELDS if f in fields]
    if chosen:
        ctx.reply(N.RPL_WHOSPCRPL, *chosen)


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
