"""Accounts: what is kept of one, the store seam, the hasher seam, and the rules for names and passwords.

An account is named after the nick it was registered with, and owns that
nick from then on. Its password is kept only as a hash made by a `Hasher`
(argon2id at the edge; the core never sees how), and checked only by it, in
constant time. Where accounts live is an `AccountStore`: SQLite for one
process, Redis for a network, a dict for a process with no data directory.
Stores take plain data in and give plain data out, and a store that does
I/O does it off the event loop itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from ..protocol.names import casefold, valid_nick
from .history import StoreError

SERVICE_NICKS = frozenset({"nickserv"})
"""Folded nicks of the service users: nobody may take them or register them as accounts."""


@dataclass(frozen=True, slots=True)
class Account:
    name: str  # as it was registered (the nick then); compared folded
    password_hash: str  # the hasher's encoded hash: algorithm, parameters, salt and digest
    registered: float  # seconds since the epoch
    certfps: tuple[str, ...] = ()  # TLS client certificate fingerprints that log in by SASL EXTERNAL


class StoreUnavailable(StoreError):
    """The account store cannot be reached or written just now (a network's Redis is away, a disk
    fails): the client is told to try again later, and nobody is disconnected for it."""


class AccountStore(Protocol):
    """Where accounts live. Names are compared under rfc1459 casefolding."""

    def exists(self, name: str) -> bool:
        """Whether an account has this name; cheap, since every registration asks."""

    def get(self, name: str) -> Account | None: ...

    def create(self, account: Account) -> bool:
        """Keep a new account; False, atomically, when the name is taken."""

    def set_password(self, name: str, password_hash: str) -> None: ...

    def add_certfp(self, name: str, certfp: str) -> bool:
        """Let a certificate log in to the account; False when another account has it."""

    def remove_certfp(self, name: str, certfp: str) -> bool: ...

    def by_certfp(self, certfp: str) -> str | None:
        """The name of the account this certificate logs in to."""

    def delete(self, name: str) -> bool:
        """Forget the account and its certificates; False when there was none."""


class Hasher(Protocol):
    """Password hashing: slow on purpose, and run where it cannot stall the event loop."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether the password is the hashed one: constant time; False for a hash it cannot read."""

    def needs_rehash(self, password_hash: str) -> bool:
        """The hash was made with other parameters than today's: make it again at the next login."""


class MemoryAccounts:
    """Accounts in a dict: for a chat with no data directory (core tests, an embedded Chat).

    Also the ban store of such a chat, as the SQLite and Redis stores are.
    """

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._certfps: dict[str, str] = {}  # fingerprint -> folded account name
        self._bans: dict = {}

    def exists(self, name: str) -> bool:
        return casefold(name) in self._accounts

    def get(self, name: str) -> Account | None:
        return self._accounts.get(casefold(name))

    def create(self, account: Account) -> bool:
        folded = casefold(account.name)
        if folded in self._accounts:
            return False
        self._accounts[folded] = account
        return True

    def set_password(self, name: str, password_hash: str) -> None:
        account = self.get(name)
        if account is not None:
            self._accounts[casefold(name)] = replace(account, password_hash=password_hash)

    def add_certfp(self, name: str, certfp: str) -> bool:
        folded = casefold(name)
        owner = self._certfps.setdefault(certfp, folded)
        account = self._accounts.get(folded)
        if owner != folded or account is None:
            return False
        if certfp not in account.certfps:
            self._accounts[folded] = replace(account, certfps=(*account.certfps, certfp))
        return True

    def remove_certfp(self, name: str, certfp: str) -> bool:
        folded = casefold(name)
        account = self._accounts.get(folded)
        if account is None or certfp not in account.certfps:
            return False
        self._certfps.pop(certfp, None)
        self._accounts[folded] = replace(account, certfps=tuple(fp for fp in account.certfps if fp != certfp))
        return True

    def by_certfp(self, certfp: str) -> str | None:
        folded = self._certfps.get(certfp)
        account = self._accounts.get(folded) if folded else None
        return account.name if account else None

    def delete(self, name: str) -> bool:
        account = self._accounts.pop(casefold(name), None)
        if account is None:
            return False
        for fp in account.certfps:
            self._certfps.pop(fp, None)
        return True

    # --- bans (see opers.py) ----------------------------------------------------

    def bans(self) -> list:
        return list(self._bans.values())

    def add_ban(self, ban) -> None:
        self._bans[ban.mask] = ban

    def remove_ban(self, mask: str) -> bool:
        return self._bans.pop(mask, None) is not None


# --- rules -------------------------------------------------------------------

ACCOUNT_EXISTS = "ACCOUNT_EXISTS"
BAD_ACCOUNT_NAME = "BAD_ACCOUNT_NAME"
WEAK_PASSWORD = "WEAK_PASSWORD"
UNACCEPTABLE_PASSWORD = "UNACCEPTABLE_PASSWORD"
TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
"""Why an account could not be made: the `FAIL REGISTER` codes of draft/account-registration."""


def valid_account_name(name: str, nicklen: int) -> bool:
    """An account name is a nick a client could use: the nick grammar, the nick length, no service's name."""
    return valid_nick(name, nicklen) and casefold(name) not in SERVICE_NICKS


def password_problem(password: str, name: str, shortest: int, longest: int) -> tuple[str, str] | None:
    """Why this password will not do, as (code, text); None when it will.

    No spaces or control characters: a password must fit one NickServ word and
    one `PASS account:password` as well as SASL.
    """
    if len(password.encode()) > longest:
        return UNACCEPTABLE_PASSWORD, f"Passwords are at most {longest} bytes"
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in password):
        return UNACCEPTABLE_PASSWORD, "Passwords may not contain spaces or control characters"
    if len(password) < shortest:
        return WEAK_PASSWORD, f"Passwords are at least {shortest} characters"
    if casefold(password) == casefold(name):
        return WEAK_PASSWORD, "The password may not be the account name"
    return None
