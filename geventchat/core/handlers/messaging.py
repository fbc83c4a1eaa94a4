"""PRIVMSG NOTICE TAGMSG AWAY: talking to a channel, to some of its members, and to one user."""

from __future__ import annotations

from ...protocol import numerics as N
from ...protocol.message import Message
from ...protocol.names import casefold
from ..caps import AWAY_NOTIFY, TAGS
from .. import nickserv
from ..channels import PREFIX_STATUS, STATUS_MODES
from ..context import Context, IrcError
from ..history import conversation
from ..outbox import client_tags

NICKSERV = casefold(nickserv.NICK)


def privmsg(ctx: Context, msg: Message) -> None:
    """PRIVMSG <target>{,<target>} :<text>

    A target is a channel (every other member), `@#channel` or `+#channel`
    (its operators, or its voiced members and operators: STATUSMSG), or a
    nick (that user only), or NickServ. 404 when the channel will not hear
    the sender (+n from outside, +m unvoiced, banned). Between two logged-in
    accounts a private line is kept in history.
    """
    _relay(ctx, msg, notice=False)


def notice(ctx: Context, msg: Message) -> None:
    """NOTICE <target>{,<target>} :<text>

    Like PRIVMSG, but never answered with an error (RFC 2812 3.3.2).
    """
    _relay(ctx, msg, notice=True)


def tagmsg(ctx: Context, msg: Message) -> None:
    """@<tags> TAGMSG <target>{,<target>}

    IRCv3 message-tags: a message of tags alone (typing notices, reactions),
    relayed only to clients that negotiated message-tags.
    """
    _relay(ctx, msg, notice=False, tags_only=True)


def _relay(ctx: Context, msg: Message, notice: bool, tags_only: bool = False) -> None:
    command = msg.command
    if not msg.params or not msg.params[0]:
        if notice:
            return
        raise IrcError(N.ERR_NORECIPIENT, f"No recipient given ({command})")
    if not tags_only and (len(msg.params) < 2 or msg.params[1] == ""):
        if notice:
            return
        raise IrcError(N.ERR_NOTEXTTOSEND, "No text to send")
    chat = ctx.chat
    session = ctx.session
    sender = session.user
    assert sender is not None
    text = () if tags_only else (msg.params[1],)
    tags = client_tags(msg)
    if tags_only and tags is None:
        return  # nothing to relay: a TAGMSG carries its tags or nothing
    echo = "echo-message" in session.caps
    needs = TAGS if tags_only else 0
    sender.last_spoke = ctx.now
    targets = msg.params[0]
    if "," in targets:
        # Deduplicated under casemapping: `bob,BOB` or `#lobby,#LOBBY` must not deliver twice.
        unique: dict[str, str] = {}
        for target in targets.split(","):
            if target:
                unique.setdefault(casefold(target), target)
        wanted = list(unique.values())[: chat.config.limits.max_targets]
    else:
        wanted = (targets,)  # the usual case, one target: nothing to deduplicate
    prefix = sender.prefix
    outbox = ctx.outbox
    for target in wanted:
        status = target[0] if target[0] in PREFIX_STATUS and target[1:2] == "#" else ""
        name = target[1:] if status else target
        if name[:1] == "#":
            channel = chat.channels.find(name)
            if channel is None:
                if not notice:
                    ctx.reply(N.ERR_NOSUCHCHANNEL, target, "No such channel")
                continue
            if not channel.can_speak(session.uid, prefix):
                if not notice:
                    ctx.reply(N.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel")
                continue
            line = Message(command, (status + channel.name, *text), prefix)
            if status:
                ranks = STATUS_MODES[: STATUS_MODES.index(PREFIX_STATUS[status]) + 1]
                uids = tuple(uid for uid, modes in channel.status.items() if any(m in modes for m in ranks))
                outbox.to_users(uids, line, ctx.now, sender=session, echo=echo, tags=tags, needs=needs)
            else:  # the hot path of every chat line: to the outbox's relay directly
                outbox.relay(line, ctx.now, channels=(channel.folded,), sender=session, echo=echo, tags=tags,
                             needs=needs)
            continue
        if casefold(target) == NICKSERV:
            if not notice and not tags_only:
                if echo:
                    ctx.outbox.send(session, Message(command, (nickserv.NICK, *text), sender.prefix))
                nickserv.handle(ctx, text[0])  # never relayed, never kept
            continue
        recipient = chat.registry.find(target)
        if recipient is None:
            if not notice:
                ctx.reply(N.ERR_NOSUCHNICK, target, "No such nick/channel")
            continue
        why = chat.registry.unreachable(recipient)
        if why is not None:
            if not notice:
                _undeliverable(ctx, command, recipient.nick, why)
            continue
        line = Message(command, (recipient.nick, *text), sender.prefix)
        # kept only between two accounts: only they can read it back
        kept = conversation(sender.account, recipient.account) if sender.account and recipient.account else None
        ctx.outbox.to_user(recipient.uid, line, ctx.now, sender=session, echo=echo, tags=tags, needs=needs,
                           keep_as=kept)
        if recipient.away and not notice and not tags_only:
            ctx.reply(N.RPL_AWAY, recipient.nick, recipient.away)


def _undeliverable(ctx: Context, command: str, nick: str, why: str) -> None:
    """The target's server cannot be reached: say so, never drop the line in silence.

    A standard reply to clients that asked for them, a server NOTICE to the others.
    """
    text = f"{nick} cannot be reached now ({why}): your message was not delivered"
    if "standard-replies" in ctx.session.caps:
        ctx.outbox.fail(ctx.session, command, "TARGET_UNREACHABLE", nick, text)
    else:
        ctx.send("NOTICE", ctx.session.name, text)


def away(ctx: Context, msg: Message) -> None:
    """AWAY [:<message>]

    With a message the user is marked away (PRIVMSG senders are told); without,
    back. Clients with away-notify that share a channel see the change.
    """
    session = ctx.session
    user = session.user
    assert user is not None
    user.away = msg.param(0)[: ctx.chat.config.limits.awaylen] or None
    ctx.chat.registry.changed(user)
    if user.away:
        ctx.reply(N.RPL_NOWAWAY, "You have been marked as being away")
    else:
        ctx.reply(N.RPL_UNAWAY, "You are no longer marked as being away")
    notice = Message("AWAY", (user.away,) if user.away else (), user.prefix)
    ctx.outbox.to_channels(ctx.chat.neighbours(user), notice, ctx.now, sender=session, needs=AWAY_NOTIFY)
