"""History from the server (IRCv3 draft/chathistory): channels filled on join, caught up, paged back;
private conversations found again after time away.

On joining a channel whose window knows no history yet, the client asks for
the LATEST lines; on joining again (after a reconnect, or a kick) it asks
for what came AFTER the newest line it has, page by page, so nothing is
missed; PageUp at the top of the scrollback asks for the lines BEFORE the
oldest. Answers come in a `chathistory` batch. Live lines that arrive
while an answer is on its way wait, so history always lands before them,
and a marker says where history ends. Every line with a msgid is shown
once, however history and live lines overlap.

Logged in to an account, the client also asks which private conversations
had lines while it was away (TARGETS, answered in a
`draft/chathistory-targets` batch): since the last line it saw before a
reconnect, or over the last --history-dm-days on the first connection. Each
conversation's window is caught up like a channel's, or opened and filled,
and marked in the act list as a new private message would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geventchat.protocol.message import Message
from geventchat.protocol.names import casefold, valid_nick

from . import talk
from .backlog import Fetch, Ref, parse_time
from .config import NICK_MAX
from .handlers import Reply, handles, last, nick_of, strip_formatting
from .state import Activity, ChatState, Kind, Line, Phase, Targets, Window, WindowKind

HISTORY_BATCH = "chathistory"
TARGETS_BATCH = "draft/chathistory-targets"

TARGETS = "TARGETS"
"""The kind of a TARGETS request in `history_asked`; its target is `*`, which no window is named."""

CLOCK_SLACK = 60.0
"""Seconds past the server's time that a TARGETS span reaches, in case a line is stamped a little ahead."""

DAY = 86_400.0


@dataclass
class Batch:
    """An open batch: its type and parameters, and the lines it holds so far."""

    kind: str
    params: tuple[str, ...]
    messages: list[Message] = field(default_factory=list)


@dataclass(frozen=True)
class Asked:
    """One CHATHISTORY request out: answers come in the order asked."""

    target: str     # casefolded
    kind: str       # LATEST, AFTER or BEFORE
    size: int


def available(state: ChatState) -> bool:
    return "draft/chathistory" in state.caps and "batch" in state.caps


def _page(state: ChatState, wanted: int) -> int:
    most = state.features.chathistory
    return max(1, min(wanted, most) if most > 0 else wanted)


def _ask(state: ChatState, window: Window, kind: str, ref: str, size: int) -> Reply:
    state.history_asked.append(Asked(casefold(window.name), kind, size))
    return ("CHATHISTORY", kind, window.name, ref, str(size))


def start(state: ChatState, window: Window, now: float, news: bool = False) -> list[Reply]:
    """We are in the channel (or have a conversation): ask for its latest lines, or for what we missed
    since the newest we have. `news`: the lines are marked in the act list as they would be live."""
    backlog = window.backlog
    if not available(state) or backlog.fetch is not None:
        return []
    backlog.hold()
    if backlog.newest is None:
        size = _page(state, state.settings.history_lines)
        backlog.fetch = Fetch("LATEST", now, size, news=news)
        return [_ask(state, window, "LATEST", "*", size)]
    size = _page(state, state.settings.history_catchup)
    backlog.fetch = Fetch("AFTER", now, size, news=news)
    return [_ask(state, window, "AFTER", backlog.newest.param(), size)]


def older(state: ChatState, window: Window, now: float) -> list[Reply]:
    """PageUp reached the top of a channel's scrollback, or of a private conversation's while logged in
    (the server keeps those between accounts only): ask for the lines before the oldest."""
    backlog = window.backlog
    if (not available(state) or not _pages_back(state, window) or backlog.exhausted
            or backlog.older is not None or backlog.oldest is None or window.scrollback.full):
        return []
    size = _page(state, state.settings.history_lines)
    backlog.older = Fetch("BEFORE", now, size)
    state.changed = True
    return [_ask(state, window, "BEFORE", backlog.oldest.param(), size)]


def _pages_back(state: ChatState, window: Window) -> bool:
    if window.is_channel:
        return window.joined
    return window.kind is WindowKind.QUERY and state.account is not None


