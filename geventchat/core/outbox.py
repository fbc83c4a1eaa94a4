"""Every line the server sends to a client goes through here.

Handlers and Chat hand the outbox Messages and an audience: one client
(`send`, `numeric`), a channel (`to_channel`), one user (`to_user`), or
everyone who shares a channel with a user (`to_neighbours`). The outbox
stamps a relayed line's `time` and `msgid` once, serialises it once per view
(plain; with the tags a client's capabilities let it see) in a Delivery the
bus carries, gives the sender its own line back under echo-message, and
buffers one command's replies for labeled-response. It is the one place
where history and metrics attach.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Callable

from ..protocol.message import MAX_LINE, Message, format_line, format_tags
from ..protocol.websocket import OPCODE_BINARY, OPCODE_TEXT, frame_line
from .caps import FRAMING, TIME, WS_BINARY
from .delivery import Delivery, server_time  # noqa: F401 - the outbox's product, re-exported for its users
from .history import KEPT, Entry
from .metrics import NO_METRICS, Metrics

if TYPE_CHECKING:
    from .bus import Bus
    from .history import HistoryStore
    from .session import Session

CLIENT_TAG = re.compile(r"\+(?:[A-Za-z0-9.-]+/)?[A-Za-z0-9-]+\Z")
"""A client-only tag name as message-tags spells it: `+` [vendor `/`] name."""


def closing_link(host: str, reason: str) -> bytes:
    """The ERROR line a connection gets before it is closed: never a silent close."""
    return format_line("ERROR", f"Closing Link: {host} ({reason})")


def framer(view: int) -> Callable[[bytes], bytes] | None:
    """How a CRLF-ended line is framed for a view's transport (a WebSocket message); None: as it is."""
    framing = view & FRAMING
    if not framing:
        return None
    opcode = OPCODE_BINARY if framing & WS_BINARY else OPCODE_TEXT
    return lambda line: frame_line(line, opcode)


def client_tags(msg: Message) -> dict[str, str] | None:
    """The client-only tags (`+name`) of a message that may be relayed, or None."""
    tags = msg.tags
    if not tags:
        return None
    kept = {key: value for key, value in tags.items() if key[0] == "+" and CLIENT_TAG.match(key)}
    return kept or None


class MessageIds:
    """Message ids unique across a network and across restarts: node, start time, counter."""

    def __init__(self, node: str, started: float) -> None:
        node = node.rstrip("/")
        self._prefix = f"{node}~{_base36(int(started * 1000))}~" if node else f"{_base36(int(started * 1000))}~"
        self._count = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._count):x}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = digits[digit] + out
        if not number:
            return out


