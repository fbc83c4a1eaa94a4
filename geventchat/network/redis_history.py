"""History on a network: one truth in Redis, written in step with the lines, read by every node.

Each target (a folded channel, or a private conversation's key) has three
sorted sets scored by the line's time: every line (`hist`), its messages alone
(`histm`: what readers without event-playback get, and the playback on
join), and its msgids (`histid`, for references and REDACT). A member is the
line as kept: a small JSON header (msgid, time, command, sender, account,
client tags), a newline, the line's bytes.

Writes ride with the line itself: the bus runs the commands of the lines
kept just before it publishes (`bus_commands`) inside the same atomic,
fenced append, so every node's history has the same lines in the same order,
and a line said while Redis was away is kept when Redis is back, with it.
ZADD is idempotent, which a line written again after a Redis restart needs.
Lines that went to no stream (a private line to a user of this node) are
written by `flush` on the node's timer. Reads are plain Redis calls: they
wait for Redis, not for the event loop (redis-py's sockets are patched).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from redis.exceptions import RedisError

from ..core.delivery import Delivery
from ..core.history import MESSAGES, Entry, Ref, StoreError, counted_from, sides
from .backlog import Item
from .keys import Keys
from .link import RedisLink

log = logging.getLogger("geventchat")

Command = tuple
FETCH_EXTRA = 16
"""Lines read past a limit, for the ties of a msgid's own instant (filtered here)."""

MAX_SCRIPT = """
local now = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local wanted = tonumber(ARGV[2])
if wanted > now then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); return ARGV[2] end
return tostring(now)
"""
"""A read marker only moves forward: KEYS: the account's hash; ARGV: target, time."""