def loading(window: Window) -> bool:
    """Older lines are on their way (the status line says so)."""
    return window.backlog.older is not None


def forget(state: ChatState, window: Window) -> None:
    """The window closes: lines it held are let go, and what it asked for will be ignored."""
    for line in window.backlog.release():
        window.append(line)
    window.backlog.fetch = window.backlog.older = None


def connection_lost(state: ChatState) -> None:
    """Answers can no longer come: every window shows what it held, and asks again after the reconnect."""
    _away_from(state)
    state.history_asked.clear()
    state.batches.clear()
    for window in state.windows:
        window.backlog.fetch = window.backlog.older = None
        for line in window.backlog.release():
            window.append(line)
    talk.connection_lost(state)


def expire(state: ChatState, now: float) -> None:
    """An answer that is slow to come no longer holds live lines back."""
    for window in state.windows:
        fetch = window.backlog.fetch
        if (fetch is not None and window.backlog.held is not None
                and now - fetch.started >= state.settings.history_wait):
            for line in window.backlog.release():
                window.append(line)
            state.changed = True


# --- private conversations while away (TARGETS) ---------------------------------

def heard(state: ChatState, msg: Message, now: float) -> None:
    """A line arrived while registered: its time (the server's, when tagged) is how far we have seen."""
    if state.phase is Phase.CONNECTED:
        state.last_line_at = parse_time(msg.tag("time")) or now


def _away_from(state: ChatState) -> None:
    """The link is gone: the next TARGETS starts at the last line seen on it, unless this connection's
    TARGETS went unanswered (then the next one still starts where this one did). An attempt that never
    registered saw no line and changes nothing."""
    if state.dm_asked is not Targets.ASKED and state.last_line_at is not None:
        state.dm_from = state.last_line_at
    state.dm_asked = Targets.NOT_ASKED
    state.last_line_at = None


def ask_targets(state: ChatState, now: float) -> list[Reply]:
    """Registered and logged in on a server that keeps history: ask, once a connection, which private
    conversations had lines while we were away."""
    if (state.dm_asked is not Targets.NOT_ASKED or state.account is None or state.phase is not Phase.CONNECTED or not state.motd_done
            or not available(state)):
        return []
    span = _targets_span(state, now)
    if span is None:
        return []
    state.dm_asked = Targets.ASKED
    size = _page(state, state.settings.history_dm_max)
    state.history_asked.append(Asked("*", TARGETS, size))
    # newest first: past the limit, the server keeps the conversations nearest the first timestamp
    return [("CHATHISTORY", TARGETS, Ref(None, span[1]).param(), Ref(None, span[0]).param(), str(size))]


def _targets_span(state: ChatState, now: float) -> tuple[float, float] | None:
    """From the last line seen before the reconnect, or --history-dm-days back on the first connection
    (None when that is 0), to the server's time now and a little more."""
    clock = state.last_line_at or now
    if state.dm_from is not None:
        start = state.dm_from
    elif state.settings.history_dm_days > 0:
        start = clock - state.settings.history_dm_days * DAY
    else:
        return None
    return start, clock + CLOCK_SLACK


def _targets_answered(state: ChatState, done: Batch, now: float) -> list[Reply]:
    """Each private conversation named gets its window caught up, or opened and filled; channels are
    left to their JOIN."""
    asked = _take_asked(state, "*")
    state.dm_asked = Targets.ANSWERED
    replies: list[Reply] = []
    names = [name for name in map(_target_of, done.messages) if name]
    private = [name for name in names if not state.features.is_channel(name) and valid_nick(name, NICK_MAX)]
    for name in private:
        replies += _catch_up_private(state, name, now)
    # Our private lines whose echo the lost link took: those of these conversations wait for their history.
    talk.settle_lost(state, private=True, coming={casefold(name) for name in private})
    if asked is not None and len(names) >= asked.size:
        state.status(now, f"More private conversations had lines while you were away than the {asked.size} "
                          "most recent fetched (--history-dm-max)", state.windows.status)
    return replies


def _target_of(msg: Message) -> str:
    """`CHATHISTORY TARGETS <name> <timestamp>` -> the name; "" for any other line."""
    if msg.command != "CHATHISTORY" or msg.param(0).upper() != TARGETS:
        return ""
    return msg.param(1)


