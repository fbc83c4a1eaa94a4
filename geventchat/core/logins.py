"""Logging in and out, and making accounts: what every way in shares (SASL, PASS, REGISTER, NickServ).

Each password check goes through here, so every one is throttled the same
way: failures are counted per address and per account, and past a burst an
attempt is refused before its password is looked at (a guess never checked
costs nothing). Failures are logged with the address and, for an account
that exists, its name; never a password, never a name that is not an
account (it may be a password typed in the wrong place).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..protocol import numerics as N
from ..protocol.message import Message
from ..protocol.names import casefold
from .accounts import (
    ACCOUNT_EXISTS, BAD_ACCOUNT_NAME, SERVICE_NICKS, TEMPORARILY_UNAVAILABLE, Account, AccountStore, Hasher,
    StoreUnavailable, password_problem, valid_account_name,
)
from .caps import ACCOUNT_NOTIFY
from .throttle import Throttle

if TYPE_CHECKING:
    from .chat import Chat
    from .session import Session

log = logging.getLogger("geventchat")

RESERVED = "Nickname is reserved by a different account"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a login attempt came to."""

    account: Account | None = None  # logged in as this
    wait: float = 0.0  # refused unchecked: the client may try again in this many seconds
    locked: bool = False  # refused for the account's failures (from anywhere), not the address's
    unavailable: bool = False  # the store could not be reached

    @property
    def ok(self) -> bool:
        return self.account is not None

    def why(self) -> str:
        """The failure in words, for the client."""
        if self.unavailable:
            return "Accounts cannot be reached just now; try again later"
        if self.wait:
            whose = "that account" if self.locked else "your address"
            return f"Too many failed logins to {whose}; try again in {math.ceil(self.wait)} seconds"
        return "Invalid account or password"


def address_of(session: Session) -> str:
    """Where a client connects from, as throttling counts it."""
    return session.transport.ip or session.host


