"""OPER KILL WALLOPS KLINE UNKLINE: operators keeping order."""

from __future__ import annotations

from ...protocol import numerics as N
from ...protocol.message import Message
from ...protocol.names import casefold
from ..accounts import StoreUnavailable
from ..context import Context, Fail, IrcError
from ..opers import Ban, parse_duration, parse_mask

NOT_OPERATOR = "Permission Denied- You're not an IRC operator"
WALLOPS = "*wallops"
"""The bus channel of users with +w: no client can name it (`*` starts no channel)."""


def _operator(ctx: Context) -> str:
    if not ctx.chat.is_operator(ctx.session):
        raise IrcError(N.ERR_NOPRIVILEGES, NOT_OPERATOR)
    return ctx.session.oper


def _notice(ctx: Context, text: str) -> None:
    ctx.send("NOTICE", ctx.session.name, text)


def oper(ctx: Context, msg: Message) -> None:
    """OPER <name> <password>

    381 and user mode +o for a configured operator's password; 491 for a
    name that is not one, 464 for a wrong password. Checked like a login:
    throttled per address, logged without the password.
    """
    session = ctx.session
    user = session.user
    assert user is not None
    name, verdict = ctx.chat.opers.check(session, msg.params[0], msg.params[1], ctx.now)
    if session.closed is not None:
        return
    if name is None:
        if verdict.wait:
            raise IrcError(N.ERR_PASSWDMISMATCH, verdict.why())
        if casefold(msg.params[0]) not in ctx.chat.opers.operators:
            raise IrcError(N.ERR_NOOPERHOST, "No O-lines for your host")
        raise IrcError(N.ERR_PASSWDMISMATCH, "Password incorrect")
    session.oper = name
    if "o" not in user.modes:
        user.modes = "".join(sorted(user.modes + "o"))
        ctx.chat.registry.changed(user)  # WHOIS 313 on every node
    ctx.reply(N.RPL_YOUREOPER, "You are now an IRC operator")
    ctx.outbox.send(session, Message("MODE", (user.nick, "+o"), user.prefix))
    ctx.chat.log_event("oper", session, f"as {name} from {session.host}")


def kill(ctx: Context, msg: Message) -> None:
    """KILL <nick> [:<reason>]

    Disconnect a user, on any node: it and its neighbours see
    `Killed (<operator> (<reason>))`.
    """
    name = _operator(ctx)
    target = ctx.chat.registry.find(msg.params[0])
    if target is None:
        raise IrcError(N.ERR_NOSUCHNICK, msg.params[0], "No such nick/channel")
    reason = f"Killed ({name} ({msg.param(1) or 'No reason given'}))"
    ctx.chat.kill(target.uid, reason, ctx.now)
    ctx.chat.log_event("kill", ctx.session, f"{target.nick}: {reason}")


def wallops(ctx: Context, msg: Message) -> None:
    """WALLOPS :<text>

    To every user with mode +w, on every node.
    """
    _operator(ctx)
    session = ctx.session
    user = session.user
    ctx.outbox.to_channel(WALLOPS, Message("WALLOPS", (msg.params[0],), user.prefix), ctx.now,
                          sender=session, echo="w" in user.modes)


def kline(ctx: Context, msg: Message) -> None:
    """KLINE [<duration>] <user@host> [:<reason>] | KLINE LIST

    Ban a mask from the server: kept across restarts and on every node,
    checked at registration, and applied at once to matching clients. A
    duration is minutes (`30`) or has a unit (`90s`, `2h`, `7d`, `1w`);
    without one the ban lasts until UNKLINE. A nick in place of the mask
    bans `*@` that user's host.
    """
    name = _operator(ctx)
    chat = ctx.chat
    params = list(msg.params)
    if params[0].upper() == "LIST":
        bans = chat.opers.bans(ctx.now)
        for ban in bans:
            left = f"{int(ban.expires - ctx.now)}s left" if ban.expires is not None else "permanent"
            _notice(ctx, f"K-line {ban.mask} ({left}) by {ban.set_by}: {ban.reason}")
        _notice(ctx, f"{len(bans)} K-line(s)")
        return
    duration = parse_duration(params[0]) if len(params) > 1 else None
    if duration is not None:
        params.pop(0)
    target = params[0]
    if "@" not in target and chat.registry.find(target) is not None:
        target = f"*@{chat.registry.find(target).host}"
    mask = parse_mask(target)
    if mask is None or mask in ("*@*", "*@*.*"):
        raise IrcError(N.ERR_NEEDMOREPARAMS, "KLINE", "Give a user@host mask narrower than everyone")
    reason = params[1] if len(params) > 1 and params[1] else "No reason given"
    ban = Ban(mask, reason, name, ctx.now, ctx.now + duration if duration is not None else None)
    try:
        ended = chat.opers.add(ban, ctx.now)
    except StoreUnavailable:
        raise Fail("KLINE", "TEMPORARILY_UNAVAILABLE", mask, "The K-line store cannot be reached; try again") from None
    how_long = f"for {int(duration)} seconds" if duration is not None else "until removed"
    _notice(ctx, f"K-line {mask} added {how_long}: {reason} ({ended} connected client(s) ended here)")
    chat.log_event("kline", ctx.session, f"{mask} {how_long}: {reason}")


def unkline(ctx: Context, msg: Message) -> None:
    """UNKLINE <user@host>

    Lift a K-line, on every node.
    """
    _operator(ctx)
    mask = parse_mask(msg.params[0])
    try:
        removed = mask is not None and ctx.chat.opers.remove(mask)
    except StoreUnavailable:
        raise Fail("UNKLINE", "TEMPORARILY_UNAVAILABLE", mask, "The K-line store cannot be reached; try again") from None
    if not removed:
        _notice(ctx, f"No K-line {msg.params[0]}")
        return
    _notice(ctx, f"K-line {mask} removed")
    ctx.chat.log_event("unkline", ctx.session, mask)
