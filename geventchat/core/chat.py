"""The chat as the I/O layer sees it: connect, receive a line, sweep, quit.

Everything here is plain Python: the connection layer passes bytes and the
time in, and each Session's `send` carries bytes out. A bug in a handler
ends that one client (with a logged traceback), never the server.
"""

from __future__ import annotations

import itertools
import logging
import time
from operator import attrgetter
from pathlib import Path
from typing import Callable

from ..config import Config
from ..protocol import numerics as N
from ..protocol.message import Message, ParseError, format_line, parse
from ..protocol.names import casefold
from . import dispatch, replies
from .bus import Bus, Delivery, LocalBus
from .context import Context
from .flood import EXEMPT, TokenBucket
from .handlers import COMMANDS
from .session import Session
from .state import Registry, User

log = logging.getLogger("geventchat")

INTERNAL_ERROR = "Internal server error"

NOTHING = Message("")
"""A line with no command: nothing to run, but it went through flood control."""

_NICK = attrgetter("nick")


def load_motd(path: str | None) -> list[str] | None:
    """The MOTD lines, or None when there is no file (the client then gets 422)."""
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        log.warning("cannot read MOTD file %s: %s", path, error.strerror)
        return None
    return text.splitlines()


class Chat:
    def __init__(
        self,
        config: Config,
        bus: Bus | None = None,
        registry: Registry | None = None,
        node: str = "",
    ) -> None:
        self.config = config
        self.bus: Bus = bus if bus is not None else LocalBus()
        self.registry = registry if registry is not None else Registry()
        self.sessions: dict[str, Session] = {}
        self.lobby = config.lobby
        self.lobby_key = casefold(config.lobby)
        self.created = time.time()
        self.motd = load_motd(config.motd_file)
        self._ids = itertools.count(1)
        self._node = node
        self._registered_here = 0

    # --- the connection layer calls these -------------------------------

    def connect(
        self, host: str, send: Callable[[bytes], None], hang_up: Callable[[], None], now: float
    ) -> Session:
        """A new client: returns its Session.

        `send(bytes)` queues output and must never block; `hang_up()` is called
        once, after the last line (ERROR) has been queued.
        """
        uid = f"{self._node}{next(self._ids)}"
        if host.startswith(":"):
            host = "0" + host  # an IPv6 host must not start with ':' in a prefix
        session = Session(
            uid=uid,
            host=host,
            send=send,
            hang_up=hang_up,
            connected_at=now,
            last_seen=now,
            flood=TokenBucket(self.config.flood_burst, self.config.flood_rate),
        )
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

    def flood_delay(self, session: Session, command: str, now: float) -> float:
        """Seconds the reader should wait before running `command` (fakelag), 0 for now."""
        if command in EXEMPT:
            return 0.0
        return session.flood.take(now)

    def handle(self, session: Session, msg: Message, now: float) -> None:
        """Run one command for `session`. Never raises."""
        if session.closed is not None or msg is NOTHING:
            return
        session.last_seen = now
        session.ping_sent_at = None
        try:
            dispatch.run(Context(self, session, now), msg, COMMANDS)
        except Exception:
            log.exception("bug handling %s from %s; closing that client", msg.command, session.uid)
            self._contain(session, now)

    def receive(self, session: Session, raw: bytes, now: float) -> None:
        """Parse and handle one line without flood control (tests, trusted callers)."""
        msg = self.parse(raw)
        if msg is not None:
            self.handle(session, msg, now)

    def too_long(self, session: Session) -> None:
        """The client sent a line past 512 bytes: 417, connection kept."""
        if session.closed is not None:
            return
        Context(self, session, 0.0).reply(N.ERR_INPUTTOOLONG, "Input line was too long")

    def sweep(self, now: float) -> None:
        """The shared liveness timer: registration timeout, PING, ping timeout.

        A bug met while sweeping one client ends that client, not the sweep:
        the clients after it still time out.
        """
        config = self.config
        for session in list(self.sessions.values()):
            try:
                if session.user is None:
                    if now - session.connected_at >= config.registration_timeout:
                        self.quit(session, "Registration timed out", now)
                elif session.ping_sent_at is not None:
                    if now - session.ping_sent_at >= config.ping_timeout:
                        self.quit(session, f"Ping timeout: {round(now - session.last_seen)} seconds", now)
                elif now - session.last_seen >= config.ping_interval:
                    session.ping_sent_at = now
                    session.send(format_line("PING", config.server_name))
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

    def quit(self, session: Session, reason: str, now: float) -> None:
        """End a client: others see QUIT with `reason`, it gets ERROR. Idempotent."""
        if session.closed is not None:
            return
        session.closed = reason
        self.sessions.pop(session.uid, None)
        user = session.user
        if user is not None:
            self._registered_here -= 1
            self.bus.unsubscribe(session.uid)
            self.registry.remove(user)
            self.bus.publish(Delivery(format_line("QUIT", reason, prefix=user.prefix), room=self.lobby_key))
        elif session.nick is not None:
            self.registry.release_nick(session.nick, session.uid)
        session.send(format_line("ERROR", f"Closing Link: {session.host} ({reason})"))
        session.hang_up()
        self.log_event("quit", session, reason)

    def shutdown(self, now: float) -> None:
        for session in list(self.sessions.values()):
            self.quit(session, "Server shutting down", now)

    # --- handlers call these ---------------------------------------------

    def register(self, session: Session, now: float) -> None:
        """NICK, USER and CAP are done: welcome the client and put it in the lobby."""
        assert session.nick is not None and session.username is not None
        user = User(
            uid=session.uid,
            nick=session.nick,
            user=session.username,
            host=session.host,
            realname=session.realname,
            server=self.config.server_name,
            signon=now,
            last_spoke=now,
        )
        session.user = user
        self._registered_here += 1
        self.registry.add(user)
        ctx = Context(self, session, now)
        replies.welcome(ctx)
        self.bus.subscribe(session.uid, session.send)
        self.bus.join(session.uid, self.lobby_key)
        self.bus.publish(Delivery(format_line("JOIN", self.lobby, prefix=user.prefix), room=self.lobby_key))
        replies.names(ctx, self.lobby, map(_NICK, self.registry.users()))  # O(n) per arrival: C loops
        self.log_event("register", session, f"{user.prefix} ({user.realname})")

    def announce(self, line: bytes) -> None:
        """A line about this user for everyone in the lobby, the user included."""
        self.bus.publish(Delivery(line, room=self.lobby_key))

    def unregistered_count(self) -> int:
        return len(self.sessions) - self._registered_here

    def log_event(self, event: str, session: Session, detail: str) -> None:
        log.info("%s %s %s %s", event, session.uid, session.nick or "*", detail)