class Logins:
    def __init__(self, chat: Chat, store: AccountStore, hasher: Hasher) -> None:
        settings = chat.config.accounts
        self.chat = chat
        self.store = store
        self.hasher = hasher
        self.by_address = Throttle(settings.login_burst, settings.login_interval)
        self.by_account = Throttle(settings.account_login_burst, settings.account_login_interval)
        self.registrations = Throttle(settings.register_burst, settings.register_interval)
        self._decoy: str | None = None

    # --- checking --------------------------------------------------------------

    def check_password(self, session: Session, name: str, password: str, now: float, how: str) -> Verdict:
        """Is this the account's password? Throttled, logged, and as slow for a stranger as for an account."""
        address = address_of(session)
        wait = self.by_address.wait(address, now)
        if wait:
            return Verdict(wait=wait)
        plausible = valid_account_name(name, self.chat.config.limits.nicklen)
        if plausible:
            wait = self.by_account.wait(casefold(name), now)
            if wait:
                return Verdict(wait=wait, locked=True)
        try:
            account = self.store.get(name) if plausible else None
        except StoreUnavailable:
            return Verdict(unavailable=True)
        # A name with no account is checked against a decoy hash: the answer
        # takes as long, so timing does not tell which accounts exist.
        right = self.hasher.verify(account.password_hash if account else self.decoy(), password)
        if right and account is not None:
            self._rehash(account, password)
            return Verdict(account)
        self.failed(address, now, how, account=account.name if account else None)
        return Verdict()

    def check_certfp(self, session: Session, authzid: str, now: float) -> Verdict:
        """SASL EXTERNAL: the account that this connection's TLS client certificate logs in to."""
        certfp = session.transport.certfp
        if not certfp:
            return Verdict()
        try:
            name = self.store.by_certfp(certfp)
            account = self.store.get(name) if name else None
        except StoreUnavailable:
            return Verdict(unavailable=True)
        if account is None or (authzid and casefold(authzid) != casefold(account.name)):
            log.info("login failed: certificate %s from %s (SASL EXTERNAL)", certfp, address_of(session))
            return Verdict()
        return Verdict(account)

    def check_server_password(self, session: Session, given: str, now: float, count_failure: bool = True) -> bool:
        """PASS against --password (plain, or its argon2 hash): constant time, throttled like a login."""
        expected = self.chat.config.accounts.password
        address = address_of(session)
        if not expected or self.by_address.wait(address, now):
            return False
        if expected.startswith("$argon2"):
            right = self.hasher.verify(expected, given)
        else:  # digests compared, so neither the time nor the length tells anything
            right = hmac.compare_digest(hashlib.sha256(given.encode()).digest(),
                                        hashlib.sha256(expected.encode()).digest())
        if not right and count_failure:
            self.failed(address, now, "PASS", what="the server password")
        return right

    def failed(self, address: str, now: float, how: str, account: str | None = None,
               what: str = "no such account") -> None:
        """Count a failure against the address (and the account, when there is one) and log it.

        `what` names what was guessed at when it is not an account (an operator, the server password).
        """
        settings = self.chat.config.accounts
        log.info("login failed: %s from %s (%s)", account or what, address, how)
        if self.by_address.spend(address, now):
            log.warning("login: %d failed logins from %s; its attempts are now slowed to one every %gs",
                        settings.login_burst, address, settings.login_interval)
        if account is not None and self.by_account.spend(casefold(account), now):
            log.warning("login: %d failed logins to account %s; its attempts are now slowed to one every %gs",
                        settings.account_login_burst, account, settings.account_login_interval)

    def decoy(self) -> str:
        if self._decoy is None:
            self._decoy = self.hasher.hash("decoy password that no account has")
        return self._decoy

    def _rehash(self, account: Account, password: str) -> None:
        """A hash made with older parameters is made again with today's, now that the password is known."""
        if self.hasher.needs_rehash(account.password_hash):
            try:
                self.store.set_password(account.name, self.hasher.hash(password))
            except StoreUnavailable:
                pass

    def reserved(self, session: Session, nick: str) -> bool:
        """Whether `nick` belongs to an account this client is not logged in to."""
        if casefold(nick) in SERVICE_NICKS:
            return True
        if session.account is not None and casefold(session.account) == casefold(nick):
            return False
        try:
            return self.store.exists(nick)
        except StoreUnavailable:
            return False  # Redis away: the chat goes on, ownership is checked again once it is back

    # --- logging in and out ------------------------------------------------------

    def log_in(self, session: Session, name: str, now: float, how: str) -> None:
        """900 to the client; once registered, its neighbours with account-notify see ACCOUNT."""
        chat = self.chat
        session.account = name
        user = session.user
        mask = user.prefix if user else f"{session.name}!{session.username or '*'}@{session.host}"
        chat.outbox.numeric(session, N.RPL_LOGGEDIN, mask, name, f"You are now logged in as {name}")
        if user is not None:
            user.account = name
            chat.registry.changed(user)
            chat.outbox.to_channels(chat.neighbours(user), Message("ACCOUNT", (name,), user.prefix), now,
                                    sender=session, echo=True, needs=ACCOUNT_NOTIFY)
        chat.log_event("login", session, f"{name} ({how})")

    def log_out(self, session: Session, now: float, why: str) -> None:
        """901 to the client, `ACCOUNT *` to its neighbours with account-notify."""
        chat = self.chat
        name, session.account = session.account, None
        if name is None:
            return
        user = session.user
        mask = user.prefix if user else f"{session.name}!{session.username or '*'}@{session.host}"
        chat.outbox.numeric(session, N.RPL_LOGGEDOUT, mask, "You are now logged out")
        if user is not None:
            user.account = None
            chat.registry.changed(user)
            chat.outbox.to_channels(chat.neighbours(user), Message("ACCOUNT", ("*",), user.prefix), now,
                                    sender=session, echo=True, needs=ACCOUNT_NOTIFY)
        chat.log_event("logout", session, f"{name} ({why})")

    def log_out_everywhere(self, name: str, now: float, why: str, tell: bool = True) -> None:
        """Every connection logged in to this account, on this node and (with `tell`) on the others."""
        folded = casefold(name)
        for session in list(self.chat.sessions.values()):
            if session.account is not None and casefold(session.account) == folded:
                self.log_out(session, now, why)
        if tell:
            self.chat.broadcast_control({"op": "logout", "account": name, "why": why})

    # --- making and changing accounts ------------------------------------------------

    def create(self, session: Session, name: str, password: str, now: float) -> tuple[str, str] | None:
        """Make an account named `name` and log the client in to it; (code, text) when it cannot be made."""
        settings = self.chat.config.accounts
        if not valid_account_name(name, self.chat.config.limits.nicklen):
            return BAD_ACCOUNT_NAME, "Account names follow the rules of nicknames"
        problem = password_problem(password, name, settings.password_min, settings.password_max)
        if problem is not None:
            return problem
        address = address_of(session)
        wait = self.registrations.wait(address, now)
        if wait:
            return TEMPORARILY_UNAVAILABLE, (f"Too many accounts registered from your address; "
                                             f"try again in {math.ceil(wait)} seconds")
        try:
            if self.store.exists(name):
                return ACCOUNT_EXISTS, "That account already exists"
            created = self.store.create(Account(name, self.hasher.hash(password), now))
        except StoreUnavailable:
            return TEMPORARILY_UNAVAILABLE, "Accounts cannot be reached just now; try again later"
        if not created:
            return ACCOUNT_EXISTS, "That account already exists"
        self.registrations.spend(address, now)
        self.chat.log_event("account", session, f"registered {name} from {address}")
        if session.closed is None:
            self.log_in(session, name, now, "registered")
        return None

    def set_password(self, session: Session, password: str) -> tuple[str, str] | None:
        """A new password for the account the client is logged in to; (code, text) when it will not do."""
        name = session.account
        assert name is not None
        settings = self.chat.config.accounts
        problem = password_problem(password, name, settings.password_min, settings.password_max)
        if problem is not None:
            return problem
        try:
            self.store.set_password(name, self.hasher.hash(password))
        except StoreUnavailable:
            return TEMPORARILY_UNAVAILABLE, "Accounts cannot be reached just now; try again later"
        self.chat.log_event("account", session, f"new password for {name}")
        return None

    def delete(self, name: str, now: float, why: str) -> bool:
        """Forget an account; everyone logged in to it is logged out, on every node."""
        if not self.store.delete(name):
            return False
        self.log_out_everywhere(name, now, why)
        return True


def confirmation_code(account: Account) -> str:
    """The code that confirms erasing an account: fixed for this account, new if the name is registered again."""
    digest = hashlib.sha256(f"{casefold(account.name)}\0{account.registered!r}".encode()).hexdigest()
    return digest[:8]
