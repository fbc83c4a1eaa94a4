"""CHATHISTORY REDACT MARKREAD: what was said before, taking a line back, where a user has read to."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from ...protocol import numerics as N
from ...protocol.message import Message
from ...protocol.names import casefold
from ..caps import REDACTION
from ..context import Context, Fail, IrcError
from ..accounts import valid_account_name
from ..history import Entry, HistoryStore, Ref, StoreError, conversation, other_side, parse_ref, parse_timestamp
from ..outbox import server_time

log = logging.getLogger("geventchat")
T = TypeVar("T")

SUBCOMMANDS = {"LATEST": 4, "BEFORE": 4, "AFTER": 4, "AROUND": 4, "BETWEEN": 5, "TARGETS": 4}
"""Parameters each subcommand needs, the subcommand itself included."""


def chathistory(ctx: Context, msg: Message) -> None:
    """CHATHISTORY <LATEST|BEFORE|AFTER|AROUND> <target> <ref> <limit> | BETWEEN <target> <ref> <ref> <limit>
    | TARGETS <timestamp> <timestamp> <limit>

    IRCv3 draft/chathistory: the lines of a channel the client is in (or of
    its private conversation with a nick, kept between two accounts), in a
    `chathistory` batch, oldest first; only PRIVMSG and NOTICE unless it
    negotiated draft/event-playback. Errors are standard replies.
    """
    sub = msg.param(0).upper()
    if sub not in SUBCOMMANDS:
        raise Fail("CHATHISTORY", "UNKNOWN_COMMAND", msg.param(0) or "*", "Unknown command")
    if len(msg.params) < SUBCOMMANDS[sub]:
        raise Fail("CHATHISTORY", "NEED_MORE_PARAMS", sub, "Missing parameters")
    store = _store(ctx, "CHATHISTORY", sub)
    limit = _limit(ctx, sub, msg.params[-1])
    if sub == "TARGETS":
        _targets(ctx, store, msg, limit)
        return
    target = msg.params[1]
    folded = _readable(ctx, sub, target)
    refs = [parse_ref(text, star=sub == "LATEST") for text in msg.params[2:-1]]
    if any(ref is None for ref in refs):
        raise Fail("CHATHISTORY", "INVALID_PARAMS", sub, "References are timestamp=YYYY-MM-DDThh:mm:ss.sssZ "
                   "or msgid=ID" + (" or *" if sub == "LATEST" else ""))
    events = "draft/event-playback" in ctx.session.caps
    entries = _stored(lambda: _query(store, sub, folded, refs, limit, events), "CHATHISTORY", "MESSAGE_ERROR",
                      sub, target) if folded is not None else []
    outbox = ctx.outbox
    batch = outbox.open_batch(ctx.session, "chathistory", target)
    outbox.replay(ctx.session, entries, batch)
    outbox.close_batch(ctx.session, batch)


def _store(ctx: Context, command: str, *context: str) -> HistoryStore:
    store = ctx.chat.history
    if store is None:
        raise Fail(command, "MESSAGE_ERROR", *context, "This server keeps no history")
    return store


def _stored(work: Callable[[], T], command: str, code: str, *context: str) -> T:
    """Run a store call; a store that fails is logged and the client told, in a FAIL."""
    try:
        return work()
    except StoreError as error:
        log.error("%s failed: %s", command, error)
        raise Fail(command, code, *context, "The history store failed; try again later") from None


def _limit(ctx: Context, sub: str, text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise Fail("CHATHISTORY", "INVALID_PARAMS", sub, "The limit is a number of lines, at least 1")
    return min(int(text), ctx.chat.config.history.chathistory_max)


def _readable(ctx: Context, sub: str, target: str) -> str | None:
    """The history target this client may read: a channel it is in, or its conversation with a nick.

    Private messages are kept only between two accounts, so a client that is
    not logged in has none. The other end is named by its nick: the account
    of whoever uses it now, or else the account of that name (an account
    owns the nick it was registered with).
    """
    if not target.startswith("#"):
        mine = ctx.session.account
        if mine is None or not valid_account_name(target, ctx.chat.config.limits.nicklen):
            return None
        other = ctx.chat.registry.find(target)
        return conversation(mine, other.account if other is not None and other.account else target)
    folded = casefold(target)
    if folded not in ctx.chat.channels_of(ctx.session):
        raise Fail("CHATHISTORY", "INVALID_TARGET", sub, target, "You are not on that channel")
    return folded


def _query(store: HistoryStore, sub: str, target: str, refs: list[Ref], limit: int, events: bool) -> list[Entry]:
    if sub == "LATEST":
        return store.latest(target, refs[0], limit, events)
    if sub == "BEFORE":
        return store.before(target, refs[0], limit, events)
    if sub == "AFTER":
        return store.after(target, refs[0], limit, events)
    if sub == "AROUND":
        return store.around(target, refs[0], limit, events)
    return store.between(target, refs[0], refs[1], limit, events)


def _targets(ctx: Context, store: HistoryStore, msg: Message, limit: int) -> None:
    """CHATHISTORY TARGETS: the channels the client is in and, when it is logged in, the accounts it has
    private lines kept with (by name: `CHATHISTORY LATEST <name>` reads them), with lines between two times."""
    stamps = [parse_ref(text) for text in msg.params[1:3]]
    if any(ref is None or ref.time is None for ref in stamps):
        raise Fail("CHATHISTORY", "INVALID_PARAMS", "TARGETS", "TARGETS takes two timestamp=YYYY-MM-DDThh:mm:ss.sssZ")
    chat = ctx.chat
    names = {casefold(name): name for name in chat.channel_names(ctx.session)}
    account = ctx.session.account

    def work() -> list[tuple[str, float]]:
        if account is not None:
            names.update((target, other_side(target, account)) for target in store.conversations(casefold(account)))
        return store.targets(list(names), stamps[0].time, stamps[1].time, limit)

    found = _stored(work, "CHATHISTORY", "MESSAGE_ERROR", "TARGETS", "*")
    outbox = ctx.outbox
    batch = outbox.open_batch(ctx.session, "draft/chathistory-targets")
    for folded, latest in found:
        line = Message("CHATHISTORY", ("TARGETS", names[folded], f"timestamp={server_time(latest)}"),
                       chat.config.server.name)
        outbox.send(ctx.session, Message(line.command, line.params, line.prefix, {"batch": batch} if batch else None))
    outbox.close_batch(ctx.session, batch)


def redact(ctx: Context, msg: Message) -> None:
    """REDACT <target> <msgid> [:<reason>]

    IRCv3 draft/message-redaction: take back one's own PRIVMSG, NOTICE or
    TAGMSG within --redact-window seconds (an operator: anyone's, at any
    time); the line leaves the history and clients with the capability are
    told, the sender among them.
    """
    if len(msg.params) < 2:
        raise IrcError(N.ERR_NEEDMOREPARAMS, "REDACT", "Not enough parameters")
    target, msgid = msg.params[0], msg.params[1]
    session, chat = ctx.session, ctx.chat
    user = session.user
    assert user is not None
    if not target.startswith("#") or casefold(target) not in chat.channels_of(session):
        raise Fail("REDACT", "INVALID_TARGET", target, f"You cannot delete messages from {target}")
    store = _store(ctx, "REDACT", target, msgid)
    folded = casefold(target)
    entry = _stored(lambda: store.find(folded, msgid), "REDACT", "INTERNAL_ERROR", target, msgid)
    if entry is None or entry.command not in ("PRIVMSG", "NOTICE", "TAGMSG"):
        raise Fail("REDACT", "UNKNOWN_MSGID", target, msgid, "This message does not exist or is too old")
    own = entry.sender == session.uid or (user.account is not None and entry.account == user.account)
    operator = chat.is_operator(session)
    if not own and not operator:
        raise Fail("REDACT", "REDACT_FORBIDDEN", target, msgid, "You are not authorised to delete this message")
    window = chat.config.history.redact_window
    if not operator and ctx.now - entry.time > window:
        raise Fail("REDACT", "REDACT_WINDOW_EXPIRED", target, msgid, str(int(window)),
                   "You can no longer delete this message")
    _stored(lambda: store.redact(folded, msgid), "REDACT", "INTERNAL_ERROR", target, msgid)
    line = Message("REDACT", (target, msgid, *msg.params[2:3]), user.prefix)
    ctx.outbox.to_channel(casefold(target), line, ctx.now, sender=session, echo=True, needs=REDACTION)


def markread(ctx: Context, msg: Message) -> None:
    """MARKREAD <target> [timestamp=<time>]

    IRCv3 draft/read-marker: where the user has read up to. Kept per account
    (every connection of the account is told when it moves), or for this
    connection alone when not logged in; it only ever moves forward.
    """
    if not msg.params:
        raise Fail("MARKREAD", "NEED_MORE_PARAMS", "Missing parameters")
    target = msg.params[0]
    session = ctx.session
    folded = casefold(target)
    if len(msg.params) > 1:
        stamp = parse_timestamp(msg.params[1].partition("=")[2]) if msg.params[1].startswith("timestamp=") else None
        if stamp is None:
            raise Fail("MARKREAD", "INVALID_PARAMS", msg.params[1], "The time is timestamp=YYYY-MM-DDThh:mm:ss.sssZ")
        stamp = min(stamp, ctx.now)
        _stored(lambda: ctx.chat.mark_read(session, target, folded, stamp), "MARKREAD", "INTERNAL_ERROR", target)
        return
    marker = _stored(lambda: ctx.chat.read_marker(session, folded), "MARKREAD", "INTERNAL_ERROR", target)
    ctx.chat.tell_read_marker(session, target, marker)
