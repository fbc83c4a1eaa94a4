"""What the client knows: who I am, the room and its members, and the scrollback.

Pure data with no curses and no socket, so incoming messages, commands and
scrolling are tested as plain function calls. Time is passed in.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterator

from geventchat.protocol.names import casefold

from .refusal import Refusal
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


@dataclass(slots=True)
class Line:
    when: float
    kind: Kind
    text: str
    nick: str = ""
    own: bool = False        # I wrote it
    mention: bool = False    # someone else named me
    waiting: bool = False    # mine, held back by pacing: not sent yet
    unsent: bool = False     # mine, and the connection ended before it could be sent

    def clock(self) -> str:
        return time.strftime("%H:%M", time.localtime(self.when))

    def segments(self) -> tuple[list[Segment], int]:
        """Styled pieces of the line and the hanging indent for its continuation rows.

        A line of mine still waiting to be sent shows `wait` where the time
        goes (the time it finally left replaces it); one that never left, `unsent`.
        """
        if self.waiting:
            head: list[Segment] = [("wait  ", "waiting")]
        elif self.unsent:
            head = [("unsent ", "error")]
        else:
            head = [(self.clock() + " ", "time")]
        body_style = "own" if self.own else "mention" if self.mention else "plain"
        nick_style = f"nick:{self.nick}"
        if self.kind is Kind.MESSAGE:
            head += [("<", "plain"), (self.nick, nick_style), ("> ", "plain")]
        elif self.kind is Kind.ACTION:
            head += [("* ", body_style), (self.nick, nick_style), (" ", "plain")]
        elif self.kind is Kind.PRIVATE_IN:
            head += [("[msg from ", "private"), (self.nick, nick_style), ("] ", "private")]
        elif self.kind is Kind.PRIVATE_OUT:
            head += [("[msg to ", "private"), (self.nick, nick_style), ("] ", "private")]
        elif self.kind is Kind.NOTICE:
            head += [(f"-{self.nick}- ", "notice")]
            body_style = "notice"
        elif self.kind is Kind.STATUS:
            head += [("-!- ", "status")]
            body_style = "status"
        else:
            head += [("!!! ", "error")]
            body_style = "error"
        indent = sum(text_width(text) for text, _ in head)
        return head + [(self.text, body_style)], indent

    def plain(self) -> str:
        """The line as text, for line mode and logs."""
        segments, _ = self.segments()
        return "".join(text for text, _ in segments)

    def sent(self, now: float) -> None:
        """The line has left: it shows the time it did."""
        self.waiting = False
        self.when = now

    def rows(self, width: int) -> list[Row]:
        segments, indent = self.segments()
        return wrap(segments, width, indent)


class Scrollback:
    """A bounded list of lines and where the reader is looking.

    The view position is an anchor: the absolute number of the line shown at
    the bottom of the pane, or None to follow new output. Because it names a
    line rather than a distance from the end, new output never moves what a
    reader looking back sees; lines that fall off the front are forgotten.
    """

    def __init__(self, limit: int = SCROLLBACK_LINES) -> None:
        self.lines: deque[Line] = deque(maxlen=limit)
        self.total = 0               # lines ever added; line i has number i
        self.anchor: int | None = None
        self.unseen = 0              # lines added below the view while scrolled back

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

    def line(self, number: int) -> Line:
        return self.lines[number - self.first]

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
            rows[:0] = self.line(number).rows(width)
            number -= 1
        return rows[-height:] if height > 0 else []

    def page_up(self, width: int, height: int) -> None:
        """Move back by about a pane; the old top line becomes the new bottom line."""
        if not self.lines:
            return
        bottom = self.bottom()
        number, used = bottom, 0
        while number > self.first:
            used += len(self.line(number).rows(width))
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
        used = len(self.line(number).rows(width))
        while number < self.total - 1:
            number += 1
            used += len(self.line(number).rows(width))
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
            used += len(self.line(number).rows(width))
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


class Phase(str, Enum):
    RESOLVING = "looking up"
    CONNECTING = "connecting"
    REGISTERING = "registering"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclass
class ChatState:
    """Everything the screen shows, kept up to date by incoming.py and commands.py."""

    nick: str
    server: str                       # the address given, until the server names itself
    wanted_room: str = "#lobby"
    wanted_nick: str = ""             # the nick to have: asked for at registration, taken back when it frees
    asked_nick: str = ""              # the nick we asked for at registration
    prefix: str = ""                  # our nick!user@host as others see it, from our JOIN
    room: str | None = None
    members: dict[str, str] = field(default_factory=dict)  # casefolded -> as spelled
    phase: Phase = Phase.CONNECTING
    detail: str = ""                  # e.g. "retrying in 4s"
    nicklen: int = 9
    monitor: bool = False             # the server offers MONITOR (ISUPPORT), so no ISON polling
    reclaiming: bool = False          # a NICK to take our nick back is on its way
    ison_asked: bool = False          # an ISON of ours is out: its answer is not shown
    motd_done: bool = False           # the welcome block has ended on this connection
    waiting: int = 0                  # lines held back by pacing or until we are in a room
    secure: str = ""                  # "TLS", or a warning when the certificate is not checked
    quitting: bool = False            # we sent QUIT: the ERROR that follows is no error
    refusal: Refusal | None = None    # what the server's last ERROR said about coming back
    welcomed: bool = False            # registered at least once (the welcome block is shown once)
    quiet_welcome: bool = False       # reconnected: skip the welcome block up to the end of the MOTD
    scrollback: Scrollback = field(default_factory=Scrollback)
    pending_names: dict[str, str] = field(default_factory=dict)
    join_due: float | None = None     # when to JOIN the room ourselves if the server did not
    changed: bool = True              # something to redraw

    def add(self, when: float, kind: Kind, text: str, nick: str = "", own: bool = False,
            mention: bool = False) -> Line:
        line = Line(when, kind, text, nick, own, mention)
        self.scrollback.add(line)
        self.changed = True
        return line

    def status(self, when: float, text: str) -> Line:
        return self.add(when, Kind.STATUS, text)

    def error(self, when: float, text: str) -> Line:
        return self.add(when, Kind.ERROR, text)

    def __post_init__(self) -> None:
        self.wanted_nick = self.wanted_nick or self.nick

    def is_me(self, nick: str) -> bool:
        return casefold(nick) == casefold(self.nick)

    def mentions_me(self, text: str) -> bool:
        """My nick appears in the text as a word of its own."""
        me = casefold(self.nick)
        word = []
        for char in casefold(text) + " ":
            if char.isalnum() or char in "[]\\`_^{|}-":
                word.append(char)
            else:
                if "".join(word) == me:
                    return True
                word = []
        return False

    def add_member(self, nick: str) -> None:
        self.members[casefold(nick)] = nick
        self.changed = True

    def remove_member(self, nick: str) -> bool:
        self.changed = True
        return self.members.pop(casefold(nick), None) is not None

    def nicks(self) -> list[str]:
        return sorted(self.members.values(), key=casefold)

    def target(self) -> str:
        """Where a plain line goes: the room we are in, or the one we asked for."""
        return self.room or self.wanted_room
