"""What the client knows: who I am, the server, the windows with their scrollback, where we stand.

Pure data with no curses and no socket, so incoming messages, commands and
scrolling are tested as plain function calls. Time is passed in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from geventchat.protocol.names import casefold

from .config import ECHO_TIMEOUT, HISTORY_CATCHUP, HISTORY_DM_DAYS, HISTORY_DM_MAX, HISTORY_LINES, HISTORY_WAIT
from .features import Features
from .refusal import Refusal
from .sasl import Login
from .scrollback import SCROLLBACK_LINES, Kind, Line, Scrollback
from .windows import Activity, Window, WindowKind, WindowList

__all__ = ["SCROLLBACK_LINES", "Activity", "ChatState", "Kind", "Line", "Phase", "Scrollback", "Settings",
           "Window", "WindowKind"]

class Phase(str, Enum):
    RESOLVING = "looking up"
    CONNECTING = "connecting"
    REGISTERING = "registering"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class Targets(Enum):
    """Where this connection is with its CHATHISTORY TARGETS (private conversations while away)."""

    NOT_ASKED = "not asked"
    ASKED = "asked"
    ANSWERED = "answered"


@dataclass(frozen=True)
class Settings:
    """The limits and choices from the command line that the protocol handlers need."""

    history_lines: int = HISTORY_LINES
    history_catchup: int = HISTORY_CATCHUP
    history_dm_days: float = HISTORY_DM_DAYS
    history_dm_max: int = HISTORY_DM_MAX
    echo_timeout: float = ECHO_TIMEOUT
    history_wait: float = HISTORY_WAIT
    login: Login | None = None             # SASL at connect: mechanism, account, password (never shown)
    sasl_required: bool = False            # a failed login ends the connection instead of going on


@dataclass
class Echo:
    """A PRIVMSG or NOTICE of ours the server has not echoed back yet (echo-message)."""

    target: str
    text: str
    nick: str                      # our nick when it left
    sent: float
    line: Line | None = None       # the line shown for it (None: nothing shown, e.g. a password)


@dataclass
class ChatState:
    """Everything the screen shows, kept up to date by the handlers of incoming lines and by commands."""

    nick: str
    server: str                       # the address given, until the server names itself
    wanted_room: str = "#lobby"       # the room to join when the server places us nowhere
    wanted_nick: str = ""             # the nick to have: asked for at registration, taken back when it frees
    asked_nick: str = ""              # the nick we asked for at registration
    prefix: str = ""                  # our nick!user@host as others see it, from our JOIN
    phase: Phase = Phase.CONNECTING
    detail: str = ""                  # e.g. "retrying in 4s"
    features: Features = field(default_factory=Features)
    settings: Settings = field(default_factory=Settings)
    windows: WindowList = field(default_factory=WindowList)
    reclaiming: bool = False          # a NICK to take our nick back is on its way
    ison_asked: bool = False          # an ISON of ours is out: its answer is not shown
    motd_done: bool = False           # the welcome block has ended on this connection
    waiting: int = 0                  # lines held back by pacing or until we are in a room
    secure: str = ""                  # "TLS", or a warning when the certificate is not checked
    quitting: bool = False            # we sent QUIT: the ERROR that follows is no error
    refusal: Refusal | None = None    # what the server's last ERROR said about coming back
    welcomed: bool = False            # registered at least once (the welcome block is shown once)
    quiet_welcome: bool = False       # reconnected: skip the welcome block up to the end of the MOTD
    pending_names: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    wanted: dict[str, tuple[str, str]] = field(default_factory=dict)  # channels to be in: folded -> (name, key)
    join_due: float | None = None     # when to JOIN our channels ourselves if the server did not
    join_asked: set[str] = field(default_factory=set)  # channels the user just asked to join: shown on arrival
    caps: set[str] = field(default_factory=set)          # capabilities the server acknowledged
    offered: dict[str, str] = field(default_factory=dict)  # capabilities the server lists, with values
    cap_state: str = ""               # "", "ls" (listing), "req" (asked), "sasl" (logging in), "done"
    account: str | None = None        # the account we are logged in to
    login: Login | None = None        # the SASL exchange in progress
    batches: dict[str, object] = field(default_factory=dict)  # open batches by reference
    history_asked: deque = field(default_factory=deque)       # CHATHISTORY requests out, in order
    last_line_at: float | None = None  # the server's time of the newest line we got while registered
    dm_from: float | None = None      # private conversations are caught up to here (None: look back)
    dm_asked: Targets = Targets.NOT_ASKED  # this connection's CHATHISTORY TARGETS
    echoes: deque = field(default_factory=deque)              # lines of ours awaiting their echo
    lost_echoes: list = field(default_factory=list)           # ... whose connection ended first
    changed: bool = True              # something to redraw

    def __post_init__(self) -> None:
        self.wanted_nick = self.wanted_nick or self.nick
        if self.wanted_room:
            self.wanted.setdefault(casefold(self.wanted_room), (self.wanted_room, ""))

    # --- lines ---------------------------------------------------------------
    @property
    def scrollback(self) -> Scrollback:
        """The scrollback of the window on screen."""
        return self.windows.active.scrollback

    @property
    def active(self) -> Window:
        return self.windows.active

    def add(self, when: float, kind: Kind, text: str, nick: str = "", own: bool = False,
            mention: bool = False, window: Window | None = None, level: Activity | None = None,
            msgid: str | None = None, stamp: float | None = None) -> Line:
        """A line in a window (the one on screen unless named); its activity mark unless it is on screen."""
        window = window or self.windows.active
        line = Line(when, kind, text, nick, own, mention)
        if window.add(line, msgid, stamp):
            self.windows.mark(window, level if level is not None else _level(kind, mention, own))
            self.changed = True
        return line

    def status(self, when: float, text: str, window: Window | None = None) -> Line:
        return self.add(when, Kind.STATUS, text, window=window)

    def error(self, when: float, text: str, window: Window | None = None) -> Line:
        return self.add(when, Kind.ERROR, text, window=window)

    def note(self, when: float, text: str, error: bool = False) -> Line:
        """The connection's news: in the status window, and in the window on screen as well."""
        shown = self.windows.active is not self.windows.status
        line = self.add(when, Kind.ERROR if error else Kind.STATUS, text, window=self.windows.status,
                        level=Activity.NONE if shown else None)
        if shown:
            self.windows.active.append(line, journal=False)
        return line

    # --- who I am ------------------------------------------------------------
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

    # --- windows -------------------------------------------------------------
    def channel(self, name: str) -> Window:
        """The window of a channel, opened when there is none."""
        self.changed = True
        return self.windows.open(name, WindowKind.CHANNEL)

    def query(self, nick: str) -> Window:
        """The window of a private conversation, opened when there is none."""
        self.changed = True
        return self.windows.open(nick, WindowKind.QUERY)

    def joined(self) -> list[Window]:
        return [w for w in self.windows if w.is_channel and w.joined]

    def nicks(self) -> list[str]:
        """Names Tab completes in the window on screen: its members, or the person of a query."""
        window = self.windows.active
        if window.kind is WindowKind.QUERY:
            return [window.name, self.nick]
        return window.nicks()

    def target(self, here: Window | None = None) -> str | None:
        """Where a plain line goes: the channel or person of the window it was typed in (the one on screen).

        From the status window, the one channel we are in (or are about to
        be in) when there is just one; otherwise nowhere.
        """
        window = here if here is not None and here in self.windows.items else self.windows.active
        if window is not self.windows.status:
            return window.name
        channels = self.windows.channels()
        if len(channels) == 1:
            return channels[0].name
        if not channels and len(self.wanted) == 1:
            return next(iter(self.wanted.values()))[0]
        return None


def _level(kind: Kind, mention: bool, own: bool) -> Activity:
    if own:
        return Activity.NONE
    if mention:
        return Activity.MENTION
    if kind in (Kind.STATUS, Kind.MARKER):
        return Activity.EVENT
    return Activity.MESSAGE
