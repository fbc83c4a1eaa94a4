"""A window's place in the server's history: what it shows by msgid, both ends, what is being fetched.

With IRCv3 `draft/chathistory` the client fills a channel's scrollback from
the server and, after a reconnect, asks for what was said AFTER the last
line it saw. Live lines and history overlap at the seam, so every line with
a msgid is remembered and shown once. While an answer is on its way, live
lines wait here, so that the history lands before them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from .scrollback import Line

SEEN_LIMIT = 20_000
"""msgids remembered per window: twice its scrollback (--scrollback), so both ends of a seam are known."""


@dataclass(frozen=True, slots=True)
class Ref:
    """A point in a channel's history: a msgid, and its time when known."""

    msgid: str | None = None
    time: float | None = None

    def param(self) -> str:
        """As CHATHISTORY takes it: `msgid=...`, else `timestamp=...`."""
        if self.msgid:
            return f"msgid={self.msgid}"
        return f"timestamp={format_time(self.time or 0.0)}"


@dataclass(slots=True)
class Fetch:
    """One CHATHISTORY exchange of a window (LATEST, AFTER or BEFORE), perhaps over several pages."""

    kind: str
    started: float
    page: int                 # lines asked for in each request
    received: int = 0         # lines the server sent, all pages
    shown: int = 0            # ... of which were new here
    by_time: bool = False     # asked by timestamp after a msgid the server did not know
    news: bool = False        # lines nobody has seen yet (a private conversation while away): marked as new


@dataclass
class Backlog:
    seen: dict[str, Line] = field(default_factory=dict)   # msgid -> the line shown for it, oldest first
    newest: Ref | None = None        # the last line with a msgid at the live end: AFTER starts here
    oldest: Ref | None = None        # the first line with a msgid: BEFORE starts here
    held: list[Line] | None = None   # live lines waiting for the answer of a LATEST or AFTER
    fetch: Fetch | None = None       # LATEST or AFTER out
    older: Fetch | None = None       # BEFORE out
    exhausted: bool = False          # the server has nothing older
    limit: int = SEEN_LIMIT

    def known(self, msgid: str) -> bool:
        return msgid in self.seen

    def line_of(self, msgid: str) -> Line | None:
        return self.seen.get(msgid)

    def remember(self, msgid: str, stamp: float | None, line: Line, front: bool = False) -> None:
        """A line with a msgid is shown here; at the live end unless `front` (an older one)."""
        self.seen[msgid] = line
        if len(self.seen) > self.limit:
            del self.seen[next(iter(self.seen))]
        ref = Ref(msgid, stamp)
        if front:
            self.oldest = ref
            self.newest = self.newest or ref
        else:
            newest = self.newest
            if newest is None or stamp is None or newest.time is None or stamp >= newest.time:
                self.newest = ref
            self.oldest = self.oldest or ref

    def hold(self) -> None:
        if self.held is None:
            self.held = []

    def release(self) -> list[Line]:
        held, self.held = self.held or [], None
        return held

    def forget(self) -> None:
        """The window starts over (it was closed and opened again): nothing is known of it."""
        self.seen.clear()
        self.newest = self.oldest = None
        self.held = None
        self.fetch = self.older = None
        self.exhausted = False


def parse_time(text: str | None) -> float | None:
    """A server-time tag (`2026-11-30T11:42:05.123Z`) -> seconds since the epoch; None if unreadable."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def format_time(stamp: float) -> str:
    """Seconds since the epoch -> the server-time form, to the millisecond, in UTC."""
    value = datetime.fromtimestamp(stamp, tz=timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
