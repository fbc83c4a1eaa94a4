"""NickServ: accounts for clients that speak no SASL and no REGISTER, answering in NOTICEs.

`/msg NickServ <command> ...` (or `/NICKSERV`, `/NS`). The service is not a
user: it is in no channel and no registry, its nick is reserved, and what
is said to it is never relayed or kept in history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..protocol.message import Message
from .accounts import StoreUnavailable
from .context import Context
from .logins import confirmation_code

NICK = "NickServ"


@dataclass(frozen=True, slots=True)
class ServiceCommand:
    run: Callable[[Context, list[str]], None]
    syntax: str
    about: str
    operators_only: bool = False


def prefix(ctx: Context) -> str:
    return f"{NICK}!{NICK}@{ctx.chat.config.server.name}"


def tell(ctx: Context, text: str) -> None:
    """One NOTICE from NickServ to this client."""
    ctx.outbox.send(ctx.session, Message("NOTICE", (ctx.session.name, text), prefix(ctx)))


def handle(ctx: Context, text: str) -> None:
    """One line said to NickServ: its first word is the command."""
    words = text.split()
    if not words:
        tell(ctx, "Say HELP for a list of commands")
        return
    command = COMMANDS.get(words[0].upper())
    if command is None or (command.operators_only and not ctx.chat.is_operator(ctx.session)):
        tell(ctx, f"Unknown command {words[0]}. Say HELP for a list of commands")
        return
    try:
        command.run(ctx, words[1:])
    except StoreUnavailable:
        tell(ctx, "Accounts cannot be reached just now; try again later")


def _usage(ctx: Context, name: str) -> None:
    tell(ctx, f"Syntax: {COMMANDS[name].syntax}")


def help_(ctx: Context, args: list[str]) -> None:
    operator = ctx.chat.is_operator(ctx.session)
    wanted = COMMANDS.get(args[0].upper()) if args else None
    if wanted is not None and (operator or not wanted.operators_only):
        tell(ctx, f"Syntax: {wanted.syntax}")
        tell(ctx, wanted.about)
        return
    tell(ctx, "NickServ keeps accounts: an account owns the nick it was registered with.")
    for command in COMMANDS.values():
        if operator or not command.operators_only:
            tell(ctx, f"{command.syntax:<36} {command.about}")


def register(ctx: Context, args: list[str]) -> None:
    session = ctx.session
    if not args:
        return _usage(ctx, "REGISTER")
    if session.account is not None:
        return tell(ctx, f"You are already logged in as {session.account}")
    problem = ctx.chat.logins.create(session, session.name, args[0], ctx.now)
    if problem is not None:
        return tell(ctx, problem[1])
    tell(ctx, f"Account {session.name} registered: it owns the nick {session.name} from now on")


def identify(ctx: Context, args: list[str]) -> None:
    session = ctx.session
    logins = ctx.chat.logins
    if session.account is not None:
        return tell(ctx, f"You are already logged in as {session.account}")
    if not args:
        verdict = logins.check_certfp(session, "", ctx.now)
        how = "NickServ IDENTIFY, certificate"
    else:
        name, password = (args[0], args[1]) if len(args) > 1 else (session.name, args[0])
        verdict = logins.check_password(session, name, password, ctx.now, "NickServ IDENTIFY")
        how = "NickServ IDENTIFY"
    if session.closed is not None:
        return
    if not verdict.ok:
        return tell(ctx, verdict.why())
    logins.log_in(session, verdict.account.name, ctx.now, how)
    tell(ctx, f"You are now logged in as {verdict.account.name}")


def logout(ctx: Context, args: list[str]) -> None:
    if ctx.session.account is None:
        return tell(ctx, "You are not logged in")
    ctx.chat.logins.log_out(ctx.session, ctx.now, "NickServ LOGOUT")
    tell(ctx, "You are now logged out")


def drop(ctx: Context, args: list[str]) -> None:
    session = ctx.session
    logins = ctx.chat.logins
    name = session.account
    if name is None:
        return tell(ctx, "Log in to the account you want to drop first")
    if not args:
        return _usage(ctx, "DROP")
    verdict = logins.check_password(session, name, args[0], ctx.now, "NickServ DROP")
    if session.closed is not None:
        return
    if not verdict.ok:
        return tell(ctx, verdict.why())
    logins.delete(name, ctx.now, "account dropped")
    ctx.chat.log_event("account", session, f"dropped {name}")
    tell(ctx, f"Account {name} dropped: its nick is free for anyone")


def set_(ctx: Context, args: list[str]) -> None:
    session = ctx.session
    if len(args) != 2 or args[0].upper() != "PASSWORD":
        return _usage(ctx, "SET")
    if session.account is None:
        return tell(ctx, "Log in first")
    problem = ctx.chat.logins.set_password(session, args[1])
    tell(ctx, problem[1] if problem is not None else "Password changed")


def cert(ctx: Context, args: list[str]) -> None:
    session = ctx.session
    store = ctx.chat.logins.store
    name = session.account
    sub = args[0].upper() if args else ""
    if sub not in ("ADD", "DEL", "LIST"):
        return _usage(ctx, "CERT")
    if name is None:
        return tell(ctx, "Log in first")
    if sub == "LIST":
        account = store.get(name)
        prints = account.certfps if account else ()
        for certfp in prints:
            tell(ctx, certfp)
        return tell(ctx, f"{len(prints)} certificate(s) log in to {name}")
    certfp = (args[1] if len(args) > 1 else session.transport.certfp or "").lower()
    if not certfp:
        return tell(ctx, "Connect with a TLS client certificate, or name its SHA-256 fingerprint")
    if len(certfp) != 64 or any(c not in "0123456789abcdef" for c in certfp):
        return tell(ctx, "A fingerprint is the certificate's SHA-256 in 64 hexadecimal digits")
    if sub == "ADD":
        if not store.add_certfp(name, certfp):
            return tell(ctx, "That certificate already logs in to another account")
        ctx.chat.log_event("account", session, f"certificate {certfp} added to {name}")
        return tell(ctx, f"Certificate {certfp} now logs in to {name} (SASL EXTERNAL)")
    if not store.remove_certfp(name, certfp):
        return tell(ctx, f"Certificate {certfp} does not log in to {name}")
    ctx.chat.log_event("account", session, f"certificate {certfp} removed from {name}")
    tell(ctx, f"Certificate {certfp} no longer logs in to {name}")


def erase(ctx: Context, args: list[str]) -> None:
    if not args:
        return _usage(ctx, "ERASE")
    logins = ctx.chat.logins
    account = logins.store.get(args[0])
    if account is None:
        return tell(ctx, f"There is no account {args[0]}")
    code = confirmation_code(account)
    if len(args) < 2:
        tell(ctx, f"Erasing {account.name} cannot be undone: its nick becomes free for anyone.")
        return tell(ctx, f"To confirm, send: ERASE {account.name} {code}")
    if args[1] != code:
        return tell(ctx, f"Wrong confirmation code for {account.name}")
    logins.delete(account.name, ctx.now, "account erased by an operator")
    ctx.chat.log_event("account", ctx.session, f"erased {account.name} (operator {ctx.session.oper})")
    tell(ctx, f"Account {account.name} erased")


COMMANDS: dict[str, ServiceCommand] = {
    "HELP": ServiceCommand(help_, "HELP [command]", "What the commands do"),
    "REGISTER": ServiceCommand(register, "REGISTER <password> [email]",
                               "Make an account named after your nick, and log in to it"),
    "IDENTIFY": ServiceCommand(identify, "IDENTIFY [account] <password>",
                               "Log in (with no password: by your TLS client certificate)"),
    "LOGOUT": ServiceCommand(logout, "LOGOUT", "Log out of your account"),
    "DROP": ServiceCommand(drop, "DROP <password>", "Delete the account you are logged in to"),
    "SET": ServiceCommand(set_, "SET PASSWORD <new password>", "Change your account's password"),
    "CERT": ServiceCommand(cert, "CERT ADD|DEL [fingerprint] | CERT LIST",
                           "TLS client certificates that log in to your account (SASL EXTERNAL)"),
    "ERASE": ServiceCommand(erase, "ERASE <account> [code]",
                            "Delete someone's account: the first time gives the code that confirms it",
                            operators_only=True),
}
