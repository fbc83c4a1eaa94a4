"""PASS NICK USER PING PONG QUIT SETNAME: getting on, staying on, getting off."""

from __future__ import annotations

import re

from ...protocol import numerics as N
from ...protocol.message import Message
from ...protocol.names import casefold, valid_nick
from ..caps import SETNAME
from ..accounts import SERVICE_NICKS
from ..context import Context, Fail, IrcError
from ..logins import RESERVED
from ..metrics import QUIT

_USERNAME_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]")


def pass_(ctx: Context, msg: Message) -> None:
    """PASS <server password> | PASS <account>:<password>

    Before registration: the server password (--password), or a login to an
    account for clients that have no SASL (464 when it fails; registering
    goes on without an account). Both can be given, one PASS each. Any other
    PASS is ignored, as servers without a password always did.
    """
    session = ctx.session
    if session.registered:
        raise IrcError(N.ERR_ALREADYREGISTERED, "You may not reregister")
    text = msg.params[0]
    logins = ctx.chat.logins
    name, colon, password = text.partition(":")
    if ctx.chat.config.accounts.password and not session.password_ok:
        # `account:password` that is not the server password is no failed guess at it
        if logins.check_server_password(session, text, ctx.now, count_failure=not colon):
            session.password_ok = True
            return
    if not colon or session.account is not None or session.closed is not None:
        return
    verdict = logins.check_password(session, name, password, ctx.now, "PASS")
    if session.closed is not None or session.account is not None:
        return
    if not verdict.ok:
        raise IrcError(N.ERR_PASSWDMISMATCH, f"Password incorrect: {verdict.why()}")
    logins.log_in(session, verdict.account.name, ctx.now, "PASS")


def nick(ctx: Context, msg: Message) -> None:
    """NICK <nick>

    Claims the nick at once (before registration too), so two clients can
    never hold the same one; after registration everyone sees the change.
    """
    session = ctx.session
    wanted = msg.param(0)
    if not wanted:
        raise IrcError(N.ERR_NONICKNAMEGIVEN, "No nickname given")
    if not valid_nick(wanted, ctx.chat.config.limits.nicklen):
        raise IrcError(N.ERR_ERRONEUSNICKNAME, wanted, "Erroneous nickname")
    if wanted == session.nick:
        return
    same_owner = session.nick is not None and casefold(wanted) == casefold(session.nick)
    if casefold(wanted) in SERVICE_NICKS:
        raise IrcError(N.ERR_NICKNAMEINUSE, wanted, "Nickname is reserved for a service")
    if session.registered and not same_owner and ctx.chat.logins.reserved(session, wanted):
        # before registration the client may still log in first: checked when it registers
        raise IrcError(N.ERR_NICKNAMEINUSE, wanted, RESERVED)
    if not same_owner and not ctx.chat.registry.claim_nick(wanted, session.uid):
        raise IrcError(N.ERR_NICKNAMEINUSE, wanted, "Nickname is already in use")
    if session.closed is not None:
        # A network registry's claim waits on shared storage; the client may
        # have been closed meanwhile (timeout, SendQ), its nicks already released.
        if not same_owner:
            ctx.chat.registry.release_nick(wanted, session.uid)
        return
    user = session.user
    if user is None:
        if session.nick is not None and not same_owner:
            ctx.chat.registry.release_nick(session.nick, session.uid)
        session.nick = wanted
        return
    old_prefix = user.prefix
    ctx.chat.log_event("nick", session, f"-> {wanted}")
    ctx.chat.registry.rename(user, wanted)
    session.nick = wanted
    ctx.outbox.to_channels(
        ctx.chat.neighbours(user), Message("NICK", (wanted,), old_prefix), ctx.now, sender=session, echo=True
    )


def user(ctx: Context, msg: Message) -> None:
    """USER <username> <hostname> <servername> :<realname>

    The RFC 2812 form `USER user mode * :real` has the same shape. Without a
    colon, the real name is the rest of the line (`USER guest h s Ronnie Reagan`).
    The hostname parameter is kept out: the host is the peer address. An
    empty username or real name is a missing parameter (461), as ergo and
    irctest have it.
    """
    session = ctx.session
    if session.registered or session.username is not None:
        raise IrcError(N.ERR_ALREADYREGISTERED, "You may not reregister")
    realname = " ".join(msg.params[3:])
    if not msg.params[0] or not realname:
        raise IrcError(N.ERR_NEEDMOREPARAMS, "USER", "Not enough parameters")
    limits = ctx.chat.config.limits
    session.username = _USERNAME_UNSAFE.sub("", msg.params[0])[: limits.userlen] or "user"
    session.realname = realname[: limits.realnamelen]


def ping(ctx: Context, msg: Message) -> None:
    """PING <token>

    Answered `PONG <server> :<token>` before registration too (some clients
    ping while they wait).
    """
    ctx.send("PONG", ctx.chat.config.server.name, msg.param(0))


def pong(ctx: Context, msg: Message) -> None:
    """PONG <token>

    Any line counts as liveness; the reader has already noted this one.
    """


def quit_(ctx: Context, msg: Message) -> None:
    """QUIT [:<message>]

    Everyone who shares the lobby sees the message; without one, the nick.
    """
    session = ctx.session
    reason = msg.param(0) or session.nick or "Client Quit"
    ctx.chat.quit(session, reason[: ctx.chat.config.limits.quitlen], ctx.now, code=QUIT)


def setname(ctx: Context, msg: Message) -> None:
    """SETNAME :<realname>

    IRCv3 setname: a new real name, told to everyone who shares a channel
    and has the capability, the sender included; FAIL when it is empty or long.
    """
    session = ctx.session
    user = session.user
    assert user is not None
    realname = msg.params[0]
    if not realname or len(realname) > ctx.chat.config.limits.realnamelen:
        raise Fail("SETNAME", "INVALID_REALNAME", "Real name is empty or too long")
    user.realname = session.realname = realname
    ctx.chat.registry.changed(user)
    ctx.outbox.to_channels(
        ctx.chat.neighbours(user), Message("SETNAME", (realname,), user.prefix), ctx.now,
        sender=session, echo=True, needs=SETNAME,
    )
