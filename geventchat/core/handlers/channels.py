"""JOIN PART TOPIC MODE LIST: the lobby seen as a channel, so real clients are at ease.

There is one channel and everyone is in it from registration: JOIN of the
lobby is a no-op, leaving it is refused, other channels do not exist.
"""

from __future__ import annotations

from ...protocol import numerics as N
from ...protocol.message import Message
from ...protocol.names import casefold
from .. import replies
from ..context import Context, IrcError
from .opers import WALLOPS


def _is_lobby(ctx: Context, name: str) -> bool:
    return casefold(name) == ctx.chat.lobby_folded


def join(ctx: Context, msg: Message) -> None:
    """JOIN <channel>{,<channel>}

    Everyone is already in the lobby; any other channel gets 403.
    """
    for name in [n for n in msg.params[0].split(",") if n]:
        if name == "0" or _is_lobby(ctx, name):
            continue
        ctx.reply(N.ERR_NOSUCHCHANNEL, name, f"No such channel (only {ctx.chat.lobby} exists here)")


def part(ctx: Context, msg: Message) -> None:
    """PART <channel>{,<channel>} [:<message>]

    The lobby cannot be left in single-room mode; other channels were never joined.
    """
    for name in [n for n in msg.params[0].split(",") if n]:
        if _is_lobby(ctx, name):
            ctx.send("NOTICE", ctx.session.name, f"You cannot leave {ctx.chat.lobby} on this server")
        else:
            ctx.reply(N.ERR_NOTONCHANNEL, name, "You're not on that channel")


def topic(ctx: Context, msg: Message) -> None:
    """TOPIC <channel> [:<topic>]

    The lobby has no topic and it cannot be set.
    """
    name = msg.params[0]
    if not _is_lobby(ctx, name):
        raise IrcError(N.ERR_NOSUCHCHANNEL, name, "No such channel")
    if len(msg.params) > 1:
        raise IrcError(N.ERR_CHANOPRIVSNEEDED, ctx.chat.lobby, "You're not channel operator")
    ctx.reply(N.RPL_NOTOPIC, ctx.chat.lobby, "No topic is set")


def mode(ctx: Context, msg: Message) -> None:
    """MODE <target> [<modes> [<params>]]

    Own user modes are kept and echoed (`+w` to hear WALLOPS; `+o` comes only
    from OPER, `-o` gives it up); the lobby reports `+nt` and an empty ban
    list; channel modes cannot be changed.
    """
    chat = ctx.chat
    target = msg.params[0]
    user = ctx.session.user
    assert user is not None
    if target.startswith("#"):
        if not _is_lobby(ctx, target):
            raise IrcError(N.ERR_NOSUCHCHANNEL, target, "No such channel")
        change = msg.param(1)
        if not change:
            ctx.reply(N.RPL_CHANNELMODEIS, chat.lobby, "+" + replies.CHANNEL_MODES)
            ctx.reply(N.RPL_CREATIONTIME, chat.lobby, str(int(chat.created)))
        elif change.lstrip("+") == "b":
            ctx.reply(N.RPL_ENDOFBANLIST, chat.lobby, "End of channel ban list")
        else:
            raise IrcError(N.ERR_CHANOPRIVSNEEDED, chat.lobby, "You're not channel operator")
        return
    if casefold(target) != casefold(user.nick):
        raise IrcError(N.ERR_USERSDONTMATCH, "Cannot change mode for other users")
    change = msg.param(1)
    if not change:
        ctx.reply(N.RPL_UMODEIS, "+" + user.modes)
        return
    modes, adding, applied = set(user.modes), True, ""
    for char in change:
        if char in "+-":
            adding = char == "+"
            applied += char
        elif char == "o" and adding:
            continue  # only OPER gives +o
        elif char in replies.USER_MODES:
            (modes.add if adding else modes.discard)(char)
            applied += char
        else:
            ctx.reply(N.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
    if "o" not in modes:
        ctx.session.oper = None
    if ("w" in modes) != ("w" in user.modes):  # +w: hear WALLOPS
        (chat.bus.join if "w" in modes else chat.bus.part)(user.uid, WALLOPS)
    user.modes = "".join(sorted(modes))
    if applied.strip("+-"):
        ctx.outbox.send(ctx.session, Message("MODE", (user.nick, applied), user.prefix))


def list_(ctx: Context, msg: Message) -> None:
    """LIST [<channel>]

    One room: the lobby and how many are in it.
    """
    chat = ctx.chat
    ctx.reply(N.RPL_LIST, chat.lobby, str(len(chat.registry)), "")
    ctx.reply(N.RPL_LISTEND, "End of /LIST")
