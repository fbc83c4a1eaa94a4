"""A data directory whose history already holds many lines of the lobby, filled before the server starts.

Saying a million lines through the server would take longer than the
measurement, so the lines are written straight into `history.sqlite3`
through the server's own store (`SqliteHistory`): the same schema, indexes
and batched inserts, and lines shaped as the server keeps them (the relayed
bytes, a msgid of its form, the sender's uid, no tags). The file's size
after a checkpoint, divided by the lines, is the bytes on disk per line.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from geventchat.core.history import Entry
from geventchat.core.outbox import MessageIds
from geventchat.store.sqlite import SqliteHistory

FILE = "history.sqlite3"
BATCH = 20_000  # lines per flush: the server's own flushes are smaller, the rows the same
SPAN = 20 * 86400.0  # the lines are spread over the last 20 days at most: within the default 30 days kept
WORDS = ("the", "a", "build", "is", "green", "again", "who", "broke", "deploy", "lunch", "at", "noon", "ok",
         "thanks", "merged", "review", "please", "tests", "pass", "on", "my", "machine", "ship", "it", "later")


@dataclass
class Seeded:
    """What a fill left: where, how many lines, msgids to ask BEFORE at, and what it cost."""

    folder: Path
    lines: int
    samples: list[str] = field(default_factory=list)  # msgids of lines with at least `depth` lines before them
    seconds: float = 0.0  # time to fill
    line_bytes: float = 0.0  # the relayed line's length, averaged
    disk_bytes: int = 0  # the SQLite file and its WAL after a checkpoint
    prune_seconds: float = 0.0  # one prune pass over the filled store, nothing to drop

    @property
    def bytes_per_line(self) -> float:
        return self.disk_bytes / self.lines if self.lines else 0.0

    def as_dict(self) -> dict[str, object]:
        return {"lines": self.lines, "fill_seconds": self.seconds, "line_bytes": self.line_bytes,
                "disk_bytes": self.disk_bytes, "bytes_per_line": self.bytes_per_line,
                "prune_seconds": self.prune_seconds}


def fill(folder: Path, lines: int, target: str = "#lobby", samples: int = 0, depth: int = 100,
         max_lines: int = 10**9, seed: int = 1) -> Seeded:
    """Write `lines` PRIVMSGs to `target` in `folder`/history.sqlite3, the newest a minute old.

    `samples` msgids are kept of lines with at least `depth` older lines,
    chosen at random over the whole history (BEFORE asks at every depth).
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    rnd = random.Random(seed)
    started = time.monotonic()
    now = time.time()
    step = min(1.0, SPAN / max(1, lines))
    ids = MessageIds("", now)
    wanted = set(rnd.sample(range(depth, lines), min(samples, max(0, lines - depth))))
    kept: list[str] = []
    store = SqliteHistory(path, max_age=SPAN * 2, max_lines=max_lines)
    total = 0
    for index in range(lines):
        nick = b"user%d" % (index % 50)
        text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 16))).encode()
        line = b":%s!%s@127.0.0.1 PRIVMSG %s :%s\r\n" % (nick, nick, target.encode(), text)
        total += len(line)
        msgid = ids()
        if index in wanted:
            kept.append(msgid)
        store.append(Entry(msgid, now - 60.0 - (lines - index) * step, target, "PRIVMSG", line, {},
                           str(index % 50 + 1), None))
        if index % BATCH == BATCH - 1:
            store.flush()
    store.flush()
    took = time.monotonic() - started
    pruned = time.monotonic()
    store.prune(time.time())  # the server's pass every --history-prune-interval: with nothing to drop
    prune_seconds = time.monotonic() - pruned
    store.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    rnd.shuffle(kept)
    disk = sum(os.path.getsize(folder / name) for name in (FILE, FILE + "-wal") if (folder / name).exists())
    return Seeded(folder, lines, kept, took, total / lines if lines else 0.0, disk, prune_seconds)
