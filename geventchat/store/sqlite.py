"""History in one SQLite file: WAL, writes batched, every call run where the edge says.

The store itself is plain Python: the edge hands it `run`, which runs a piece
of database work off the event loop (one worker thread, so writes and reads
keep their order) and waits for it without blocking anyone else. Lines are
appended to memory at once and written in batches by `flush()`, which the
edge calls every flush interval: a crash loses at most that interval. Every
read writes what is pending first, so a line is readable the moment it is sent.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Callable, TypeVar

from ..core.history import MESSAGES, Entry, Ref, StoreError

T = TypeVar("T")
Run = Callable[[Callable[[], T]], T]

SCHEMA = """
CREATE TABLE IF NOT EXISTS lines (
    seq INTEGER PRIMARY KEY,  -- the order lines were written in, assigned by SQLite
    msgid TEXT NOT NULL,
    target TEXT NOT NULL,
    time REAL NOT NULL,
    command TEXT NOT NULL,
    line BLOB NOT NULL,  -- as relayed to a client without capabilities, CRLF included
    tags TEXT,
    sender TEXT,
    account TEXT,
    message INTEGER NOT NULL DEFAULT 0  -- 1 for PRIVMSG and NOTICE: what every reader gets
);
CREATE INDEX IF NOT EXISTS lines_target_time ON lines (target, time, seq);
CREATE INDEX IF NOT EXISTS lines_msgid ON lines (msgid);
CREATE TABLE IF NOT EXISTS read_markers (
    account TEXT NOT NULL,
    target TEXT NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (account, target)
) WITHOUT ROWID;
"""

_COLUMNS = "seq, msgid, target, time, command, line, tags, sender, account"
_INSERT = "msgid, target, time, command, line, tags, sender, account, message"
MESSAGES_INDEX = "CREATE INDEX IF NOT EXISTS lines_messages ON lines (target, message, time, seq)"
"""Messages alone, in order: playback and readers without event-playback skip a busy channel's
JOIN and QUIT lines by the index, not by reading past them."""


def _call(work: Callable[[], T]) -> T:
    return work()


class SqliteHistory:
    def __init__(self, path: Path, max_age: float, max_lines: int, run: Run = _call) -> None:
        """`max_age` in seconds and `max_lines` per target bound what prune() keeps."""
        self.path = path
        self.max_age = max_age
        self.max_lines = max_lines
        self._work = run
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple] = []
        self._touched: set[str] = set()
        self._run(self._open)

    def _run(self, work: Callable[[], T]) -> T:
        """Database work, where the edge runs it; a database error comes back as a StoreError."""
        try:
            return self._work(work)
        except (sqlite3.Error, ValueError, TypeError) as error:  # the database, or a row it cannot read back
            raise StoreError(f"history in {self.path}: {error}") from error

    # --- writing --------------------------------------------------------------

    def append(self, entry: Entry) -> None:
        tags = json.dumps(entry.tags, separators=(",", ":")) if entry.tags else None
        self._pending.append((entry.msgid, entry.target, entry.time, entry.command, entry.line, tags,
                              entry.sender, entry.account, entry.command in MESSAGES))
        self._touched.add(entry.target)

    def flush(self) -> None:
        pending = self._take()
        if pending:
            self._run(lambda: self._write(pending))

    def prune(self, now: float) -> int:
        """Drop lines past the age limit and past each touched target's line limit; returns how many."""
        touched, self._touched = self._touched, set()
        pending = self._take()
        return self._run(lambda: (self._write(pending), self._prune(now, touched))[1])

    def redact(self, target: str, msgid: str) -> None:
        pending = self._take()
        self._run(lambda: (self._write(pending),
                           self._execute("DELETE FROM lines WHERE msgid = ? AND target = ?", (msgid, target))))

    def close(self) -> None:
        self.flush()
        self._run(self._close)

    # --- reading --------------------------------------------------------------

    def latest(self, target: str, after: Ref, limit: int, events: bool = True) -> list[Entry]:
        if after.unbounded:
            return self._select(target, "", (), "DESC", limit, events)
        return self._query(target, after, ">", "DESC", limit, events)

    def before(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        return self._query(target, ref, "<", "DESC", limit, events)

    def after(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        return self._query(target, ref, ">", "ASC", limit, events)

    def around(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        earlier = self._query(target, ref, "<", "DESC", limit // 2, events)
        later = self._query(target, ref, ">=", "ASC", limit - len(earlier), events)
        return earlier + later

    def between(self, target: str, start: Ref, end: Ref, limit: int, events: bool = True) -> list[Entry]:
        first, last = self._position(start, lower=True), self._position(end, lower=False)
        if first is None or last is None:
            return []
        if first <= last:
            where, args, order = "AND (time, seq) > (?, ?) AND (time, seq) < (?, ?)", (*first, *last), "ASC"
        else:  # backwards in time: start is the upper bound, end the lower
            first, last = self._position(start, lower=False), self._position(end, lower=True)
            where, args, order = "AND (time, seq) < (?, ?) AND (time, seq) > (?, ?)", (*first, *last), "DESC"
        return self._select(target, where, args, order, limit, events)

    def targets(self, targets: list[str], start: float, end: float, limit: int) -> list[tuple[str, float]]:
        low, high = min(start, end), max(start, end)
        pending = self._take()

        def work() -> list[tuple[str, float]]:
            self._write(pending)
            found = []
            for target in targets:
                row = self._db.execute(
                    "SELECT MAX(time) FROM lines WHERE target = ? AND message = 1 AND time > ? AND time < ?",
                    (target, low, high),
                ).fetchone()
                if row[0] is not None:
                    found.append((target, row[0]))
            return sorted(found, key=lambda pair: pair[1])[:limit]

        return self._run(work)

    def find(self, target: str, msgid: str) -> Entry | None:
        pending = self._take()

        def work() -> Entry | None:
            self._write(pending)
            row = self._db.execute(f"SELECT {_COLUMNS} FROM lines WHERE msgid = ? AND target = ? LIMIT 1",
                                   (msgid, target)).fetchone()
            return _entry(row) if row else None

        return self._run(work)

    # --- read markers -----------------------------------------------------------

    def read_marker(self, account: str, target: str) -> float | None:
        def work() -> float | None:
            row = self._db.execute("SELECT time FROM read_markers WHERE account = ? AND target = ?",
                                   (account, target)).fetchone()
            return row[0] if row else None

        return self._run(work)

    def set_read_marker(self, account: str, target: str, stamp: float) -> float:
        def work() -> float:
            db = self._db
            db.execute("INSERT INTO read_markers VALUES (?, ?, ?) ON CONFLICT (account, target) "
                       "DO UPDATE SET time = MAX(time, excluded.time)", (account, target, stamp))
            db.commit()
            return db.execute("SELECT time FROM read_markers WHERE account = ? AND target = ?",
                              (account, target)).fetchone()[0]

        return self._run(work)

    # --- in the worker ----------------------------------------------------------

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level="DEFERRED")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a crash of the process loses nothing committed
        columns = {row[1] for row in db.execute("PRAGMA table_info(lines)")}
        if columns and "line" not in columns:  # a file of an earlier layout: its history is set aside
            db.execute("ALTER TABLE lines RENAME TO lines_earlier_layout")
            for index in ("lines_target_time", "lines_msgid", "lines_messages"):
                db.execute(f"DROP INDEX IF EXISTS {index}")
        db.executescript(SCHEMA)
        db.execute(MESSAGES_INDEX)
        db.commit()
        self._db = db

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _take(self) -> list[tuple]:
        pending, self._pending = self._pending, []
        return pending

    def _write(self, rows: list[tuple]) -> None:
        if rows:
            self._db.executemany(f"INSERT INTO lines ({_INSERT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self._db.commit()

    def _execute(self, sql: str, args: tuple) -> None:
        self._db.execute(sql, args)
        self._db.commit()

    def _prune(self, now: float, touched: set[str]) -> int:
        db = self._db
        dropped = db.execute("DELETE FROM lines WHERE time < ?", (now - self.max_age,)).rowcount
        for target in touched:
            dropped += db.execute(
                "DELETE FROM lines WHERE target = ? AND (time, seq) <= (SELECT time, seq FROM lines "
                "WHERE target = ? ORDER BY time DESC, seq DESC LIMIT 1 OFFSET ?)",
                (target, target, self.max_lines),
            ).rowcount
        db.commit()
        return dropped

    def _position(self, ref: Ref, lower: bool) -> tuple[float, int] | None:
        """Where a reference falls in the order (time, seq): a msgid's own line, or a time.

        A time as a lower bound sits after every line of that instant, as an
        upper bound before them, so both bounds exclude the instant itself.
        """
        if ref.msgid is not None:
            pending = self._take()

            def work() -> tuple[float, int] | None:
                self._write(pending)
                row = self._db.execute("SELECT time, seq FROM lines WHERE msgid = ? LIMIT 1",
                                       (ref.msgid,)).fetchone()
                return (row[0], row[1]) if row else None

            return self._run(work)
        if ref.time is None:
            return None
        return (ref.time, 1 << 62) if lower else (ref.time, 0)

    def _query(self, target: str, ref: Ref, op: str, order: str, limit: int, events: bool) -> list[Entry]:
        position = self._position(ref, lower=op == ">")
        if position is None or limit <= 0:
            return []
        return self._select(target, f"AND (time, seq) {op} (?, ?)", position, order, limit, events)

    def _select(self, target: str, where: str, args: tuple, order: str, limit: int, events: bool) -> list[Entry]:
        pending = self._take()
        kinds = "" if events else "AND message = 1 "
        sql = (f"SELECT {_COLUMNS} FROM lines WHERE target = ? {kinds}{where} "
               f"ORDER BY time {order}, seq {order} LIMIT ?")

        def work() -> list[Entry]:
            self._write(pending)
            return [_entry(row) for row in self._db.execute(sql, (target, *args, limit))]

        rows = self._run(work)
        return rows[::-1] if order == "DESC" else rows


def _entry(row: tuple) -> Entry:
    _, msgid, target, stamp, command, line, tags, sender, account = row
    return Entry(msgid, stamp, target, command, bytes(line), json.loads(tags) if tags else {}, sender or "", account)