class RedisHistory:
    def __init__(self, link: RedisLink, keys: Keys, max_age: float, max_lines: int) -> None:
        self.link = link
        self.redis = link.redis
        self.prefix = keys.prefix
        self.max_age = max_age
        self.max_lines = max_lines
        self._pending: list[Command] = []  # commands for lines kept, until their line is published
        self._max = self.redis.register_script(MAX_SCRIPT)

    # --- keys -------------------------------------------------------------

    def _lines(self, target: str, events: bool = True) -> str:
        return f"{self.prefix}:{'hist' if events else 'histm'}:{target}"

    def _ids(self, target: str) -> str:
        return f"{self.prefix}:histid:{target}"

    @property
    def _targets(self) -> str:
        return f"{self.prefix}:histtargets"

    def _conversations(self, account: str) -> str:
        return f"{self.prefix}:histconv:{account}"

    # --- writing ----------------------------------------------------------

    def append(self, entry: Entry) -> None:
        header = {"m": entry.msgid, "t": entry.time, "c": entry.command}
        if entry.sender:
            header["s"] = entry.sender
        if entry.account:
            header["a"] = entry.account
        if entry.tags:
            header["g"] = entry.tags
        member = json.dumps(header, separators=(",", ":")).encode() + b"\n" + entry.line
        score = repr(entry.time)
        cap = str(-(self.max_lines + 1))
        keys = [self._lines(entry.target)]
        if entry.command in MESSAGES:
            keys.append(self._lines(entry.target, events=False))
        for key in keys:
            self._pending.append(("ZADD", key, score, member))
            self._pending.append(("ZREMRANGEBYRANK", key, "0", cap))
        self._pending.append(("ZADD", self._ids(entry.target), score, entry.msgid))
        self._pending.append(("ZREMRANGEBYRANK", self._ids(entry.target), "0", cap))
        self._pending.append(("SADD", self._targets, entry.target))
        for account in set(sides(entry.target) or ()):
            self._pending.append(("SADD", self._conversations(account), entry.target))

    def bus_commands(self, delivery: Delivery) -> list[Command]:
        """The bus's writer: the commands of the lines kept so far, to run with this line's entry."""
        pending, self._pending = self._pending, []
        return pending

    def flush(self) -> None:
        """Write what no published line took along (a private line to a user of this node)."""
        if self._pending:
            pending, self._pending = self._pending, []
            ops: tuple = ()
            for command in pending:
                ops += ("cmd", len(command), *command)
            self.link.append(Item((), b"", ops, len(pending)))

    def prune(self, now: float) -> int:
        """Drop what is past the age limit (the line limit is kept at each write)."""
        oldest = repr(now - self.max_age)
        dropped = 0
        for target in self._call(lambda: self.redis.smembers(self._targets)):
            name = target.decode()
            keys = (self._lines(name), self._lines(name, events=False), self._ids(name))
            pipe = self.redis.pipeline(transaction=False)
            for key in keys:
                pipe.zremrangebyscore(key, "-inf", f"({oldest}")
            pipe.exists(keys[0])
            *counts, left = self._call(pipe.execute)
            dropped += counts[0]
            if not left:
                self._call(lambda: self.redis.srem(self._targets, name))
        return dropped

    def redact(self, target: str, msgid: str) -> None:
        member = self._member(target, msgid)
        if member is None:
            return
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(self._lines(target), member)
        pipe.zrem(self._lines(target, events=False), member)
        pipe.zrem(self._ids(target), msgid)
        self._call(pipe.execute)

    def close(self) -> None:
        self.flush()

    # --- reading ----------------------------------------------------------

    def latest(self, target: str, after: Ref, limit: int, events: bool = True) -> list[Entry]:
        if after.unbounded:
            key = self._lines(target, events)
            return _entries(reversed(self._call(lambda: self.redis.zrevrange(key, 0, limit - 1))), target)
        return self._range(target, after, newer=True, limit=limit, events=events, newest=True)

    def before(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        return self._range(target, ref, newer=False, limit=limit, events=events)

    def after(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        return self._range(target, ref, newer=True, limit=limit, events=events)

    def around(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        earlier = self._range(target, ref, newer=False, limit=limit // 2, events=events)
        later = self._range(target, ref, newer=True, limit=limit - len(earlier), events=events, inclusive=True)
        return earlier + later

    def between(self, target: str, start: Ref, end: Ref, limit: int, events: bool = True) -> list[Entry]:
        first, last = self._position(target, start), self._position(target, end)
        if first is None or last is None:
            return []
        forward = first <= last
        low, high = (first, last) if forward else (last, first)
        key = self._lines(target, events)
        rows = self._call(lambda: self.redis.zrangebyscore(key, low[0], high[0]))
        inside = [entry for entry in _entries(rows, target) if low < _order(entry) < high]
        return inside[:limit] if forward else inside[-limit:]

    def targets(self, targets: list[str], start: float, end: float, limit: int) -> list[tuple[str, float]]:
        low, high = min(start, end), max(start, end)
        pipe = self.redis.pipeline(transaction=False)
        for target in targets:
            pipe.zrevrangebyscore(self._lines(target, events=False), f"({high}", f"({low}", start=0, num=1,
                                  withscores=True)
        found = [(target, rows[0][1]) for target, rows in zip(targets, self._call(pipe.execute)) if rows]
        return counted_from(found, start, end, limit)

    def conversations(self, account: str) -> list[str]:
        return sorted(item.decode() for item in self._call(lambda: self.redis.smembers(self._conversations(account))))

    def find(self, target: str, msgid: str) -> Entry | None:
        member = self._member(target, msgid)
        return _entries([member], target)[0] if member is not None else None

    # --- read markers -----------------------------------------------------

    def read_marker(self, account: str, target: str) -> float | None:
        value = self._call(lambda: self.redis.hget(f"{self.prefix}:readmarker:{account}", target))
        return float(value) if value else None

    def set_read_marker(self, account: str, target: str, stamp: float) -> float:
        key = f"{self.prefix}:readmarker:{account}"
        return float(self._call(lambda: self._max(keys=[key], args=[target, repr(stamp)])))

    # --- helpers ----------------------------------------------------------

    def _call(self, work):
        try:
            return work()
        except (RedisError, ValueError) as error:
            raise StoreError(f"history in Redis: {error}") from error

    def _member(self, target: str, msgid: str) -> bytes | None:
        score = self._call(lambda: self.redis.zscore(self._ids(target), msgid))
        if score is None:
            return None
        rows = self._call(lambda: self.redis.zrangebyscore(self._lines(target), score, score))
        prefix = b'{"m":' + json.dumps(msgid).encode() + b","
        return next((row for row in rows if row.startswith(prefix)), None)

    def _position(self, target: str, ref: Ref) -> tuple[float, str] | None:
        """Where a reference falls in the order (time, msgid); a time sits before its instant's lines."""
        if ref.msgid is not None:
            score = self._call(lambda: self.redis.zscore(self._ids(target), ref.msgid))
            return (score, ref.msgid) if score is not None else None
        return (ref.time, "") if ref.time is not None else None

    def _range(self, target: str, ref: Ref, newer: bool, limit: int, events: bool, newest: bool = False,
               inclusive: bool = False) -> list[Entry]:
        """Up to `limit` lines on one side of `ref`: the nearest ones, or the newest (LATEST)."""
        position = self._position(target, ref)
        if position is None or limit <= 0:
            return []
        if ref.msgid is None and newer and not inclusive:
            position = (position[0], "\U0010ffff")  # after a time: past every line of that instant
        key = self._lines(target, events)
        score = repr(position[0])
        fetch = limit + FETCH_EXTRA
        if newer:
            if newest:
                rows = reversed(self._call(lambda: self.redis.zrevrangebyscore(key, "+inf", score, 0, fetch)))
            else:
                rows = self._call(lambda: self.redis.zrangebyscore(key, score, "+inf", 0, fetch))
            kept = [e for e in _entries(rows, target) if _order(e) > position or (inclusive and _order(e) == position)]
            return kept[-limit:] if newest else kept[:limit]
        rows = reversed(self._call(lambda: self.redis.zrevrangebyscore(key, score, "-inf", 0, fetch)))
        return [e for e in _entries(rows, target) if _order(e) < position][-limit:]


def _order(entry: Entry) -> tuple[float, str]:
    return (entry.time, entry.msgid)


def _entries(rows: Sequence[bytes] | object, target: str) -> list[Entry]:
    found = []
    for row in rows:
        header, _, line = row.partition(b"\n")
        fields = json.loads(header)
        found.append(Entry(fields["m"], fields["t"], target, fields["c"], line, fields.get("g") or {},
                           fields.get("s", ""), fields.get("a")))
    found.sort(key=_order)
    return found
