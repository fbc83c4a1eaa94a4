"""The chat as the I/O layer sees it: connect, receive lines, sweep, quit.

Everything here is plain Python: a transport passes lines and the time in,
and each Session's `send` carries bytes out. The per-line policy every
transport shares lives here once: flood control with fakelag, the backlog
past which a client is closed for flooding, 417 for overlong lines, and the
liveness state a received line resets. A bug in a handler ends that one
client (with a logged traceback), never the server.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config import Config
from ..protocol import numerics as N
from ..protocol.framing import TOO_LONG, TooLong
from ..protocol.message import MAX_LINE, MAX_TAGS_SERVER, Message, ParseError, parse
from ..protocol.websocket import FRAME_OVERHEAD
from ..protocol.names import casefold
from . import dispatch, replies
from .accounts import AccountStore, Hasher, MemoryAccounts
from .bus import Bus, LocalBus
from .caps import AWAY_NOTIFY, view_of
from .channels import Channel, Channels
from .context import Context
from .flood import FREE, LIVENESS, TokenBucket
from .handlers import COMMANDS
from .history import HistoryStore, Ref, StoreError
from .logins import RESERVED, Logins
from .opers import KLINED, Ban, BanStore, Opers
from .metrics import NO_METRICS, Metrics, quit_code
from .outbox import MessageIds, Outbox, framer, server_time
from .session import PLAIN_TCP, Session, TransportInfo
from .state import Registry, User

log = logging.getLogger("geventchat")

INTERNAL_ERROR = "Internal server error"
EXCESS_FLOOD = "Excess flood"

NOTHING = Message("")
"""A line with no command: nothing to run, but it went through flood control."""

TAGGED_CAPS = frozenset({"message-tags", "server-time", "account-tag", "batch", "labeled-response"})
"""Capabilities under which a client may be sent a tag section in front of a 512-byte line."""

def read_motd(path: str | None) -> list[str] | None:
    """The MOTD lines, or None when there is no file (the client then gets 422); raises OSError."""
    if not path:
        return None
    return Path(path).read_text(encoding="utf-8", errors="replace").splitlines()


def load_motd(path: str | None) -> list[str] | None:
    """The MOTD at start: a file that cannot be read is logged, and clients get 422."""
    try:
        return read_motd(path)
    except OSError as error:
        log.warning("cannot read MOTD file %s: %s", path, error.strerror)
        return None


@dataclass(frozen=True)
class Reloaded:
    """What a reload (REHASH, SIGHUP) did: whether it applied, and in words what changed or why not."""

    ok: bool
    source: str  # the config file read; "" when the settings come from flags alone
    summary: str


def _nowhere(fields: dict) -> None:
    """A single process has no other node to tell."""


def _argon2(config: Config) -> Hasher:
    """The argon2id hasher with the configured costs, run in-line (the edge passes one run on threads)."""
    from ..passwords import Argon2Hasher  # argon2-cffi: loaded only by a chat that is not given a hasher

    return Argon2Hasher(config.accounts)


class Chat:
    def __init__(
        self,
        config: Config,
        bus: Bus | None = None,
        registry: Registry | None = None,
        node: str = "",
        ids: Callable[[], str] | None = None,
        history: HistoryStore | None = None,
        accounts: AccountStore | None = None,
        bans: BanStore | None = None,
        hasher: Hasher | None = None,
        channels: Channels | None = None,
    ) -> None:
        """`accounts` and `bans` default to memory (one store can be both); `hasher` to argon2id, in-line;
        `channels` to this process's own (a network passes its replicated Channels, as it does its Registry)."""
        self.config = config
        self.bus: Bus = bus if bus is not None else LocalBus()
        self.registry = registry if registry is not None else Registry()
        self.sessions: dict[str, Session] = {}
        self.created = time.time()
        self.channels = channels if channels is not None else Channels()
        self.lobby = config.server.lobby  # None: a classic IRC server, no channel joined for you
        self.lobby_folded = casefold(self.lobby) if self.lobby else None
        if self.lobby:
            self.channels.create(self.lobby, self.created, permanent=True).modes.update("nt")
        self.motd = load_motd(config.server.motd_file)
        self.history = history
        self.outbox = Outbox(config.server.name, self.bus, ids or MessageIds(node, self.created), history)
        self.tls_port: int | None = None  # the TLS listener's port once one runs (the sts policy names it)
        self.metrics: Metrics = NO_METRICS
        self.reload: Callable[[], Reloaded] | None = None  # set by the edge that can read the config again
        self._ids = itertools.count(1)
        self._node = node
        self._registered_here = 0
        memory = MemoryAccounts() if accounts is None or bans is None else None
        self.logins = Logins(self, accounts or memory, hasher or _argon2(config))
        self.opers = Opers(self, bans or memory)
        self.opers.load(time.time())
        self.broadcast_control: Callable[[dict], None] = _nowhere  # a network sets this: tells every other node

    # --- the connection layer calls these -------------------------------

    def connect(
        self,
        host: str,
        send: Callable[[bytes], None],
        hang_up: Callable[[], None],
        now: float,
        transport: TransportInfo = PLAIN_TCP,
        set_line_limit: Callable[[int], None] | None = None,
    ) -> Session:
        """A new client: returns its Session.

        `send(bytes)` queues output and must never block; `hang_up()` is called
        once, after the last line (ERROR) has been queued; `set_line_limit(n)`
        tells the queue the longest item it may now be given. A transport that
        frames each line (WebSocket) is given its lines framed: by the session
        for lines to this client alone, by the bus (once per view) for the rest.
        """
        uid = f"{self._node}{next(self._ids)}"
        if host.startswith(":"):
            host = "0" + host  # an IPv6 host must not start with ':' in a prefix
        flood = self.config.flood
        deliver = send
        frame = framer(transport.framing)
        if frame is not None:
            send = lambda line: deliver(frame(line))  # noqa: E731 - one closure per framed client
        session = Session(
            uid=uid,
            host=host,
            send=send,
            deliver=deliver,
            view=transport.framing,
            hang_up=hang_up,
            connected_at=now,
            last_seen=now,
            flood=TokenBucket(flood.burst, flood.rate),
            ping_flood=TokenBucket(flood.ping_burst, flood.ping_rate),
            transport=transport,
        )
        if set_line_limit is not None:
            session.set_line_limit = set_line_limit
            if transport.framing:
                set_line_limit(MAX_LINE + FRAME_OVERHEAD)
        self.sessions[uid] = session
        return session

    def parse(self, raw: bytes) -> Message | None:
        """A received line as a Message, or None for an empty line.

        A line that is not empty but has no command (spaces, NULs, tags only)
        comes back as NOTHING: ignored like an empty line, yet it costs flood
        budget, so a stream of them cannot keep the server busy for free.
        """
        try:
            return parse(raw)
        except ParseError:
            return NOTHING if raw else None

    def received(self, session: Session, lines: Sequence[bytes | TooLong], now: float) -> float:
        """Run the received lines that may run now; return seconds until the next may (0: none waits).

        A line past the client's flood budget is held for the delay its
        bucket names (fakelag): the transport waits that long, then calls
        again with no new lines. While one is held no more is read, so the
        lines still waiting are those of the last read; past the backlog
        limit the client is closed with `Excess flood`.

        This runs for every line a client sends, so the usual case (nothing
        held, nothing waiting) takes the lines straight from the transport's
        list; only once one must wait do the rest go to the session's inbox.
        """
        inbox = session.inbox
        if lines:
            self.metrics.received(len(lines))
        if session.held is not None or inbox:
            inbox.extend(lines)
            return self._run_waiting(session, now)
        flood_delay, handle = self.flood_delay, self.handle
        rest = iter(lines)
        for raw in rest:
            if session.closed is not None:
                break
            if raw is TOO_LONG:
                msg, command = TOO_LONG, ""
            else:
                try:
                    msg = parse(raw)
                except ParseError:
                    if not raw:
                        continue
                    msg = NOTHING
                command = msg.command
            delay = flood_delay(session, command, now)
            if delay:
                inbox.extend(rest)
                return self._hold(session, msg, now, delay)
            if msg is TOO_LONG:
                self.too_long(session)
            else:
                handle(session, msg, now)
        return 0.0

    def _hold(self, session: Session, msg: Message | TooLong, now: float, delay: float) -> float:
        """`msg` waits out its flood delay; past the backlog of lines waiting behind it, the client is closed."""
        if len(session.inbox) >= self.config.flood.backlog:
            self.quit(session, EXCESS_FLOOD, now)
            session.inbox.clear()
            return 0.0
        session.held = (msg, now + delay)
        return delay

    def _run_waiting(self, session: Session, now: float) -> float:
        """The held line once its time has come, then the inbox, until one must wait again."""
        inbox = session.inbox
        while session.closed is None:
            held = session.held
            if held is not None:
                msg, ready = held
                if now < ready:
                    return ready - now
                session.held = None
            else:
                if not inbox:
                    return 0.0
                raw = inbox.popleft()
                if raw is TOO_LONG:
                    msg = TOO_LONG
                else:
                    msg = self.parse(raw)
                    if msg is None:
                        continue
                delay = self.flood_delay(session, msg.command if msg is not TOO_LONG else "", now)
                if delay:
                    return self._hold(session, msg, now, delay)
            if msg is TOO_LONG:
                self.too_long(session)
            else:
                self.handle(session, msg, now)
        inbox.clear()
        return 0.0

    def flood_delay(self, session: Session, command: str, now: float) -> float:
        """Seconds to wait before running `command` (fakelag), 0 for now; the token is paid here."""
        if command in FREE:
            return 0.0
        if command in LIVENESS:
            return session.ping_flood.take(now)
        return session.flood.take(now)

    def handle(self, session: Session, msg: Message, now: float) -> None:
        """Run one command for `session`. Never raises."""
        if session.closed is not None or msg is NOTHING:
            return
        session.last_seen = now
        session.ping_sent_at = None
        label = msg.tags.get("label") if msg.tags and "labeled-response" in session.caps else None
        if label is not None:
            self.outbox.open_response(session)
        try:
            dispatch.run(Context(self, session, now), msg, COMMANDS)
        except Exception:
            log.exception("bug handling %s from %s; closing that client", msg.command, session.uid)
            self._contain(session, now)
        if label is not None:
            self.outbox.close_response(session, label)

    def receive(self, session: Session, raw: bytes, now: float) -> None:
        """Parse and handle one line without flood control (tests, trusted callers)."""
        msg = self.parse(raw)
        if msg is not None:
            self.handle(session, msg, now)

    def too_long(self, session: Session) -> None:
        """The client sent a line past 512 bytes (or past 4094 bytes of tags): 417, connection kept."""
        if session.closed is not None:
            return
        self.outbox.numeric(session, N.ERR_INPUTTOOLONG, "Input line was too long")

    def sweep(self, now: float) -> None:
        """The shared liveness timer: registration timeout, PING, ping timeout.

        A bug met while sweeping one client ends that client, not the sweep:
        the clients after it still time out.
        """
        limits = self.config.limits
        for session in list(self.sessions.values()):
            try:
                if session.user is None:
                    if now - session.connected_at >= limits.registration_timeout:
                        self.quit(session, "Registration timed out", now)
                elif session.ping_sent_at is not None:
                    if now - session.ping_sent_at >= limits.ping_timeout:
                        self.quit(session, f"Ping timeout: {round(now - session.last_seen)} seconds", now)
                elif now - session.last_seen >= limits.ping_interval:
                    session.ping_sent_at = now
                    self.outbox.send(session, Message("PING", (self.config.server.name,)))
            except Exception:
                log.exception("bug in the sweep of %s; closing that client", session.uid)
                self._contain(session, now)

    def _contain(self, session: Session, now: float) -> None:
        """End a client after a bug, even if ending it the usual way fails too.

        If a quit already failed part-way (closed, but maybe never hung up),
        or fails now, the client is at least forgotten and hung up.
        """
        failed_before = session.closed is not None
        try:
            self.quit(session, INTERNAL_ERROR, now)
            if not failed_before:
                return
        except Exception:
            log.exception("bug closing %s", session.uid)
        session.closed = session.closed or INTERNAL_ERROR
        self.sessions.pop(session.uid, None)
        try:
            session.hang_up()
        except Exception:
            log.exception("bug hanging up %s", session.uid)

    def quit(self, session: Session, reason: str, now: float, code: str | None = None) -> None:
        """End a client: others see QUIT with `reason`, it gets ERROR. Idempotent.

        `code` names the kind of quit for the metrics when `reason` is free
        text (a client's QUIT message); otherwise it comes from the reason.
        """
        if session.closed is not None:
            return
        session.closed = reason
        self.metrics.quit(code or quit_code(reason))
        self.sessions.pop(session.uid, None)
        user = session.user
        if user is not None:
            self._registered_here -= 1
            neighbours = self.neighbours(user)
            self.bus.unsubscribe(session.uid)
            self.channels.forget(session.uid)
            self.registry.remove(user)
            self.outbox.to_channels(neighbours, Message("QUIT", (reason,), user.prefix), now)
        elif session.nick is not None:
            self.registry.release_nick(session.nick, session.uid)
        self.outbox.error(session, reason)
        session.hang_up()
        self.log_event("quit", session, reason)

    def shutdown(self, now: float) -> None:
        for session in list(self.sessions.values()):
            self.quit(session, "Server shutting down", now)

    # --- handlers call these ---------------------------------------------

    def admit(self, session: Session, now: float) -> bool:
        """What a client must pass before it is welcomed: server password, K-lines, account rules, its nick.

        Refused for the first three, it is closed with the reason; for a nick
        reserved by an account it is not logged in to, 433, and it stays
        unregistered until it picks another nick.
        """
        settings = self.config.accounts
        if session.sasl is not None:  # CAP END before the exchange was over
            session.sasl = None
            self.outbox.numeric(session, N.ERR_SASLABORTED, "SASL authentication aborted")
        if settings.password and not session.password_ok:
            self.outbox.numeric(session, N.ERR_PASSWDMISMATCH, "Password incorrect")
            self.quit(session, "Bad password", now)
            return False
        ban = self.opers.banned(session, now)
        if ban is not None:
            self.outbox.numeric(session, N.ERR_YOUREBANNEDCREEP, f"You are banned from this server ({ban.reason})")
            self.quit(session, KLINED, now)
            return False
        if settings.require_account and session.account is None:
            self.outbox.server_says(session, "NOTICE", session.name, "This server is for account holders: log in "
                                    "with SASL, or send PASS <account>:<password> before NICK and USER")
            self.quit(session, "An account is required", now)
            return False
        nick = session.nick
        if self.logins.reserved(session, nick):
            if session.closed is None:
                self.outbox.numeric(session, N.ERR_NICKNAMEINUSE, nick, RESERVED)
                self.registry.release_nick(nick, session.uid)
                session.nick = None
            return False
        return session.closed is None

    def register(self, session: Session, now: float) -> None:
        """NICK, USER and CAP are done: welcome the client and put it in the lobby."""
        assert session.nick is not None and session.username is not None
        if not self.admit(session, now):
            return
        user = User(
            uid=session.uid,
            nick=session.nick,
            user=session.username,
            host=session.host,
            realname=session.realname,
            server=self.config.server.name,
            signon=now,
            last_spoke=now,
            secure=session.transport.secure,
            account=session.account,
        )
        session.user = user
        self._registered_here += 1
        self.registry.add(user)
        self.metrics.registered(session.transport.kind)
        ctx = Context(self, session, now)
        replies.welcome(ctx)
        self.bus.subscribe(session.uid, session.deliver, session.view)
        if self.lobby:
            self.join(session, self.channels.find(self.lobby), "", now)
        self.log_event("register", session, f"{user.prefix} ({user.realname})")

    def join(self, session: Session, channel: Channel, status: str, now: float) -> None:
        """The client is in: everyone sees the JOIN, it gets the topic, the names, and the recent lines."""
        user = session.user
        self.channels.add(channel, user, status)
        self.bus.join(session.uid, channel.folded)
        self.outbox.to_channel(
            channel.folded, Message("JOIN", (channel.name,), user.prefix), now, sender=session, echo=True,
            extended=Message("JOIN", (channel.name, user.account or "*", user.realname), user.prefix),
        )
        if user.away:
            self.outbox.to_channel(channel.folded, Message("AWAY", (user.away,), user.prefix), now,
                                   sender=session, needs=AWAY_NOTIFY)
        self.channel_changed(channel, joined=user.uid)
        ctx = Context(self, session, now)
        if channel.topic:
            replies.topic(ctx, channel)
        read_marker = None
        if "draft/read-marker" in session.caps:
            def read_marker() -> None:
                try:
                    marker = self.read_marker(session, channel.folded)
                except StoreError as error:
                    log.error("read marker of %s for %s failed: %s", channel, session.uid, error)
                    return
                self.tell_read_marker(session, channel.name, marker)
        replies.names(ctx, channel, before_end=read_marker)
        self._playback(session, channel.name, channel.folded, now)

    def leave(self, uid: str, channel: Channel) -> None:
        """A member is out of a channel (PART, KICK): the line has gone out already."""
        self.channels.remove(channel, uid)
        self.bus.part(uid, channel.folded)
        self.channel_changed(channel, left=uid)

    def channel_changed(self, channel: Channel, joined: str | None = None, left: str | None = None) -> None:
        """A channel's state changed (a member in or out, modes, topic, lists): a network keeps its copies
        in step. Who joined or left is named, so a copy learns that one change, not the member list again."""
        self.channels.changed(channel, joined, left)

    def _playback(self, session: Session, channel: str, folded: str, now: float) -> None:
        """The last lines of a channel for a client that does not ask for history itself."""
        count = self.config.history.history_playback
        if self.history is None or not count or "draft/chathistory" in session.caps:
            return
        try:
            entries = self.history.before(folded, Ref(time=now), count, events=False)
        except StoreError as error:
            log.error("playback of %s to %s failed: %s", channel, session.uid, error)
            return
        if entries:
            batch = self.outbox.open_batch(session, "chathistory", channel)
            self.outbox.replay(session, entries, batch, time_in_text=True)
            self.outbox.close_batch(session, batch)

    def channels_of(self, session: Session) -> set[str]:
        """The channels (folded) this client is in."""
        return self.channels.of(session.uid)

    def channel_names(self, session: Session) -> list[str]:
        """The channels this client is in, as they are spelt."""
        return [channel.name for channel in self.channels.channels_of(session.uid)]

    def user_arrived(self, user: User) -> None:
        """A user of another node registered or its record changed: its channels hold the new record.

        Which channels it is in, the lobby too (it may have left it), travels as those channels' own
        changes, in order with the rest.
        """
        self.channels.refresh(user)

    def user_gone(self, uid: str) -> None:
        """A user of another node left: out of every channel."""
        self.channels.forget(uid)

    # --- read markers --------------------------------------------------------

    def read_marker(self, session: Session, folded: str) -> float | None:
        user = session.user
        if user is not None and user.account is not None and self.history is not None:
            return self.history.read_marker(user.account, folded)
        return session.read_markers.get(folded)

    def mark_read(self, session: Session, target: str, folded: str, stamp: float) -> None:
        """Move a read marker forward; every connection of the account hears where it now is."""
        user = session.user
        if user is not None and user.account is not None and self.history is not None:
            stamp = self.history.set_read_marker(user.account, folded, stamp)
            for other in list(self.sessions.values()):
                if other.user is not None and other.user.account == user.account and (
                        other is session or "draft/read-marker" in other.caps):
                    self.tell_read_marker(other, target, stamp)
            return
        stamp = max(stamp, session.read_markers.get(folded, stamp))
        session.read_markers[folded] = stamp
        self.tell_read_marker(session, target, stamp)

    def tell_read_marker(self, session: Session, target: str, stamp: float | None) -> None:
        where = f"timestamp={server_time(stamp)}" if stamp is not None else "*"
        self.outbox.server_says(session, "MARKREAD", target, where)

    def neighbours(self, user: User) -> tuple[str, ...]:
        """The channels (folded) whose members see this user's QUIT, NICK, AWAY: everyone who shares one."""
        return tuple(self.channels.of(user.uid))

    def caps_changed(self, session: Session) -> None:
        """CAP REQ changed what the client sees: its queue and its place in the bus follow."""
        framing = session.transport.framing
        view = view_of(session.caps) | framing
        tagged = not TAGGED_CAPS.isdisjoint(session.caps)
        session.set_line_limit((MAX_LINE + MAX_TAGS_SERVER if tagged else MAX_LINE) + (FRAME_OVERHEAD if framing else 0))
        if view != session.view:
            session.view = view
            if session.registered:
                self.bus.subscribe(session.uid, session.deliver, view)

    def sts_policy(self, session: Session) -> str | None:
        """The `sts` cap's value for this client, or None when there is no policy to give.

        On a plain connection it names the TLS port to move to; on a secure one
        how long the client should keep coming back over TLS.
        """
        listeners = self.config.listeners
        if self.tls_port is None or not listeners.sts:
            return None
        if session.transport.secure:
            return f"duration={listeners.sts_duration}"
        return f"port={self.tls_port}"

    # --- operators, and what other nodes tell ------------------------------------

    def is_operator(self, session: Session) -> bool:
        """Whether this client is a server operator (it gave OPER a right password): it may run
        operator commands, REDACT any line, and change any channel like its operator."""
        return session.oper is not None

    def kill(self, uid: str, reason: str, now: float) -> None:
        """End a user wherever it is connected: here at once, else on its own node."""
        session = self.sessions.get(uid)
        if session is not None:
            self.quit(session, reason, now)
        else:
            self.broadcast_control({"op": "kill", "uid": uid, "reason": reason})

    def control(self, fields: dict, now: float) -> None:
        """Another node did something that changes this one: a KILL, a K-line, an account gone."""
        op = fields.get("op")
        if op == "kill":
            session = self.sessions.get(fields["uid"])
            if session is not None:
                self.quit(session, fields["reason"], now)
        elif op == "kline":
            self.opers.apply(Ban.from_record(fields["ban"]), now)
        elif op == "unkline":
            self.opers.lifted(fields["mask"])
        elif op == "logout":
            self.logins.log_out_everywhere(fields["account"], now, fields.get("why", ""), tell=False)

    def unregistered_count(self) -> int:
        return len(self.sessions) - self._registered_here

    def log_event(self, event: str, session: Session, detail: str) -> None:
        nick = session.nick or "*"
        log.info("%s %s %s %s", event, session.uid, nick, detail,
                 extra={"event": event, "uid": session.uid, "nick": nick, "detail": detail})

    # --- operations: metrics, reload ---------------------------------------

    def use_metrics(self, metrics: Metrics) -> None:
        """Report events to `metrics` from now on (the metrics edge, when its port is on)."""
        self.metrics = metrics
        self.outbox.metrics = metrics

    def reconfigure(self, motd: list[str] | None) -> None:
        """A reload changed the settings in place: take the new MOTD, and the flood budget for everyone.

        Each client's flood buckets get the new burst and rate at once (what
        it has already spent stays spent); limits read from the config on
        each use need nothing here.
        """
        self.motd = motd
        flood = self.config.flood
        for session in self.sessions.values():
            session.flood.retune(flood.burst, flood.rate)
            session.ping_flood.retune(flood.ping_burst, flood.ping_rate)
