"""History in one SQLite file: WAL, writes batched, every call run where the edge says.

The store itself is plain Python: the edge hands it `run`, which runs a piece
of database work off the event loop (one worker thread, so writes and reads
keep their order) and waits for it without blocking anyone else. Lines are
appended to memory at once and written in batches by `flush()`, which the
edge calls every flush interval: a crash loses at most that interval. A read
answers from the file and from the lines still in memory together, so a line
is readable the moment it is said and no read forces a small write.
Checkpoints (folding the WAL back into the file) run on a connection and a
thread of their own (`checkpoint()`), so no read waits behind one.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Callable, TypeVar

from ..core.history import MESSAGES, Entry, Ref, StoreError, counted_from, sides

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
CREATE INDEX IF NOT EXISTS lines_messages ON lines (target, message, time, seq);
CREATE INDEX IF NOT EXISTS lines_msgid ON lines (msgid);
CREATE TABLE IF NOT EXISTS conversations (  -- who has private lines kept with whom, for TARGETS
    account TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (account, target)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS read_markers (
    account TEXT NOT NULL,
    target TEXT NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (account, target)
) WITHOUT ROWID;
"""
"""One ordered index serves every read: messages alone (playback, readers without
event-playback) are one range of it, every line the merge of its two ranges."""

_COLUMNS = "seq, msgid, target, time, command, line, tags, sender, account"
_INSERT = "msgid, target, time, command, line, tags, sender, account, message"
_ROWS_PER_INSERT = 256  # 2,304 values a statement, well inside SQLite's 32,766
_LAST = 1 << 62  # a seq after every line: a time as a lower bound sits after its instant's lines
_MEMORY = 1 << 60  # lines still in memory come after every written one (their seq is not given yet)
_KINDS = {True: (0, 1), False: (1,)}  # `message` values a read spans, with or without events

