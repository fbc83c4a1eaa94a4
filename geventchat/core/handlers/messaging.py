"""PRIVMSG NOTICE AWAY: talking to the lobby and to one user."""

from __future__ import annotations

from ...protocol import numerics as N
from ...protocol.message import Message, format_line
from ...protocol.names import casefold
from ..bus import Delivery
from ..context import Context, IrcError

MAX_TARGETS = 4


def privmsg(ctx: Context, msg: Message) -> None:
    """PRIVMSG <target>{,<target>} :<text>

    A target is the lobby (everyone else) or a nick (that user only).
    """
    _relay(ctx, msg, notice=False)


def notice(ctx: Context, msg: Message) -> None:
    """NOTICE <target>{,<target>} :<text>

    Like PRIVMSG, but never answered with an error (RFC 2812 3.3.2).
    """
    _relay(ctx, msg, notice=True)


def _relay(ctx: Context, msg: Message, notice: bool) -> None:
    command = msg.command
    if not msg.params or not msg.params[0]:
        if notice:
            return
        raise IrcError(N.ERR_NORECIPIENT, f"No recipient given ({command})")
    if len(msg.params) < 2 or msg.params[1] == "":
        if notice:
            return
        raise IrcError(N.ERR_NOTEXTTOSEND, "No text to send")
    chat = ctx.chat
    sender = ctx.session.user
    assert sender is not None
    text = msg.params[1]
    sender.last_spoke = ctx.now
    # Deduplicated under casemapping: `bob,BOB` or `#lobby,#LOBBY` must not deliver twice.
    unique: dict[str, str] = {}
    for target in msg.params[0].split(","):
        if target:
            unique.setdefault(casefold(target), target)
    targets = list(unique.values())[:MAX_TARGETS]
    for target in targets:
        if target.startswith("#"):
            if casefold(target) != chat.lobby_key:
                if not notice:
                    ctx.reply(N.ERR_NOSUCHCHANNEL, target, "No such channel")
                continue
            line = format_line(command, chat.lobby, text, prefix=sender.prefix)
            chat.bus.publish(Delivery(line, room=chat.lobby_key, skip=sender.uid))
            continue
        recipient = chat.registry.find(target)
        if recipient is None:
            if not notice:
                ctx.reply(N.ERR_NOSUCHNICK, target, "No such nick/channel")
            continue
        line = format_line(command, recipient.nick, text, prefix=sender.prefix)
        chat.bus.publish(Delivery(line, uid=recipient.uid))
        if recipient.away and not notice:
            ctx.reply(N.RPL_AWAY, recipient.nick, recipient.away)


def away(ctx: Context, msg: Message) -> None:
    """AWAY [:<message>]

    With a message the user is marked away (PRIVMSG senders are told); without, back.
    """
    user = ctx.session.user
    assert user is not None
    user.away = msg.param(0)[:200] or None
    ctx.chat.registry.changed(user)
    if user.away:
        ctx.reply(N.RPL_NOWAWAY, "You have been marked as being away")
    else:
        ctx.reply(N.RPL_UNAWAY, "You are no longer marked as being away")