class Outbox:
    def __init__(self, server_name: str, bus: Bus, ids: Callable[[], str],
                 history: HistoryStore | None = None, metrics: Metrics = NO_METRICS) -> None:
        self.server = server_name
        self.bus = bus
        self.ids = ids
        self.history = history  # channel lines are kept here before they are delivered
        self.metrics = metrics  # told once per relayed line how many recipients got it
        self._batches = itertools.count(1)

    # --- to one client ------------------------------------------------------

    def numeric(self, session: Session, numeric: str, *params: str) -> None:
        """A numeric from the server, addressed to the client (its nick, or `*`)."""
        body = format_line(numeric, session.name, *params, prefix=self.server)
        if session.response is None:
            session.send(body)
        else:
            session.response.append((None, body))

    def send(self, session: Session, msg: Message) -> None:
        """Any line to this one client, as given (no prefix when msg.prefix is None)."""
        self._to(session, msg.tags, format_line(msg.command, *msg.params, prefix=msg.prefix))

    def server_says(self, session: Session, command: str, *params: str) -> None:
        """A line from the server to this one client (NOTICE, PONG, CAP, FAIL ...)."""
        self._to(session, None, format_line(command, *params, prefix=self.server))

    def fail(self, session: Session, command: str, code: str, *context: str) -> None:
        """A standard reply `FAIL <command> <code> [<context>...] <description>`."""
        self.server_says(session, "FAIL", command, code, *context)

    def error(self, session: Session, reason: str) -> None:
        """The ERROR line of a client that is being closed: sent at once, never held in a response."""
        session.response = None
        session.send(closing_link(session.host, reason))

    def numeric_list(self, session: Session, numeric: str, head: tuple[str, ...], items: Iterable[str]) -> None:
        """`numeric <client> <head...> :<items>` packed into as few lines of 512 bytes as they take.

        The NAMES list of a big lobby goes to every arrival, so the packing is
        done by join() and rfind() over the bytes, not by a Python loop per
        item (a space never occurs inside a UTF-8 character), and the head is
        formatted once: the lines differ only in their items, which need no
        cleaning and fit the budget by construction.
        """
        prefix = format_line(numeric, session.name, *head, "x", prefix=self.server)[:-3]
        budget = MAX_LINE - 2 - len(prefix)  # a line's items and spaces stay under this
        text = " ".join(items).encode()
        start, end = 0, len(text)
        while start < end:
            if end - start < budget:
                stop = end
            else:
                stop = text.rfind(b" ", start, start + budget)
                if stop <= start:  # one item longer than the budget goes alone (and is cut)
                    stop = text.find(b" ", start)
                    stop = end if stop < 0 else stop
                    self.numeric(session, numeric, *head, text[start:stop].decode())
                    start = stop + 1
                    continue
            self._to(session, None, prefix + text[start:stop] + b"\r\n")
            start = stop + 1

    def room_left(self, command: str, *head: str) -> int:
        """Bytes left for a last parameter after this head, in a line from the server."""
        return MAX_LINE - 2 - len(format_line(command, *head, "x", prefix=self.server)) + 3

    def fitting(self, session: Session, numeric: str, words: Iterable[str]) -> list[str]:
        """The leading words that fit in one `numeric <client> :<words>` line, none cut in half."""
        budget = self.room_left(numeric, session.name)
        kept: list[str] = []
        used = -1  # no space before the first word
        for word in words:
            used += len(word.encode()) + 1
            if used > budget:
                break
            kept.append(word)
        return kept

    def _to(self, session: Session, tags: dict[str, str] | None, body: bytes) -> None:
        response = session.response
        if response is not None:
            response.append((tags, body))
        elif tags:
            session.send(format_tags(tags) + body)
        else:
            session.send(body)

    # --- relayed lines --------------------------------------------------------

    def relay(
        self,
        msg: Message,
        now: float,
        *,
        channels: tuple[str, ...] = (),
        uid: str | None = None,
        uids: tuple[str, ...] = (),
        sender: Session | None = None,
        echo: bool = False,
        tags: dict[str, str] | None = None,
        needs: int = 0,
        extended: Message | None = None,
        here_only: bool = False,
        keep_as: str | None = None,
    ) -> Delivery:
        """Stamp, serialise once, hand to the bus; the sender is never delivered to by the bus.

        `echo`: the sender gets its own line too (JOIN, NICK: always; PRIVMSG:
        the caller passes whether it has echo-message), through its labeled
        response when one is open. `here_only`: this node's clients only, for
        lines a node makes up about other nodes' users. `keep_as`: the history
        target of a line to one user (a private conversation between accounts).
        A logged-in sender's account rides along as the `account` tag.
        """
        stamped = {"msgid": self.ids()}
        if tags:
            stamped.update(tags)
        skip = None
        if sender is not None:
            skip = sender.uid
            account = sender.account
            if account is not None:
                stamped["account"] = account
        plain = format_line(msg.command, *msg.params, prefix=msg.prefix)
        if self.history is not None and not here_only and (channels or keep_as) and msg.command in KEPT:
            self._keep(msg.command, plain, now, channels or (keep_as,), stamped, sender)
        delivery = Delivery(
            plain, stamped, now, channels, uid, uids, skip, needs,
            format_line(extended.command, *extended.params, prefix=extended.prefix) if extended else None,
        )
        count = (self.bus.deliver_here if here_only else self.bus.publish)(delivery)
        if echo and sender is not None:
            count += self.echo(sender, delivery)
        self.metrics.delivered(count)
        return delivery

    def _keep(self, command: str, line: bytes, now: float, channels: tuple[str, ...], tags: dict[str, str],
              sender: Session | None) -> None:
        """History: one entry per channel the line goes to, before it is delivered."""
        kept = {key: value for key, value in tags.items() if key != "msgid"} if len(tags) > 1 else {}
        uid, account = (sender.uid, sender.account) if sender is not None else ("", None)
        msgid = tags["msgid"]
        append = self.history.append
        for channel in channels:
            append(Entry(msgid, now, channel, command, line, kept, uid, account))

    def echo(self, session: Session, delivery: Delivery) -> int:
        """Give a client a relayed line as its view shows it (its own line under echo-message); 1 if it got it."""
        view = session.view
        if (view & delivery.needs) != delivery.needs:
            return 0
        self._to(session, delivery.tags_for(view) if view else None, delivery.body_for(view))
        return 1

    def to_channel(self, channel: str, msg: Message, now: float, **options) -> Delivery:
        """Every member of one channel (folded name)."""
        return self.relay(msg, now, channels=(channel,), **options)

    def to_channels(self, channels: tuple[str, ...], msg: Message, now: float, **options) -> Delivery:
        """Every member of these channels, once: a user's neighbours, for its QUIT or NICK."""
        return self.relay(msg, now, channels=channels, **options)

    def to_user(self, uid: str, msg: Message, now: float, **options) -> Delivery:
        return self.relay(msg, now, uid=uid, **options)

    def to_users(self, uids: tuple[str, ...], msg: Message, now: float, **options) -> Delivery:
        """A few users by uid, one line for all (STATUSMSG to a channel's operators, invite-notify)."""
        return self.relay(msg, now, uids=uids, **options)

    # --- batches and history ------------------------------------------------------

    def open_batch(self, session: Session, kind: str, *params: str) -> str | None:
        """Start a batch for a client that has `batch` (None, and nothing sent, for one that has not)."""
        if "batch" not in session.caps:
            return None
        ref = _base36(next(self._batches))
        self._to(session, None, format_line("BATCH", f"+{ref}", kind, *params, prefix=self.server))
        return ref

    def close_batch(self, session: Session, ref: str | None) -> None:
        if ref is not None:
            self._to(session, None, format_line("BATCH", f"-{ref}", prefix=self.server))

    def replay(self, session: Session, entries: list[Entry], batch: str | None,
               time_in_text: bool = False) -> None:
        """History lines as they were relayed, with their own msgid and time, inside `batch`.

        A client without server-time that is played history unasked (on join)
        gets the time written at the start of the text, so an old line is
        never taken for a new one.
        """
        view = session.view
        for entry in entries:
            line = entry.line
            if time_in_text and not view & TIME and entry.command in ("PRIVMSG", "NOTICE"):
                said = entry.message
                line = format_line(said.command, *stamped_text(entry), prefix=said.prefix)
            delivery = Delivery(line, tags={"msgid": entry.msgid, **entry.tags}, time=entry.time)
            tags = delivery.tags_for(view)
            if batch is not None:
                tags = {"batch": batch, **tags}
            self._to(session, tags or None, delivery.plain)

    # --- labeled-response -----------------------------------------------------

    def open_response(self, session: Session) -> None:
        """Hold what this client is sent until the command ends (labeled-response)."""
        session.response = []

    def close_response(self, session: Session, label: str) -> None:
        """The command ended: its replies go out with the client's label.

        No reply is an ACK, one reply carries the label, several come in a
        `labeled-response` batch (or, for a client without `batch`, the label
        rides on the first).
        """
        lines = session.response
        session.response = None
        if lines is None:
            return
        labelled = {"label": label}
        if not lines:
            session.send(format_tags(labelled) + format_line("ACK", prefix=self.server))
        elif len(lines) == 1 or "batch" not in session.caps or self._one_batch(lines):
            tags, body = lines[0]
            session.send(format_tags({**labelled, **(tags or {})}) + body)
            for tags, body in lines[1:]:
                self._to(session, tags, body)
        else:
            ref = _base36(next(self._batches))
            session.send(format_tags(labelled) + format_line("BATCH", f"+{ref}", "labeled-response", prefix=self.server))
            inside = {"batch": ref}
            for tags, body in lines:
                session.send(format_tags({**inside, **(tags or {})}) + body)
            session.send(format_line("BATCH", f"-{ref}", prefix=self.server))

    def _one_batch(self, lines: list[tuple[dict[str, str] | None, bytes]]) -> bool:
        """The whole reply is one batch: its opening line carries the label, no batch wraps it."""
        start, end = lines[0][1], lines[-1][1]
        head = f":{self.server} BATCH ".encode()
        if not (start.startswith(head + b"+") and end.startswith(head + b"-")):
            return False
        return start[len(head) + 1:].split(b" ", 1)[0] == end[len(head) + 1:].rstrip(b"\r\n")


def stamped_text(entry: Entry) -> tuple[str, ...]:
    """The entry's parameters with `[HH:MM] ` (server local time) at the start of its text.

    A CTCP ACTION keeps its form: the time goes inside, after `ACTION `.
    """
    params = entry.params
    if entry.command not in ("PRIVMSG", "NOTICE") or len(params) < 2:
        return params
    stamp = time.strftime("[%H:%M] ", time.localtime(entry.time))
    text = params[-1]
    if text.startswith("\x01ACTION "):
        text = "\x01ACTION " + stamp + text[len("\x01ACTION "):]
    else:
        text = stamp + text
    return (*params[:-1], text)