def _catch_up_private(state: ChatState, nick: str, now: float) -> list[Reply]:
    """A conversation that had lines while we were away: its window, opened as a private message would
    open it, asks for them."""
    window = state.windows.find(nick)
    if window is None:
        window = state.query(nick)
    elif window.kind is not WindowKind.QUERY:
        return []
    return start(state, window, now, news=True)


def _news_level(line: Line) -> Activity:
    """A private line from history marks its window as it would live: the other's lines as a mention."""
    if line.own or line.kind in (Kind.STATUS, Kind.MARKER):
        return Activity.NONE
    return Activity.MENTION


# --- batches ------------------------------------------------------------------

@handles("BATCH")
def batch(state: ChatState, msg: Message, now: float) -> list[Reply]:
    ref = msg.param(0)
    if ref.startswith("+") and len(ref) > 1:
        state.batches[ref[1:]] = Batch(msg.param(1), tuple(msg.params[2:]))
    elif ref.startswith("-"):
        done = state.batches.pop(ref[1:], None)
        if isinstance(done, Batch) and done.kind == HISTORY_BATCH:
            return _answered(state, done, now)
        if isinstance(done, Batch) and done.kind == TARGETS_BATCH:
            return _targets_answered(state, done, now)
    return []


def collects(state: ChatState, msg: Message) -> bool:
    """A line inside a chathistory or TARGETS batch waits for the end of the batch."""
    ref = msg.tag("batch")
    if ref is None or msg.command == "BATCH":
        return False
    open_batch = state.batches.get(ref)
    if not isinstance(open_batch, Batch) or open_batch.kind not in (HISTORY_BATCH, TARGETS_BATCH):
        return False
    open_batch.messages.append(msg)
    return True


def _take_asked(state: ChatState, target: str) -> Asked | None:
    folded = casefold(target)
    for asked in state.history_asked:
        if asked.target == folded:
            state.history_asked.remove(asked)
            return asked
    return None


def _answered(state: ChatState, done: Batch, now: float) -> list[Reply]:
    target = done.params[0] if done.params else ""
    asked = _take_asked(state, target)
    window = state.windows.find(target)
    if window is None:
        return []
    if asked is not None and asked.kind == "BEFORE":
        _prepend(state, window, done.messages, asked)
        return []
    return _append(state, window, done.messages, asked, now)


def line_of(state: ChatState, window: Window, msg: Message) -> Line | None:
    """A history line as the window shows it, with its own time; None for what is not shown."""
    when = parse_time(msg.tag("time")) or 0.0
    if msg.command in ("PRIVMSG", "NOTICE"):
        said = talk.read(state, msg, window)
        if said is None:
            return None
        return Line(when, said.kind, said.text, said.nick, said.own, said.mention, history=True)
    text = _event_text(msg)
    return Line(when, Kind.STATUS, text, history=True) if text else None


def _event_text(msg: Message) -> str:
    """JOIN, PART, QUIT, NICK, KICK, TOPIC in words (draft/event-playback)."""
    nick = nick_of(msg.prefix)
    if msg.command == "JOIN":
        return f"{nick} joined {msg.param(0)}"
    if msg.command == "PART":
        return f"{nick} left {msg.param(0)}" + (f" ({strip_formatting(msg.param(1))})" if msg.param(1) else "")
    if msg.command == "QUIT":
        return f"{nick} quit ({strip_formatting(msg.param(0))})"
    if msg.command == "NICK":
        return f"{nick} is now known as {msg.param(0)}"
    if msg.command == "KICK":
        return f"{msg.param(1)} was kicked from {msg.param(0)} by {nick} ({strip_formatting(msg.param(2))})"
    if msg.command == "TOPIC":
        return f"{nick} changed the topic of {msg.param(0)} to: {strip_formatting(last(msg))}"
    return ""


