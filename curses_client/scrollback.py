"""A line of the chat as shown, and a window's scrollback: bounded, paged, anchored; no curses.

A line knows how it looks (styled segments with a hanging indent) in each
state a line of ours goes through: waiting for the pacing, sent and waiting
for the server's echo, confirmed, never confirmed, never sent.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Iterator

from .wrap import Row, Segment, text_width, wrap

SCROLLBACK_LINES = 10_000


class Kind(str, Enum):
    """How a line is shown; the view picks colours and attributes by kind."""

    MESSAGE = "message"      # HH:MM <nick> text
    ACTION = "action"        # HH:MM * nick does something
    PRIVATE_IN = "private_in"    # HH:MM [msg from nick] text
    PRIVATE_OUT = "private_out"  # HH:MM [msg to nick] text
    NOTICE = "notice"        # HH:MM -nick- text
    STATUS = "status"        # HH:MM -!- joins, quits, nick changes, server info
    ERROR = "error"          # HH:MM !!! what went wrong, in words
    MARKER = "marker"        # HH:MM ----- where history ends and live lines begin -----


@dataclass(slots=True, eq=False)
class Line:
    """One line on screen. Compared by identity: the same line may sit in two windows (a note)."""

    when: float
    kind: Kind
    text: str
    nick: str = ""
    own: bool = False        # I wrote it
    mention: bool = False    # someone else named me
    waiting: bool = False    # mine, held back by pacing: not sent yet
    unsent: bool = False     # mine, and the connection ended before it could be sent
    pending: bool = False    # mine, sent, and the server has not echoed it back yet (echo-message)
    unconfirmed: bool = False  # mine, and the server never echoed it back
    history: bool = False    # played back from the server's history, with its own time

    def clock(self) -> str:
        """HH:MM; a history line from another day shows its date too."""
        local = time.localtime(self.when)
        if self.history and local[:3] != time.localtime()[:3]:
            return time.strftime("%b %d %H:%M", local)
        return time.strftime("%H:%M", local)

    def segments(self, query: bool = False) -> tuple[list[Segment], int]:
        """Styled pieces of the line and the hanging indent for its continuation rows.

        A line of mine still waiting to be sent shows `wait` where the time
        goes (the time it finally left replaces it); one sent but not yet
        echoed by the server, `sent` and dimmed; one that never left,
        `unsent`; one the server never echoed is flagged at its end. In a
        query window a private line reads like a channel line (`<bob> hi`).
        """
        if self.waiting:
            head: list[Segment] = [("wait  ", "waiting")]
        elif self.unsent:
            head = [("unsent ", "error")]
        elif self.pending:
            head = [("sent  ", "pending")]
        else:
            head = [(self.clock() + " ", "error" if self.unconfirmed else "time")]
        body_style = "pending" if self.pending else "own" if self.own else "mention" if self.mention else "plain"
        nick_style = f"nick:{self.nick}"
        kind = self.kind
        if query and kind in (Kind.PRIVATE_IN, Kind.PRIVATE_OUT):
            kind = Kind.MESSAGE
        if kind is Kind.MESSAGE:
            head += [("<", "plain"), (self.nick, nick_style), ("> ", "plain")]
        elif kind is Kind.ACTION:
            head += [("* ", body_style), (self.nick, nick_style), (" ", "plain")]
        elif kind is Kind.PRIVATE_IN:
            head += [("[msg from ", "private"), (self.nick, nick_style), ("] ", "private")]
        elif kind is Kind.PRIVATE_OUT:
            head += [("[msg to ", "private"), (self.nick, nick_style), ("] ", "private")]
        elif kind is Kind.NOTICE:
            head += [(f"-{self.nick}- ", "notice")]
            body_style = "notice"
        elif kind is Kind.STATUS:
            head += [("-!- ", "status")]
            body_style = "status"
        elif kind is Kind.MARKER:
            return head + [(f"----- {self.text} -----", "marker")], text_width(head[0][0])
        else:
            head += [("!!! ", "error")]
            body_style = "error"
        indent = sum(text_width(text) for text, _ in head)
        tail: list[Segment] = [(" (not confirmed by the server)", "error")] if self.unconfirmed else []
        return head + [(self.text, body_style)] + tail, indent

    def plain(self, query: bool = False) -> str:
        """The line as text, for line mode and logs."""
        segments, _ = self.segments(query)
        return "".join(text for text, _ in segments)

    def sent(self, now: float) -> None:
        """The line has left: it shows the time it did."""
        self.waiting = False
        self.when = now

    def confirmed(self) -> None:
        """The server echoed it back: it shows as an ordinary line of mine."""
        self.pending = False
        self.unconfirmed = False

    def rows(self, width: int, query: bool = False) -> list[Row]:
        segments, indent = self.segments(query)
        return wrap(segments, width, indent)


class Scrollback:
    """A bounded list of lines and where the reader is looking.

    The view position is an anchor: the absolute number of the line shown at
    the bottom of the pane, or None to follow new output. Because it names a
    line rather than a distance from the end, new output never moves what a
    reader looking back sees; lines that fall off the front are forgotten.
    """

    def __init__(self, limit: int = SCROLLBACK_LINES, query: bool = False) -> None:
        self.lines: deque[Line] = deque(maxlen=limit)
        self.total = 0               # lines ever added at the end; line i has number i
        self.anchor: int | None = None
        self.unseen = 0              # lines added below the view while scrolled back
        self.query = query           # a private conversation: its lines read like a channel's

    @property
    def full(self) -> bool:
        return len(self.lines) == self.lines.maxlen

    @property
    def first(self) -> int:
        """Number of the oldest line still kept."""
        return self.total - len(self.lines)

    def add(self, line: Line) -> None:
        self.lines.append(line)
        self.total += 1
        if self.anchor is not None:
            self.unseen += 1
            if self.anchor < self.first:
                self.anchor = self.first

    def add_front(self, line: Line) -> bool:
        """An older line before all the others (history fetched by scrolling up); False when full.

        Numbers of the lines already kept do not change: the new one takes
        the number before the first, so the reader's anchor stays put.
        """
        if self.full:
            return False
        self.lines.appendleft(line)
        return True

    def line(self, number: int) -> Line:
        return self.lines[number - self.first]

    def rows_of(self, number: int, width: int) -> list[Row]:
        return self.line(number).rows(width, self.query)

    def at_top(self, width: int, height: int) -> bool:
        """The oldest kept line is on screen (or there is nothing at all)."""
        return not self.lines or self.bottom() <= self._top_limit(width, height)

    @property
    def following(self) -> bool:
        return self.anchor is None

    def bottom(self) -> int:
        """Number of the line at the bottom of the view."""
        return self.total - 1 if self.anchor is None else self.anchor

    def visible(self, width: int, height: int) -> list[Row]:
        """The rows the pane shows: up to `height`, ending with the anchored line."""
        rows: list[Row] = []
        number = self.bottom()
        while number >= self.first and len(rows) < height:
            rows[:0] = self.rows_of(number, width)
            number -= 1
        return rows[-height:] if height > 0 else []

    def page_up(self, width: int, height: int) -> None:
        """Move back by about a pane; the old top line becomes the new bottom line."""
        if not self.lines:
            return
        bottom = self.bottom()
        number, used = bottom, 0
        while number > self.first:
            used += len(self.rows_of(number, width))
            if used >= height:
                break
            number -= 1
        if number == bottom:
            number -= 1
        self._set(max(number, self._top_limit(width, height), self.first))

    def page_down(self, width: int, height: int) -> None:
        """Move forward by about a pane; the old bottom line becomes the new top line."""
        if self.anchor is None:
            return
        number = self.anchor
        used = len(self.rows_of(number, width))
        while number < self.total - 1:
            number += 1
            used += len(self.rows_of(number, width))
            if used >= height:
                break
        self._set(number)

    def home(self, width: int, height: int) -> None:
        """Show the oldest lines."""
        if self.lines:
            self._set(self._top_limit(width, height))

    def end(self) -> None:
        self.anchor = None
        self.unseen = 0

    def _top_limit(self, width: int, height: int) -> int:
        """The smallest anchor that still fills the pane: the first lines at the top."""
        used = 0
        number = self.first
        while number < self.total:
            used += len(self.rows_of(number, width))
            if used >= height:
                return number
            number += 1
        return self.total - 1

    def _set(self, number: int) -> None:
        if number >= self.total - 1:
            self.end()
        else:
            if self.anchor is None:
                self.unseen = 0
            self.anchor = number

    def __iter__(self) -> Iterator[Line]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)