Key = tuple[float, int]  # the order of lines: (time, seq)


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
        self._checkpointer: sqlite3.Connection | None = None
        self._pending: list[tuple] = []  # rows not yet written, in the order they were said
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
        pending, self._pending = self._pending, []
        if pending:
            self._run(lambda: self._write(pending))

    def prune(self, now: float) -> int:
        """Drop lines past the age limit and past each touched target's line limit; returns how many."""
        touched, self._touched = self._touched, set()
        self.flush()
        return self._run(lambda: self._prune(now, touched))

    def redact(self, target: str, msgid: str) -> None:
        self._pending = [row for row in self._pending if not (row[0] == msgid and row[1] == target)]
        self._run(lambda: self._execute("DELETE FROM lines WHERE msgid = ? AND target = ?", (msgid, target)))

    def checkpoint(self) -> None:
        """Fold the WAL into the file, on the caller's thread and connection: readers never wait for it."""
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(str(self.path), check_same_thread=False)
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        self.flush()
        self._run(self._close)

    # --- reading --------------------------------------------------------------

    def latest(self, target: str, after: Ref, limit: int, events: bool = True) -> list[Entry]:
        low = self._position(target, after, lower=True) if not after.unbounded else None
        if low is None and not after.unbounded:
            return []
        return self._read(target, low, None, limit, events, newest=True)

    def before(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        high = self._position(target, ref, lower=False)
        return self._read(target, None, high, limit, events, newest=True) if high is not None else []

    def after(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        low = self._position(target, ref, lower=True)
        return self._read(target, low, None, limit, events, newest=False) if low is not None else []

    def around(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        position = self._position(target, ref, lower=False)
        if position is None:
            return []
        earlier = self._read(target, None, position, limit // 2, events, newest=True)
        just_before = (position[0], position[1] - 1)  # so that a msgid's own line is in the later half
        return earlier + self._read(target, just_before, None, limit - len(earlier), events, newest=False)

    def between(self, target: str, start: Ref, end: Ref, limit: int, events: bool = True) -> list[Entry]:
        first, last = self._position(target, start, lower=True), self._position(target, end, lower=False)
        if first is None or last is None:
            return []
        if first <= last:
            return self._read(target, first, last, limit, events, newest=False)
        # backwards in time: start is the upper bound, end the lower, counted from start
        high, low = self._position(target, start, lower=False), self._position(target, end, lower=True)
        return self._read(target, low, high, limit, events, newest=True)

    def targets(self, targets: list[str], start: float, end: float, limit: int) -> list[tuple[str, float]]:
        low, high = min(start, end), max(start, end)
        latest: dict[str, float] = {}
        for row in self._pending:  # messages still in memory
            if row[8] and low < row[2] < high and row[1] in targets:
                latest[row[1]] = max(latest.get(row[1], row[2]), row[2])

        def work() -> list[tuple[str, float]]:
            for target in targets:
                stored = self._db.execute(
                    "SELECT MAX(time) FROM lines WHERE target = ? AND message = 1 AND time > ? AND time < ?",
                    (target, low, high),
                ).fetchone()[0]
                if stored is not None:
                    latest[target] = max(latest.get(target, stored), stored)
            return counted_from(list(latest.items()), start, end, limit)

        return self._run(work)

    def conversations(self, account: str) -> list[str]:
        waiting = {row[1] for row in self._pending if account in (sides(row[1]) or ())}

        def work() -> list[str]:
            rows = self._db.execute("SELECT target FROM conversations WHERE account = ?", (account,)).fetchall()
            return sorted(waiting.union(target for (target,) in rows))

        return self._run(work)

    def find(self, target: str, msgid: str) -> Entry | None:
        for row in self._pending:
            if row[0] == msgid and row[1] == target:
                return _pending_entry(row)

        def work() -> Entry | None:
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

    # --- the order of lines -----------------------------------------------------

    def _position(self, target: str, ref: Ref, lower: bool) -> Key | None:
        """Where a reference falls in the order (time, seq): a msgid's own line, or a time.

        A time as a lower bound sits after every line of that instant, as an
        upper bound before them, so both bounds exclude the instant itself.
        """
        if ref.msgid is None:
            if ref.time is None:
                return None
            return (ref.time, _LAST) if lower else (ref.time, 0)
        for index, row in enumerate(self._pending):
            if row[0] == ref.msgid and row[1] == target:
                return (row[2], _MEMORY + index)

        def work() -> Key | None:
            row = self._db.execute("SELECT time, seq FROM lines WHERE msgid = ? AND target = ? LIMIT 1",
                                   (ref.msgid, target)).fetchone()
            return (row[0], row[1]) if row else None

        return self._run(work)

    def _read(self, target: str, low: Key | None, high: Key | None, limit: int, events: bool,
              newest: bool) -> list[Entry]:
        """Up to `limit` lines strictly between two positions, oldest first: the newest ones of the
        range (BEFORE, LATEST) or its oldest (AFTER), from the file and from memory together."""
        if limit <= 0:
            return []
        kinds = _KINDS[events]
        found = [(key, entry) for key, entry in self._in_memory(target, kinds)
                 if (low is None or key > low) and (high is None or key < high)]
        if not (newest and len(found) >= limit):  # the file holds only older lines than memory
            bounds, args = "", []
            if low is not None:
                bounds += " AND (time, seq) > (?, ?)"
                args += low
            if high is not None:
                bounds += " AND (time, seq) < (?, ?)"
                args += high
            order = "DESC" if newest else "ASC"
            sql = (f"SELECT {_COLUMNS} FROM lines WHERE target = ? AND message = ?{bounds} "
                   f"ORDER BY time {order}, seq {order} LIMIT ?")

            def work() -> list[tuple]:
                rows = []
                for kind in kinds:  # each kind is one range of the index, in order
                    rows += self._db.execute(sql, (target, kind, *args, limit)).fetchall()
                return rows

            found += [((row[3], row[0]), _entry(row)) for row in self._run(work)]
        found.sort(key=lambda pair: pair[0])
        chosen = found[-limit:] if newest else found[:limit]
        return [entry for _, entry in chosen]

    def _in_memory(self, target: str, kinds: tuple[int, ...]) -> list[tuple[Key, Entry]]:
        return [((row[2], _MEMORY + index), _pending_entry(row)) for index, row in enumerate(self._pending)
                if row[1] == target and int(row[8]) in kinds]

    # --- in the worker ----------------------------------------------------------

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level="DEFERRED")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a crash of the process loses nothing committed
        db.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoint() does it, off this connection's thread
        columns = {row[1] for row in db.execute("PRAGMA table_info(lines)")}
        if columns and "line" not in columns:  # a file of an earlier layout: its history is set aside
            db.execute("ALTER TABLE lines RENAME TO lines_earlier_layout")
            for index in ("lines_target_time", "lines_msgid", "lines_messages"):
                db.execute(f"DROP INDEX IF EXISTS {index}")
        listed = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'conversations'").fetchone()
        db.executescript(SCHEMA)
        if not listed:  # a file from before the table: list the conversations it holds
            targets = db.execute("SELECT DISTINCT target FROM lines WHERE target >= '@' AND target < 'A'").fetchall()
            _list_conversations(db, {target for (target,) in targets})
        db.execute("DROP INDEX IF EXISTS lines_target_time")  # the earlier second index: lines_messages serves
        db.commit()
        self._db = db

    def _close(self) -> None:
        if self._db is not None:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()
            self._db = None

    def _write(self, rows: list[tuple]) -> None:
        """Many rows to one INSERT: a third less CPU a line than a statement run per row (executemany)."""
        db = self._db
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start:start + _ROWS_PER_INSERT]
            db.execute(_insert(len(chunk)), [value for row in chunk for value in row])
        _list_conversations(db, {row[1] for row in rows if row[1].startswith("@")})
        db.commit()

    def _execute(self, sql: str, args: tuple) -> None:
        self._db.execute(sql, args)
        self._db.commit()

    def _prune(self, now: float, touched: set[str]) -> int:
        db = self._db
        oldest = now - self.max_age
        dropped = 0
        for (target,) in db.execute("SELECT DISTINCT target FROM lines").fetchall():
            dropped += db.execute("DELETE FROM lines WHERE target = ? AND message IN (0, 1) AND time < ?",
                                  (target, oldest)).rowcount
        for target in touched:
            extra = db.execute("SELECT COUNT(*) FROM lines WHERE target = ?", (target,)).fetchone()[0] - self.max_lines
            if extra > 0:  # the oldest go: rows are numbered in the order they were written
                dropped += db.execute("DELETE FROM lines WHERE seq IN (SELECT seq FROM lines WHERE target = ? "
                                      "ORDER BY seq LIMIT ?)", (target, extra)).rowcount
        db.commit()
        return dropped


def _list_conversations(db: sqlite3.Connection, targets: set[str]) -> None:
    """Each conversation under both of its accounts (once: the table ignores what it has)."""
    pairs = [(account, target) for target in targets for account in set(sides(target) or ())]
    if pairs:
        db.executemany("INSERT OR IGNORE INTO conversations VALUES (?, ?)", pairs)


def _insert(rows: int) -> str:
    """An INSERT of this many rows; rows take their seq in the order they are listed."""
    return f"INSERT INTO lines ({_INSERT}) VALUES " + ", ".join(("(?, ?, ?, ?, ?, ?, ?, ?, ?)",) * rows)


def _entry(row: tuple) -> Entry:
    _, msgid, target, stamp, command, line, tags, sender, account = row
    return Entry(msgid, stamp, target, command, bytes(line), json.loads(tags) if tags else {}, sender or "", account)


def _pending_entry(row: tuple) -> Entry:
    msgid, target, stamp, command, line, tags, sender, account, _ = row
    return Entry(msgid, stamp, target, command, line, json.loads(tags) if tags else {}, sender or "", account)
