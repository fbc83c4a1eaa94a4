"""What a node has to send to Redis, kept in order and bounded.

`pending` holds entries not yet written, in the order they were made; while
Redis is away it is the outage buffer, bounded in time (from the moment the
link went down) and in bytes. Past either bound new lines are dropped and
counted, never silently: the node tells its users once (announce.py). Nick
releases carry no line and are always kept, so a bound can never strand a
nick in Redis.

`sent` keeps what was written in the last few seconds: a Redis that
restarts empty may have lost entries no other node had read yet, so they
are written again; readers drop the copies they have (reader.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(slots=True, eq=False)
class Item:
    """One entry for the bus streams (or none), with the Redis ops that go with it."""

    streams: tuple[str, ...]  # stream keys the entry goes to; empty: ops only
    message: bytes  # the entry's `m` field (envelope.py)
    ops: tuple = ()  # flat op arguments for the APPEND script
    op_count: int = 0
    about: str | None = None  # the uid whose line or record this is
    seqs: tuple[int, ...] = ()  # per stream, given once per epoch when first written
    epoch: str = ""
    at: float = 0.0  # when it was made (pending) or written (sent)
    size: int = 0  # bytes it holds, roughly: the message and a little per stream (given by the hot path)

    def __post_init__(self) -> None:
        if not self.size:
            self.size = len(self.message) + 64 * (1 + len(self.streams))


class Backlog:
    def __init__(self, max_bytes: int, max_seconds: float, replay_seconds: float) -> None:
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.replay_seconds = replay_seconds
        self.pending: deque[Item] = deque()
        self.pending_bytes = 0
        self.sent: deque[Item] = deque()
        self.sent_bytes = 0
        self.down_since: float | None = None  # the link is down since then
        self.trouble_since: float | None = None  # the link went down or lines were dropped since then
        self.dropped = 0  # lines dropped since trouble began
        self.told = False  # users were told that lines are being lost

    # --- making entries ---------------------------------------------------

    def add(self, item: Item, now: float, force: bool = False) -> bool:
        """Queue an item; False when it was dropped for passing a bound (`force`: never)."""
        if item.streams and not force and self._full(item, now):
            self.dropped += 1
            if self.trouble_since is None:
                self.trouble_since = now
            return False
        item.at = now
        self.pending.append(item)
        self.pending_bytes += item.size
        return True

    def _full(self, item: Item, now: float) -> bool:
        if self.pending_bytes + item.size > self.max_bytes:
            return True
        return self.down_since is not None and now - self.down_since > self.max_seconds

    # --- writing them -------------------------------------------------------

    def take(self, count: int) -> list[Item]:
        pending = self.pending
        batch = [pending.popleft() for _ in range(min(count, len(pending)))]
        self.pending_bytes -= sum(item.size for item in batch)
        return batch

    def put_back(self, batch: list[Item]) -> None:
        """A batch that was not written goes back to the front, in its order."""
        self.pending.extendleft(reversed(batch))
        self.pending_bytes += sum(item.size for item in batch)

    def written(self, batch: list[Item], now: float) -> None:
        sent = self.sent
        for item in batch:
            if item.streams:
                item.at = now
                sent.append(item)
                self.sent_bytes += item.size
        horizon = now - self.replay_seconds
        while sent and (sent[0].at < horizon or self.sent_bytes > self.max_bytes):
            self.sent_bytes -= sent.popleft().size

    def replay(self) -> int:
        """Redis came back empty: what was written lately goes again, first."""
        count = len(self.sent)
        self.pending.extendleft(reversed(self.sent))
        self.pending_bytes += self.sent_bytes
        self.sent.clear()
        self.sent_bytes = 0
        return count

    def drop(self, unwanted: Callable[[Item], bool]) -> dict[str | None, int]:
        """Remove the pending entries `unwanted` picks; returns how many per uid."""
        kept: deque[Item] = deque()
        counts: dict[str | None, int] = {}
        for item in self.pending:
            if item.streams and unwanted(item):
                counts[item.about] = counts.get(item.about, 0) + 1
                self.pending_bytes -= item.size
            else:
                kept.append(item)
        self.pending = kept
        return counts

    def push_front(self, items: Iterable[Item]) -> None:
        for item in reversed(list(items)):
            self.pending.appendleft(item)
            self.pending_bytes += item.size

    # --- the link's state ---------------------------------------------------

    def link_down(self, now: float) -> None:
        if self.down_since is None:
            self.down_since = now
        if self.trouble_since is None:
            self.trouble_since = now

    def link_up(self) -> None:
        self.down_since = None

    def past_bound(self, now: float) -> bool:
        """Lines are being lost: dropped already, or the link is down longer than they are kept."""
        if self.dropped:
            return True
        return self.down_since is not None and now - self.down_since > self.max_seconds

    def settled(self) -> bool:
        return self.down_since is None and not self.pending

    def end_trouble(self) -> None:
        self.trouble_since = None
        self.dropped = 0
        self.told = False
