"""Reading the bus streams: several streams back into the network's one order.

A node reads a few streams at once (the directory, its inbox, the channels
it has members in) with one XREAD. Entry ids come from one counter for all
streams, so sorting a reply by id gives the order Redis wrote the entries
in: a sender's channel line, its private line and its AWAY arrive in the
order it sent them. A stream that filled the reply's COUNT may hold more
entries below another stream's: only entries up to the lowest such cut are
taken, the rest is read again next time. An entry written to several
streams (a QUIT to each of a user's channels) has one id in each and is
taken once.

Each (origin, stream) pair carries a sequence number per epoch: a copy seen
before (an entry written again after a Redis restart) is dropped, and a jump
counts the entries that were lost on the way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Key = tuple[int, int]
"""An entry id `<ms>-<n>` as numbers, for sorting."""

NETWORK = b"*"
"""The origin of entries the network's scripts write (a node declared dead)."""

ORIGIN, EPOCH, SEQ, MESSAGE = 1, 3, 5, 7
"""Where each value sits in an entry's flat field list: the APPEND script writes `o e q m` in this order."""


def parse_id(entry_id: bytes) -> Key:
    ms, _, seq = entry_id.partition(b"-")
    return int(ms), int(seq or 0)


def _first(row: tuple) -> Key:
    return row[0]


def format_id(key: Key) -> str:
    return f"{key[0]}-{key[1]}"


@dataclass(slots=True)
class Entry:
    key: Key
    fields: list  # the first copy's flat field list: o, origin, e, epoch, q, seq, m, message
    copies: list[tuple[bytes, list]] = field(default_factory=list)  # (stream, fields) of each copy


class StreamOrder:
    def __init__(self) -> None:
        self.positions: dict[bytes, bytes] = {}  # stream key -> last id taken from it
        self.merged: Key = (0, 0)  # the last id taken from any stream
        self._seen: dict[tuple[bytes, bytes], tuple[bytes, int]] = {}  # (origin, stream) -> (epoch, seq)

    def start_at(self, key: Key) -> None:
        """Read every stream from just after this point of the order (a snapshot's)."""
        self.merged = key
        self.positions = {}

    def watch(self, streams: Iterable[bytes]) -> dict[bytes, bytes]:
        """Positions for XREAD: a stream read for the first time starts at the current point."""
        wanted = set(streams)
        for gone in [s for s in self.positions if s not in wanted]:
            del self.positions[gone]
            for pair in [p for p in self._seen if p[1] == gone]:
                del self._seen[pair]
        start = format_id(self.merged).encode()
        for stream in wanted:
            if stream not in self.positions:
                self.positions[stream] = start
        return self.positions

    def order(self, reply, count: int, ignore: bytes = b"") -> tuple[list[Entry], bool]:
        """An XREAD reply as entries in the network's order; True when nothing was cut.

        Entries from `ignore` (this node's own, read back) only move the
        positions on: they are never parsed, sorted or handed over.
        """
        pairs = reply.items() if isinstance(reply, dict) else (reply or ())
        cut: Key | None = None
        for stream, items in pairs:
            if len(items) >= count:
                last = parse_id(items[-1][0])
                cut = last if cut is None or last < cut else cut
        batch = []
        positions = self.positions
        merged = self.merged
        for stream, items in pairs:
            taken = None
            for entry_id, fields in items:
                if cut is not None and parse_id(entry_id) > cut:
                    break
                taken = entry_id
                if fields[ORIGIN] != ignore:
                    batch.append((parse_id(entry_id), stream, fields))
            if taken is not None:
                positions[stream] = taken
                key = parse_id(taken)
                if key > merged:
                    merged = key
        self.merged = merged
        batch.sort(key=_first)
        entries: list[Entry] = []
        for key, stream, fields in batch:
            if entries and entries[-1].key == key:
                entries[-1].copies.append((stream, fields))
                continue
            entries.append(Entry(key, fields, [(stream, fields)]))
        return entries, cut is None

    def fresh(self, origin: bytes, stream: bytes, epoch: bytes, seq: int) -> tuple[bool, int]:
        """(not seen before, how many entries of this origin in this stream were missed before it)."""
        if origin == NETWORK:
            return True, 0
        pair = (origin, stream)
        last = self._seen.get(pair)
        if last is None or last[0] != epoch:
            self._seen[pair] = (epoch, seq)
            return True, 0
        if seq <= last[1]:
            return False, 0
        self._seen[pair] = (epoch, seq)
        return True, seq - last[1] - 1