def _append(state: ChatState, window: Window, messages: list[Message], asked: Asked | None,
            now: float) -> list[Reply]:
    """LATEST or AFTER answered: the lines go at the end, before the live ones that waited."""
    backlog = window.backlog
    fetch = backlog.fetch
    if fetch is None:  # history nobody asked for (a server's playback): shown as it comes
        fetch = Fetch(asked.kind if asked else "LATEST", now, asked.size if asked else len(messages))
    newest: Ref | None = None
    for msg in messages:
        fetch.received += 1
        msgid, stamp = msg.tag("msgid"), parse_time(msg.tag("time"))
        if msgid:
            newest = Ref(msgid, stamp)
        if msgid and backlog.known(msgid):
            continue
        if talk.confirmed_by_history(state, window, msg):
            continue
        line = line_of(state, window, msg)
        if line is None:
            continue
        if msgid:
            backlog.remember(msgid, stamp, line)
        window.append(line)
        fetch.shown += 1
        if fetch.news:
            state.windows.mark(window, _news_level(line))
    state.changed = True
    more = asked is not None and backlog.fetch is fetch
    if more and fetch.kind == "AFTER":
        room = state.settings.history_catchup - fetch.received
        if messages and len(messages) >= asked.size and room > 0 and newest is not None:
            return [_ask(state, window, "AFTER", newest.param(), min(room, fetch.page))]
        newest_known = backlog.newest
        if (not messages and fetch.received == 0 and not fetch.by_time and newest_known is not None
                and newest_known.time is not None):
            # The server may not know that msgid any more (taken back, or lost): ask by its time instead.
            fetch.by_time = True
            return [_ask(state, window, "AFTER", Ref(None, newest_known.time).param(), fetch.page)]
    if fetch.kind == "LATEST" and asked is not None and len(messages) < asked.size:
        backlog.exhausted = True
    _finish(state, window, fetch, now)
    return []


def _finish(state: ChatState, window: Window, fetch: Fetch, now: float) -> None:
    backlog = window.backlog
    if backlog.fetch is fetch:
        backlog.fetch = None
    if fetch.shown:
        if fetch.kind == "AFTER":
            plural = "s" if fetch.shown != 1 else ""
            text = f"End of what was said while you were away ({fetch.shown} line{plural}); live from here"
        else:
            text = "End of history; live from here"
        window.append(Line(now, Kind.MARKER, text))
    if fetch.kind == "AFTER" and fetch.received >= state.settings.history_catchup:
        window.append(Line(now, Kind.STATUS, f"More was said while you were away than the "
                           f"{state.settings.history_catchup} lines fetched (--history-catchup)"))
    for line in backlog.release():
        window.append(line)
    talk.settle_lost(state, window)


def _prepend(state: ChatState, window: Window, messages: list[Message], asked: Asked) -> None:
    """BEFORE answered: older lines go in front; fewer than asked means there is nothing older."""
    backlog = window.backlog
    backlog.older = None
    back = window.scrollback
    for msg in reversed(messages):
        msgid, stamp = msg.tag("msgid"), parse_time(msg.tag("time"))
        if msgid and backlog.known(msgid):
            continue
        line = line_of(state, window, msg)
        if line is None:
            continue
        if not back.add_front(line):
            break
        if msgid:
            backlog.remember(msgid, stamp, line, front=True)
    if len(messages) < asked.size and not backlog.exhausted:
        backlog.exhausted = True
        first = back.line(back.first).when if len(back) else 0.0
        back.add_front(Line(first, Kind.MARKER, f"Beginning of the history of {window.name} on the server",
                            history=True))
    state.changed = True


def failed(state: ChatState, msg: Message, now: float) -> None:
    """FAIL CHATHISTORY: the oldest request is answered with no lines; its window stops waiting."""
    asked = state.history_asked.popleft() if state.history_asked else None
    window = state.windows.find(asked.target) if asked is not None else None
    text = f"History not available: {strip_formatting(last(msg))}"
    if window is None:
        state.error(now, text, state.windows.status if asked is not None and asked.kind == TARGETS else None)
        return
    backlog = window.backlog
    if asked.kind == "BEFORE":
        backlog.older = None
        backlog.exhausted = True
    elif backlog.fetch is not None:
        fetch = backlog.fetch
        _finish(state, window, fetch, now)
    state.error(now, text, window)
