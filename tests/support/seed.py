"""A server's data directory with history already in it, written by the server's own store.

So a test can show lines said on another day (their date on screen proves
the client shows each line's own time) without waiting a day.
"""

from __future__ import annotations

from pathlib import Path

from geventchat.core.history import Entry
from geventchat.protocol.message import format_line
from geventchat.protocol.names import casefold
from geventchat.store.sqlite import SqliteHistory

DAY = 86_400.0


def seed_history(data_dir: Path, channel: str, lines: list[tuple[str, str]], start: float,
                 step: float = 1.0) -> None:
    """PRIVMSGs to `channel` from (prefix, text) pairs, `step` seconds apart from `start`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteHistory(data_dir / "history.sqlite3", max_age=30 * DAY, max_lines=100_000)
    for index, (prefix, text) in enumerate(lines):
        line = format_line("PRIVMSG", channel, text, prefix=prefix)   # as it was relayed
        store.append(Entry(f"seed-{index}", start + index * step, casefold(channel), "PRIVMSG", line))
    store.close()
