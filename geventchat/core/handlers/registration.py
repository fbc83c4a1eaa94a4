"""CAP PASS NICK USER PING PONG QUIT: getting on, staying on, getting off."""

from __future__ import annotations

import re

from ...protocol import numerics as N
from ...protocol.message import Message, format_line
from ...protocol.names import casefold, valid_nick
from ..context import Context, IrcError

SUPPORTED_CAPS: tuple[str, ...] = ()
"""Capabilities this server offers in CAP LS (none yet; the negotiation still runs)."""

_USERNAME_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]")
USERLEN = 10
REALNAMELEN = 100


def cap(ctx: Context, msg: Message) -> None:
    """CAP LS [302] | CAP LIST | CAP REQ :<caps> | CAP END

    IRCv3 capability negotiation. While it runs registration waits, so that
    a client that opens with `CAP LS 302` always gets its answer first.
    """
    session = ctx.session
    sub = msg.param(0).upper()
    if sub == "LS":
        if not session.registered:
            session.cap_negotiating = True
        ctx.send("CAP", session.name, "LS", " ".join(SUPPORTED_CAPS))
    elif sub == "LIST":
        ctx.send("CAP", session.name, "LIST", "")
    elif sub == "REQ":
        if not session.registered:
            session.cap_negotiating = True
        wanted = msg.param(1)
        names = wanted.split()
        verdict = "ACK" if names and all(n.lstrip("-") in SUPPORTED_CAPS for n in names) else "NAK"
        ctx.send("CAP", session.name, verdict, wanted)
    elif sub == "END":
        session.cap_negotiating = False
    else:
        raise IrcError(N.ERR_INVALIDCAPCMD, sub or "*", "Invalid CAP command")


def pass_(ctx: Context, msg: Message) -> None:
    """PASS <password>

    Accepted and ignored: the server has no password, but clients may send one.
    """
    if ctx.session.registered:
        raise IrcError(N.ERR_ALREADYREGISTERED, "You may not reregister")


def nick(ctx: Context, msg: Message) -> None:
    """NICK <nick>

    Claims the nick at once (before registration too), so two clients can
    never hold the same one; after registration everyone sees the change.
    """
    session = ctx.session
    wanted = msg.param(0)
    if not wanted:
        raise IrcError(N.ERR_NONICKNAMEGIVEN, "No nickname given")
    if not valid_nick(wanted, ctx.chat.config.nicklen):
        raise IrcError(N.ERR_ERRONEUSNICKNAME, wanted, "Erroneous nickname")
    if wanted == session.nick:
        return
    same_owner = session.nick is not None and casefold(wanted) == casefold(session.nick)
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
    line = format_line("NICK", wanted, prefix=user.prefix)
    ctx.chat.log_event("nick", session, f"-> {wanted}")
    ctx.chat.registry.rename(user, wanted)
    session.nick = wanted
    ctx.chat.announce(line)


def user(ctx: Context, msg: Message) -> None:
    """USER <username> <hostname> <servername> :<realname>

    The RFC 2812 form `USER user mode * :real` has the same shape. Without a
    colon, the real name is the rest of the line (`USER guest h s Ronnie Reagan`).
    The hostname parameter is kept out: the host is the peer address.
    """
    session = ctx.session
    if session.registered or session.username is not None:
        raise IrcError(N.ERR_ALREADYREGISTERED, "You may not reregister")
    username = _USERNAME_UNSAFE.sub("", msg.params[0])[:USERLEN] or "user"
    session.username = username
    session.realname = " ".join(msg.params[3:])[:REALNAMELEN]


def ping(ctx: Context, msg: Message) -> None:
    """PING <token>

    Answered `PONG <server> :<token>` before registration too (some clients
    ping while they wait).
    """
    server = ctx.chat.config.server_name
    ctx.send("PONG", server, msg.param(0))


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
    ctx.chat.quit(session, reason[:300], ctx.now)
