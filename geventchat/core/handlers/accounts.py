"""AUTHENTICATE REGISTER NICKSERV: logging in with SASL, making an account, talking to NickServ."""

from __future__ import annotations

from ...protocol import numerics as N
from ...protocol.message import Message
from ...protocol.names import casefold
from .. import nickserv, sasl
from ..context import Context, Fail, IrcError

SASL_FAILED = "SASL authentication failed"


def authenticate(ctx: Context, msg: Message) -> None:
    """AUTHENTICATE <mechanism> | AUTHENTICATE <base64 chunk> | AUTHENTICATE + | AUTHENTICATE *

    IRCv3 SASL 3.1 and 3.2, before registration or after it: PLAIN (account
    and password) and EXTERNAL (the TLS client certificate). The message
    comes in chunks of 400 bytes; `*` aborts. 900 and 903 on success, 904 on
    failure (902 first when the account's failures have locked it for a while).
    """
    session = ctx.session
    text = msg.params[0]
    exchange = session.sasl
    if text == "*":
        session.sasl = None
        raise IrcError(N.ERR_SASLABORTED, "SASL authentication aborted")
    if exchange is None:
        if session.account is not None:
            raise IrcError(N.ERR_SASLALREADY, "You have already authenticated using SASL")
        mechanism = text.upper()
        if mechanism not in sasl.MECHANISMS:
            ctx.reply(N.RPL_SASLMECHS, ",".join(sasl.MECHANISMS), "are available SASL mechanisms")
            raise IrcError(N.ERR_SASLFAIL, SASL_FAILED)
        session.sasl = sasl.Exchange(mechanism)
        ctx.outbox.send(session, Message("AUTHENTICATE", ("+",)))
        return
    try:
        message = sasl.feed(exchange, text, ctx.chat.config.accounts.sasl_max_bytes)
    except sasl.TooLong:
        session.sasl = None
        raise IrcError(N.ERR_SASLTOOLONG, "SASL message too long") from None
    if message is sasl.MORE:
        return
    session.sasl = None
    if message is None:
        raise IrcError(N.ERR_SASLFAIL, SASL_FAILED)
    _finish(ctx, exchange.mechanism, message)


def _finish(ctx: Context, mechanism: str, message: bytes) -> None:
    session = ctx.session
    logins = ctx.chat.logins
    if mechanism == "PLAIN":
        credentials = sasl.plain(message)
        if credentials is None:
            raise IrcError(N.ERR_SASLFAIL, SASL_FAILED)
        verdict = logins.check_password(session, *credentials, ctx.now, "SASL PLAIN")
    else:
        authzid = sasl.external(message)
        if authzid is None:
            raise IrcError(N.ERR_SASLFAIL, SASL_FAILED)
        verdict = logins.check_certfp(session, authzid, ctx.now)
    if session.closed is not None or session.account is not None:
        return  # closed, or logged in some other way, while the password was being checked
    if not verdict.ok:
        if verdict.locked:
            ctx.reply(N.ERR_NICKLOCKED, verdict.why())
        raise IrcError(N.ERR_SASLFAIL, f"{SASL_FAILED}: {verdict.why()}" if verdict.wait or verdict.unavailable
                       else SASL_FAILED)
    logins.log_in(session, verdict.account.name, ctx.now, f"SASL {mechanism}")
    ctx.reply(N.RPL_SASLSUCCESS, "SASL authentication successful")


def register(ctx: Context, msg: Message) -> None:
    """REGISTER <account> {<email> | *} <password>

    IRCv3 draft/account-registration, before connection registration too
    (`before-connect`): the account is named after the client's nick (`*`
    stands for it) and the client is logged in to it at once. The email is
    not used. Errors are `FAIL REGISTER <code> <account> :<text>`.
    """
    session = ctx.session
    if session.nick is None:
        raise Fail("REGISTER", "NEED_NICK", "*", "Choose a nick with NICK first")
    wanted, password = msg.params[0], msg.params[2]
    name = session.nick if wanted == "*" else wanted
    if session.account is not None:
        raise Fail("REGISTER", "ALREADY_AUTHENTICATED", session.account, "You are already logged in")
    if casefold(name) != casefold(session.nick):
        raise Fail("REGISTER", "ACCOUNT_NAME_MUST_BE_NICK", name, "The account is named after your nick")
    settings = ctx.chat.config.accounts
    if settings.password and not session.password_ok and not session.registered:
        # never a way around the server password
        raise Fail("REGISTER", "TEMPORARILY_UNAVAILABLE", name, "Give the server password (PASS) first")
    problem = ctx.chat.logins.create(session, name, password, ctx.now)
    if problem is not None:
        raise Fail("REGISTER", problem[0], name, problem[1])
    if session.closed is None:
        ctx.send("REGISTER", "SUCCESS", name, "Account created")


def nickserv_command(ctx: Context, msg: Message) -> None:
    """NICKSERV <command> [<arguments>] (also NS)

    The same as `PRIVMSG NickServ :<command> ...`, for clients that alias it.
    """
    nickserv.handle(ctx, " ".join(msg.params))
