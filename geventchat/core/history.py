"""Chat history: what is kept of each channel, the store seam, and CHATHISTORY's references.

Every PRIVMSG, NOTICE and TAGMSG to a channel, and the channel's JOIN, PART,
QUIT and NICK events, become an Entry before they are delivered. Where
entries live is a store behind the `HistoryStore` protocol: SQLite for one
process, Redis for a network. Stores take plain data in and give plain data
out; a store that does I/O does it off the event loop itself, so calling it
from a handler never blocks anyone but the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

from ..protocol.message import Message, parse

from ..protocol.names import casefold

EVENTS = frozenset({"JOIN", "PART", "QUIT", "NICK", "KICK", "TOPIC", "MODE"})
"""Lines kept besides messages; replayed only to clients with draft/event-playback."""

MESSAGES = frozenset({"PRIVMSG", "NOTICE"})
"""What every history reader gets; TAGMSG and events only with draft/event-playback."""

KEPT = MESSAGES | EVENTS | {"TAGMSG"}


class StoreError(Exception):
    """A store could not do what was asked (its disk, its database): the caller tells the client, nobody dies."""


@dataclass(slots=True)
class Entry:
    """One line of a channel's history, as it was relayed.

    The line is kept as the bytes a client without capabilities was sent (the
    outbox formatted them once already), so keeping it costs no formatting
    and playing it back none either; its sender and parameters are read back
    from it when asked for. Not frozen: one is made for every line kept, and
    a frozen dataclass's __init__ costs four times as much.
    """

    msgid: str
    time: float  # seconds since the epoch, as stamped by the outbox
    target: str  # folded channel name (or a private conversation's key)
    command: str
    line: bytes  # the relayed line with its CRLF, no tags: `:nick!user@host PRIVMSG #dev :text`
    tags: dict[str, str] = field(default_factory=dict)  # client-only tags, and account
    sender: str = ""  # the sender's uid (who may redact it)
    account: str | None = None

    @property
    def message(self) -> Message:
        return parse(self.line.rstrip(b"\r\n"))

    @property
    def prefix(self) -> str:
        return self.message.prefix or ""

    @property
    def params(self) -> tuple[str, ...]:
        return self.message.params


@dataclass(frozen=True, slots=True)
class Ref:
    """A CHATHISTORY reference: `timestamp=...`, `msgid=...`, or `*` (none)."""

    time: float | None = None
    msgid: str | None = None

    @property
    def unbounded(self) -> bool:
        return self.time is None and self.msgid is None


NO_REF = Ref()

_TIMESTAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z\Z")


def parse_timestamp(text: str) -> float | None:
    """`2026-11-30T11:42:05.123Z` -> seconds since the epoch, or None if it is not one."""
    match = _TIMESTAMP.match(text)
    if match is None:
        return None
    *parts, fraction = match.groups()
    try:
        moment = datetime(*map(int, parts), tzinfo=timezone.utc)
    except ValueError:
        return None
    return moment.timestamp() + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


def parse_ref(text: str, star: bool = False) -> Ref | None:
    """`timestamp=...` or `msgid=...` (or `*` where `star`); None when it is neither."""
    if star and text == "*":
        return NO_REF
    kind, _, value = text.partition("=")
    if kind == "timestamp":
        stamp = parse_timestamp(value)
        return Ref(time=stamp) if stamp is not None else None
    if kind == "msgid" and value:
        return Ref(msgid=value)
    return None


def conversation(account: str, other: str) -> str:
    """The target a private conversation between two accounts is kept under, the same from either end.

    `@` starts no channel and is in no nick, so it cannot meet a channel's name.
    """
    first, second = sorted((casefold(account), casefold(other)))
    return f"@{first}:{second}"


def counted_from(found: list[tuple[str, float]], start: float, end: float,
                 limit: int) -> list[tuple[str, float]]:
    """TARGETS' answer: oldest first, and past `limit` the targets nearest `start` are the ones kept.

    Counted from the first timestamp, as BETWEEN counts: `TARGETS <now> <a week ago> 50` is how a client
    asks for the 50 conversations most lately active, `TARGETS <a week ago> <now> 50` for the earliest.
    """
    ordered = sorted(found, key=lambda pair: pair[1])
    return ordered[:limit] if start <= end else ordered[-limit:]


def sides(target: str) -> tuple[str, str] | None:
    """The two (folded) accounts of a conversation's target; None for a channel."""
    if not target.startswith("@"):
        return None
    first, _, second = target[1:].partition(":")
    return first, second


def other_side(target: str, account: str) -> str:
    """Who a conversation is with, seen from one of its accounts (itself, for notes to oneself)."""
    first, second = sides(target) or ("", "")
    return second if first == casefold(account) else first


class HistoryStore(Protocol):
    """Where history lives. Reads return entries in ascending order; `limit` is at least 1."""

    def append(self, entry: Entry) -> None:
        """Keep a line; must not block (a store batches its writes)."""

    # `events`: JOIN, PART, QUIT, NICK and TAGMSG too; else only PRIVMSG and NOTICE.

    def latest(self, target: str, after: Ref, limit: int, events: bool = True) -> list[Entry]:
        """The last `limit` lines, only those after `after` unless it is unbounded."""

    def before(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        """The `limit` lines just before `ref` (excluded)."""

    def after(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        """The `limit` lines just after `ref` (excluded)."""

    def around(self, target: str, ref: Ref, limit: int, events: bool = True) -> list[Entry]:
        """About half before `ref`, the rest from `ref` on (a msgid's own line included)."""

    def between(self, target: str, start: Ref, end: Ref, limit: int, events: bool = True) -> list[Entry]:
        """Lines between two references, both excluded, counted from `start` (either direction)."""

    def targets(self, targets: list[str], start: float, end: float, limit: int) -> list[tuple[str, float]]:
        """Of these targets, those with messages between two times, with their latest message's time,
        oldest first; past `limit`, those nearest `start` (see `counted_from`)."""

    def conversations(self, account: str) -> list[str]:
        """The targets of the private conversations kept for this (folded) account, for TARGETS."""

    def find(self, target: str, msgid: str) -> Entry | None:
        """The line of this target with this msgid, if it is still kept."""

    def redact(self, target: str, msgid: str) -> None:
        """Forget one line of a target."""

    def read_marker(self, account: str, target: str) -> float | None:
        """Where an account has read up to in a target."""

    def set_read_marker(self, account: str, target: str, stamp: float) -> float:
        """Move the marker forward (never back); returns where it now is."""

    def flush(self) -> None:
        """Write what is pending (a crash loses at most what a flush interval holds)."""

    def close(self) -> None:
        """Flush and release the store."""
