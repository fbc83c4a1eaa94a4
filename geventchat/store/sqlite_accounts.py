"""Accounts and K-lines in one SQLite file beside the history: the AccountStore and BanStore of one process.

Plain Python like the history store: every piece of database work goes
through `run`, which the edge points at the stores' worker thread. Account
names are also held in memory (a set of folded names), because every
registration asks whether its nick belongs to an account, and that answer
must cost no more than a set lookup. Only this process writes the file, so
the set stays true. The file is made when the first account or K-line is.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Callable, TypeVar

from ..core.accounts import Account, StoreUnavailable
from ..core.opers import Ban
from ..protocol.names import casefold

T = TypeVar("T")
Run = Callable[[Callable[[], T]], T]

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    folded TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    registered REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS certfps (
    certfp TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts (folded) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS certfps_account ON certfps (account);
CREATE TABLE IF NOT EXISTS klines (
    mask TEXT PRIMARY KEY,
    record TEXT NOT NULL
) WITHOUT ROWID;
"""


def _call(work: Callable[[], T]) -> T:
    return work()


class SqliteAccounts:
    def __init__(self, path: Path, run: Run = _call) -> None:
        self.path = path
        self._edge = run
        self._db: sqlite3.Connection | None = None
        self._names: set[str] = self._run(self._open)

    def _run(self, work: Callable[[], T]) -> T:
        """Database work where the edge runs it; a database error is the store being unavailable."""
        try:
            return self._edge(work)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"{self.path}: {error}") from None

    def close(self) -> None:
        self._run(self._close)

    # --- accounts ----------------------------------------------------------------

    def exists(self, name: str) -> bool:
        return casefold(name) in self._names

    def get(self, name: str) -> Account | None:
        folded = casefold(name)
        if folded not in self._names:
            return None

        def work() -> Account | None:
            if self._db is None:
                return None
            row = self._db.execute("SELECT name, password_hash, registered FROM accounts WHERE folded = ?",
                                   (folded,)).fetchone()
            if row is None:
                return None
            prints = tuple(fp for (fp,) in self._db.execute(
                "SELECT certfp FROM certfps WHERE account = ? ORDER BY certfp", (folded,)))
            return Account(row[0], row[1], row[2], prints)

        return self._run(work)

    def create(self, account: Account) -> bool:
        folded = casefold(account.name)

        def work() -> bool:
            self._made()
            try:
                self._execute("INSERT INTO accounts VALUES (?, ?, ?, ?)",
                              (folded, account.name, account.password_hash, account.registered))
            except sqlite3.IntegrityError:
                return False
            return True

        created = self._run(work)
        if created:
            self._names.add(folded)
        return created

    def set_password(self, name: str, password_hash: str) -> None:
        folded = casefold(name)
        self._run(lambda: self._db is not None and self._execute(
            "UPDATE accounts SET password_hash = ? WHERE folded = ?", (password_hash, folded)))

    def add_certfp(self, name: str, certfp: str) -> bool:
        folded = casefold(name)

        def work() -> bool:
            if self._db is None:
                return False
            owner = self._db.execute("SELECT account FROM certfps WHERE certfp = ?", (certfp,)).fetchone()
            if owner is not None:
                return owner[0] == folded
            if self._db.execute("SELECT 1 FROM accounts WHERE folded = ?", (folded,)).fetchone() is None:
                return False
            self._execute("INSERT INTO certfps VALUES (?, ?)", (certfp, folded))
            return True

        return self._run(work)

    def remove_certfp(self, name: str, certfp: str) -> bool:
        folded = casefold(name)
        return self._run(lambda: self._db is not None and self._execute(
            "DELETE FROM certfps WHERE certfp = ? AND account = ?", (certfp, folded)) > 0)

    def by_certfp(self, certfp: str) -> str | None:
        def work() -> str | None:
            if self._db is None:
                return None
            row = self._db.execute("SELECT accounts.name FROM certfps JOIN accounts ON accounts.folded = "
                                   "certfps.account WHERE certfp = ?", (certfp,)).fetchone()
            return row[0] if row else None

        return self._run(work)

    def delete(self, name: str) -> bool:
        folded = casefold(name)

        def work() -> bool:
            if self._db is None:
                return False
            self._db.execute("DELETE FROM certfps WHERE account = ?", (folded,))
            return self._execute("DELETE FROM accounts WHERE folded = ?", (folded,)) > 0

        deleted = self._run(work)
        self._names.discard(folded)
        return deleted

    # --- K-lines -------------------------------------------------------------------

    def bans(self) -> list[Ban]:
        rows = self._run(lambda: self._db.execute("SELECT record FROM klines").fetchall() if self._db else [])
        return [Ban.from_record(json.loads(record)) for (record,) in rows]

    def add_ban(self, ban: Ban) -> None:
        record = json.dumps(ban.record(), separators=(",", ":"))
        self._run(lambda: (self._made(), self._execute("INSERT OR REPLACE INTO klines VALUES (?, ?)",
                                                       (ban.mask, record))))

    def remove_ban(self, mask: str) -> bool:
        return self._run(lambda: self._db is not None and self._execute(
            "DELETE FROM klines WHERE mask = ?", (mask,)) > 0)

    # --- in the worker ---------------------------------------------------------------

    def _open(self) -> set[str]:
        """The names of the accounts in the file, if there is one yet."""
        if not self.path.exists():
            return set()
        db = self._made()
        return {folded for (folded,) in db.execute("SELECT folded FROM accounts")}

    def _made(self) -> sqlite3.Connection:
        """The database, made (with its folder) if it is not there yet."""
        if self._db is not None:
            return self._db
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")  # an account or a ban, once acknowledged, survives a power cut
        db.execute("PRAGMA foreign_keys = ON")
        db.executescript(SCHEMA)
        db.commit()
        self._db = db
        return db

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _execute(self, sql: str, args: tuple) -> int:
        changed = self._db.execute(sql, args).rowcount
        self._db.commit()
        return changed
