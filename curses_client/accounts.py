"""Capabilities and accounts: CAP negotiation, SASL login, REGISTER, and being logged in.

At registration the client lists the server's capabilities, asks for the
ones it uses, logs in with SASL when asked to (PLAIN, or EXTERNAL with a
client certificate), and only then ends negotiation, so a login happens
before anyone sees us. A failed login is said on screen; registration goes
on unless --sasl-required, which leaves and does not come back.
"""

from __future__ import annotations

from geventchat.protocol.message import Message

from . import history
from .handlers import Reply, handles, last, strip_formatting
from .refusal import Refusal, Retry
from .sasl import Login, chunks, offers
from .state import ChatState

WANTED = ("message-tags", "server-time", "batch", "echo-message", "draft/chathistory", "multi-prefix",
          "cap-notify", "draft/account-registration", "sasl")
"""Capabilities the client uses, asked for when the server offers them (`sasl` lets /identify use SASL)."""

RPL_LOGGEDIN, RPL_LOGGEDOUT, ERR_NICKLOCKED = "900", "901", "902"
RPL_SASLSUCCESS, ERR_SASLFAIL, ERR_SASLTOOLONG = "903", "904", "905"
ERR_SASLABORTED, ERR_SASLALREADY, RPL_SASLMECHS = "906", "907", "908"


@handles("CAP")
def cap(state: ChatState, msg: Message, now: float) -> list[Reply]:
    sub = msg.param(1).upper()
    if sub in ("LS", "NEW"):
        more = msg.param(2) == "*" and len(msg.params) > 3
        for token in last(msg).split():
            name, _, value = token.partition("=")
            state.offered[name] = value
        if more:
            return []
        if sub == "LS" and state.cap_state in ("", "ls"):
            return _request(state, now)
        if sub == "NEW":
            new = [name for name in WANTED if name in state.offered and name not in state.caps]
            return [("CAP", "REQ", " ".join(new))] if new else []
        return []
    if sub == "ACK":
        for name in last(msg).split():
            if name.startswith("-"):
                state.caps.discard(name[1:])
            else:
                state.caps.add(name)
        return _after_ack(state, now) if state.cap_state == "req" else []
    if sub == "NAK":
        if state.cap_state == "req":
            state.error(now, f"The server refused the capabilities asked for ({last(msg)})", state.windows.status)
            return _end(state)
        return []
    if sub == "DEL":
        for name in last(msg).split():
            state.offered.pop(name, None)
            state.caps.discard(name)
    return []


def _request(state: ChatState, now: float) -> list[Reply]:
    """The whole list is in: ask for what we use, SASL among it when a login is wanted."""
    wanted = [name for name in WANTED if name in state.offered]
    login = state.settings.login
    if login is not None and state.account is None:
        if "sasl" not in state.offered or not offers(state.offered["sasl"], login.mechanism):
            why = ("does not offer SASL" if "sasl" not in state.offered
                   else f"does not offer SASL {login.mechanism} (only {state.offered['sasl']})")
            failure = _login_failed(state, f"the server {why}", now)
            if failure:
                return failure
    if not wanted:
        return _end(state)
    state.cap_state = "req"
    return [("CAP", "REQ", " ".join(wanted))]


def _after_ack(state: ChatState, now: float) -> list[Reply]:
    login = state.settings.login
    if login is not None and "sasl" in state.caps and state.account is None:
        state.cap_state = "sasl"
        state.login = login
        return [("AUTHENTICATE", login.mechanism)]
    return _end(state)


def _end(state: ChatState) -> list[Reply]:
    state.cap_state = "done"
    return [("CAP", "END")]


def at_welcome(state: ChatState, now: float) -> list[Reply]:
    """Registered: a login wanted from a server that never answered CAP did not happen."""
    if state.settings.login is not None and state.account is None and state.cap_state == "":
        state.cap_state = "done"
        return _login_failed(state, "the server does not speak IRCv3 capabilities (no SASL)", now)
    return []


def identify(state: ChatState, login: Login) -> list[Reply]:
    """/identify on a server with SASL, after registration (SASL 3.2 allows it)."""
    state.login = login
    return [("AUTHENTICATE", login.mechanism)]


@handles("AUTHENTICATE")
def authenticate(state: ChatState, msg: Message, now: float) -> list[Reply]:
    if msg.param(0) != "+" or state.login is None:
        return []
    return [("AUTHENTICATE", chunk) for chunk in chunks(state.login)]


@handles(RPL_LOGGEDIN)
def logged_in(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """Logged in (at registration, or later with /identify): private history is ours to read now."""
    state.account = msg.param(2) or state.account
    state.note(now, f"You are logged in as {state.account}")
    return history.ask_targets(state, now)


@handles(RPL_LOGGEDOUT)
def logged_out(state: ChatState, msg: Message, now: float) -> list[Reply]:
    state.account = None
    state.note(now, "You are logged out")
    return []


@handles(RPL_SASLSUCCESS)
def sasl_success(state: ChatState, msg: Message, now: float) -> list[Reply]:
    state.login = None
    return _end(state) if state.cap_state == "sasl" else []


@handles(ERR_SASLFAIL, ERR_SASLTOOLONG, ERR_SASLABORTED, ERR_SASLALREADY, ERR_NICKLOCKED)
def sasl_failed(state: ChatState, msg: Message, now: float) -> list[Reply]:
    if msg.command == ERR_NICKLOCKED:   # the 904 that follows ends the exchange
        state.note(now, strip_formatting(last(msg)), error=True)
        return []
    login, state.login = state.login, None
    if msg.command == ERR_SASLALREADY:
        return _end(state) if state.cap_state == "sasl" else []
    mechanism = login.mechanism if login is not None else "SASL"
    reason = strip_formatting(last(msg)) or "SASL authentication failed"
    account = f" as {login.account}" if login is not None else ""
    if state.cap_state != "sasl":
        state.note(now, f"Login{account} failed ({mechanism}): {reason}", error=True)
        return []
    failure = _login_failed(state, f"login{account} failed ({mechanism}): {reason}", now)
    return failure or _end(state)


@handles(RPL_SASLMECHS)
def sasl_mechanisms(state: ChatState, msg: Message, now: float) -> list[Reply]:
    state.note(now, f"The server's login mechanisms: {msg.param(1)}")
    return []


def _login_failed(state: ChatState, why: str, now: float) -> list[Reply]:
    """Say so; with --sasl-required leave for good, else go on without an account (returns nothing)."""
    if state.settings.sasl_required:
        state.note(now, f"Not logged in: {why}; leaving (--sasl-required)", error=True)
        state.quitting = True
        state.refusal = Refusal(f"not logged in: {why}", Retry.NEVER)
        return [("QUIT", "Login failed")]
    state.note(now, f"Not logged in: {why}; going on without an account", error=True)
    return []


@handles("REGISTER")
def register_reply(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """draft/account-registration: REGISTER SUCCESS or VERIFICATION_REQUIRED <account> :<text>."""
    code, account, text = msg.param(0), msg.param(1), strip_formatting(last(msg))
    if code == "SUCCESS":
        state.note(now, f"Account {account} registered: {text}")
    else:
        state.note(now, f"Account {account}: {text}")
    return []


def register_failed(state: ChatState, msg: Message, now: float) -> None:
    """FAIL REGISTER <code> <account> :<text>."""
    state.note(now, f"Could not register the account: {strip_formatting(last(msg))} ({msg.param(1)})", error=True)

