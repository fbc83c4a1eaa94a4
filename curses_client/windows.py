"""Windows: one per channel and per private conversation, plus the status window; no curses.

Each window keeps its own scrollback, members (for a channel), topic and
activity level (irssi's act list: events, messages, mentions). The list
numbers them from 1 (the status window) in the order they opened; closing
one renumbers those after it, as irssi does. Every line that enters any
window is also written to a journal, so line mode can print one stream.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Iterator

from geventchat.protocol.names import casefold

from .backlog import Backlog
from .features import Features
from .scrollback import SCROLLBACK_LINES, Line, Scrollback

class WindowKind(str, Enum):
    STATUS = "status"
    CHANNEL = "channel"
    QUERY = "query"


class Activity(IntEnum):
    """How much happened in a window while it was not shown (irssi's data levels)."""

    NONE = 0
    EVENT = 1      # joins, parts, quits, modes
    MESSAGE = 2    # someone said something
    MENTION = 3    # someone named me, or wrote to me alone


@dataclass(slots=True)
class Member:
    nick: str
    prefixes: str = ""   # "@+", highest first


class Journal:
    """Every line as it enters a window, in order, bounded: line mode's one stream."""

    def __init__(self, limit: int = SCROLLBACK_LINES) -> None:
        self.entries: deque[tuple["Window", Line]] = deque(maxlen=limit)
        self.total = 0

    def record(self, window: "Window", line: Line) -> None:
        self.entries.append((window, line))
        self.total += 1

    def since(self, number: int) -> list[tuple["Window", Line]]:
        """Entries from `number` on (the oldest kept when older ones were forgotten)."""
        first = self.total - len(self.entries)
        return list(self.entries)[max(0, number - first):]


@dataclass(eq=False)
class Window:
    name: str
    kind: WindowKind
    scrollback: Scrollback
    journal: Journal
    members: dict[str, Member] = field(default_factory=dict)   # casefolded nick -> member
    joined: bool = False             # a channel we are in now (False once parted, kicked or disconnected)
    topic: str = ""
    activity: Activity = Activity.NONE
    backlog: Backlog = field(default_factory=Backlog)

    @property
    def label(self) -> str:
        return self.name or "status"

    @property
    def is_channel(self) -> bool:
        return self.kind is WindowKind.CHANNEL

    def add(self, line: Line, msgid: str | None = None, stamp: float | None = None) -> bool:
        """A line at the live end; False when its msgid was shown here already (history and live overlap).

        While a history request is out, live lines wait in the backlog so
        that what the server sends back lands before them.
        """
        if msgid is not None:
            if self.backlog.known(msgid):
                return False
            self.backlog.remember(msgid, stamp, line)
        if self.backlog.held is not None:
            self.backlog.held.append(line)
        else:
            self.append(line)
        return True

    def append(self, line: Line, journal: bool = True) -> None:
        """Straight onto the scrollback; `journal` False for a copy of a line another window holds."""
        self.scrollback.add(line)
        if journal:
            self.journal.record(self, line)

    # --- members -----------------------------------------------------------
    def add_member(self, nick: str, prefixes: str = "") -> None:
        self.members[casefold(nick)] = Member(nick, prefixes)

    def remove_member(self, nick: str) -> bool:
        return self.members.pop(casefold(nick), None) is not None

    def member(self, nick: str) -> Member | None:
        return self.members.get(casefold(nick))

    def rename_member(self, old: str, new: str) -> bool:
        member = self.members.pop(casefold(old), None)
        if member is None:
            return False
        member.nick = new
        self.members[casefold(new)] = member
        return True

    def nicks(self) -> list[str]:
        return sorted((m.nick for m in self.members.values()), key=casefold)

    def ranked(self, features: Features) -> list[Member]:
        """Members as a nick list shows them: operators, then voiced, then the rest, each by name."""
        return sorted(self.members.values(), key=lambda m: (features.rank(m.prefixes), casefold(m.nick)))

    def leave(self) -> None:
        """We are no longer in this channel: nobody is listed, the window stays."""
        self.joined = False
        self.members.clear()


class WindowList:
    """The windows in their order, the one shown, and the act list."""

    def __init__(self, scrollback: int = SCROLLBACK_LINES, journal: Journal | None = None) -> None:
        self.scrollback_lines = scrollback
        self.journal = journal or Journal()
        self.items: list[Window] = [self._new("", WindowKind.STATUS)]
        self.active: Window = self.items[0]
        self.previous: Window | None = None

    def _new(self, name: str, kind: WindowKind) -> Window:
        return Window(name, kind, Scrollback(self.scrollback_lines, query=kind is WindowKind.QUERY), self.journal,
                      backlog=Backlog(limit=2 * self.scrollback_lines))

    def resize(self, scrollback: int) -> None:
        """Keep `scrollback` lines a window (from the command line), the journal and msgids to match."""
        self.scrollback_lines = scrollback
        self.journal.entries = deque(self.journal.entries, maxlen=scrollback)
        for window in self.items:
            window.scrollback.lines = deque(window.scrollback.lines, maxlen=scrollback)
            window.backlog.limit = 2 * scrollback

    @property
    def status(self) -> Window:
        return self.items[0]

    def __iter__(self) -> Iterator[Window]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def find(self, name: str) -> Window | None:
        folded = casefold(name)
        for window in self.items[1:]:
            if casefold(window.name) == folded:
                return window
        return None

    def channels(self) -> list[Window]:
        return [w for w in self.items if w.is_channel]

    def open(self, name: str, kind: WindowKind) -> Window:
        """The window for a channel or nick, made at the end of the list when there is none."""
        window = self.find(name)
        if window is None:
            window = self._new(name, kind)
            self.items.append(window)
        return window

    def number(self, window: Window) -> int:
        return self.items.index(window) + 1

    def close(self, window: Window) -> bool:
        """Remove a window (never the status window); the one shown before it is shown again."""
        if window is self.status or window not in self.items:
            return False
        index = self.items.index(window)
        self.items.remove(window)
        if self.previous is window:
            self.previous = None
        if self.active is window:
            back = self.previous if self.previous in self.items else self.items[max(0, index - 1)]
            self.active = back
            back.activity = Activity.NONE
            self.previous = None
        return True

    def show(self, window: Window) -> None:
        if window is not self.active:
            self.previous = self.active
        self.active = window
        window.activity = Activity.NONE

    def show_number(self, number: int) -> bool:
        if 1 <= number <= len(self.items):
            self.show(self.items[number - 1])
            return True
        return False

    def step(self, delta: int) -> None:
        """Next (+1) or previous (-1) window, wrapping around."""
        index = (self.items.index(self.active) + delta) % len(self.items)
        self.show(self.items[index])

    def mark(self, window: Window, level: Activity) -> None:
        if window is not self.active and level > window.activity:
            window.activity = level

    def act_list(self) -> list[tuple[int, Window]]:
        """(number, window) of every hidden window where something happened, by number."""
        return [(n, w) for n, w in enumerate(self.items, start=1) if w.activity > Activity.NONE]
