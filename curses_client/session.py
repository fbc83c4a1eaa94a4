"""The network side of the client, shared by the curses app and line mode.

Owns the connection and its life: registration (CAP, NICK, USER), answering
the server through incoming.py, keepalive, reconnecting with backoff, and
quitting cleanly. It never blocks and never draws: the caller's select loop
hands it readiness and time, and reads `state` to draw.
"""

from __future__ import annotations

import socket
from collections import deque
from dataclasses import dataclass

from geventchat.protocol.message import Message

from . import commands, incoming
from .connection import Connection, ConnectionLost, describe
from .state import ChatState, Phase

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
IDLE_PING = 90.0          # seconds of silence before we PING the server
IDLE_GIVE_UP = 180.0      # seconds of silence before we call the connection dead
QUIT_GRACE = 2.0          # seconds to let the server see our QUIT before closing
READY_GRACE = 3.0         # seconds after the welcome to wait for a room before sending anyway


@dataclass(frozen=True)
class ClientConfig:
    host: str
    port: int
    nick: str
    realname: str
    username: str
    room: str = "#lobby"
    reconnect: bool = True
    plain: bool = False


class Session:
    def __init__(self, config: ClientConfig, state: ChatState) -> None:
        self.config = config
        self.state = state
        self.conn: Connection | None = None
        self.backoff = BACKOFF_FIRST
        self.retry_at: float | None = None
        self.last_heard = 0.0
        self.pinged = False
        self.welcomed_at: float | None = None
        self.waiting: deque[str] = deque()   # lines typed before we could send them
        self.quitting_until: float | None = None
        self.done = False
        self.exit_status = 0
        self.peer: tuple[int, tuple] = (socket.AF_INET, (config.host, config.port))

    # --- connecting ------------------------------------------------------
    def attach(self, sock: socket.socket, now: float) -> None:
        """Use an already connected socket (the first connection, made before the UI)."""
        self.conn = Connection(sock, connected=True)
        self.peer = (sock.family, sock.getpeername())
        self._register(now)

    def connect(self, now: float) -> None:
        """Start a non-blocking connect; registration follows once it completes."""
        self.state.phase = Phase.CONNECTING
        self.state.detail = ""
        self.state.changed = True
        try:
            self.conn = Connection.start(*self.peer)
        except (OSError, ConnectionLost) as error:
            self._lost(describe(error), now)
            return
        self.last_heard = now
        if self.conn.connected:
            self._register(now)

    def _register(self, now: float) -> None:
        assert self.conn is not None
        cfg, state = self.config, self.state
        state.phase = Phase.REGISTERING
        state.nick = state.asked_nick = cfg.nick
        state.room = None
        state.members.clear()
        state.changed = True
        self.last_heard = now
        self.pinged = False
        self.welcomed_at = None
        self.conn.send("CAP", "LS", "302")
        self.conn.send("NICK", cfg.nick)
        self.conn.send("USER", cfg.username, _local_host(), cfg.host, cfg.realname)
        state.status(now, f"Connected to {cfg.host}:{cfg.port}; registering as {cfg.nick}")
        self._flush(now)

    # --- the select loop's calls -----------------------------------------
    def fileno(self) -> int | None:
        return self.conn.fileno() if self.conn is not None else None

    def wants_write(self) -> bool:
        return self.conn is not None and self.conn.wants_write()

    def socket_ready(self, readable: bool, writable: bool, now: float) -> None:
        """What the event loop saw on the socket; a write is skipped if the read replaced the connection."""
        conn = self.conn
        if readable:
            self.readable(now)
        if writable and self.conn is conn:
            self.writable(now)

    def readable(self, now: float) -> None:
        if self.conn is None:
            return
        got = self.conn.readable()
        if got.messages or got.bad:
            self.last_heard = now
            self.pinged = False
        for text in got.bad:
            self.state.error(now, text)
        for msg in got.messages:
            self._dispatch(msg, now)
        if got.lost is not None and self.conn is not None:
            self._lost(got.lost, now)
        self._flush(now)

    def writable(self, now: float) -> None:
        if self.conn is None:
            return
        was_connected = self.conn.connected
        try:
            self.conn.writable()
        except ConnectionLost as error:
            self._lost(str(error), now)
            return
        if not was_connected and self.conn.connected:
            self._register(now)

    def timeout(self, now: float) -> float:
        """Seconds until the next timer is due (at most 1, so the clock on screen stays fresh)."""
        due = [now + 1.0]
        if self.retry_at is not None:
            due.append(self.retry_at)
        if self.state.join_due is not None:
            due.append(self.state.join_due)
        if self.quitting_until is not None:
            due.append(self.quitting_until)
        return max(0.0, min(due) - now)

    def tick(self, now: float) -> None:
        """Run whatever timer is due: reconnect, JOIN fallback, keepalive, quit deadline."""
        state = self.state
        if self.quitting_until is not None and now >= self.quitting_until:
            self._finish()
            return
        if self.retry_at is not None and now >= self.retry_at:
            self.retry_at = None
            self.connect(now)
        elif self.retry_at is not None:
            remaining = int(self.retry_at - now + 0.999)
            detail = f"retrying in {remaining}s"
            if detail != state.detail:
                state.detail = detail
                state.changed = True
        if self.conn is None or not self.conn.connected:
            return
        if state.join_due is not None and now >= state.join_due:
            state.join_due = None
            if state.room is None:
                self._send(("JOIN", state.wanted_room), now)
        silent = now - self.last_heard
        if silent >= IDLE_GIVE_UP:
            self._lost(f"no reply from the server for {int(silent)} seconds", now)
            return
        if silent >= IDLE_PING and not self.pinged:
            self.pinged = True
            self._send(("PING", "keepalive"), now)
        self._send_waiting(now)
        self._flush(now)

    # --- the user's side ---------------------------------------------------
    def submit(self, line: str, now: float) -> None:
        """A line the user typed: /quit and /help run now; the rest waits until we are in the room."""
        if not line.strip():
            return
        if not _runs_offline(line) and not self._ready(now):
            if self.state.phase is not Phase.CONNECTED:
                self.state.status(now, "Not connected yet; the line will be sent once we are")
            self.waiting.append(line)
            return
        self._run(line, now)
        self._flush(now)

    def quit(self, message: str, now: float) -> None:
        """Ctrl-C, SIGTERM, end of input: leave with a QUIT like /quit does."""
        self._run(f"/quit {message}", now)
        self._flush(now)

    def _run(self, line: str, now: float) -> None:
        outcome = commands.parse_input(self.state, line, now)
        for reply in outcome.send:
            self._send(reply, now)
        if outcome.quit is not None:
            self._start_quitting(now)

    def _ready(self, now: float) -> bool:
        if self.conn is None or self.state.phase is not Phase.CONNECTED:
            return False
        return self.state.room is not None or (
            self.welcomed_at is not None and now - self.welcomed_at >= READY_GRACE)

    def _send_waiting(self, now: float) -> None:
        while self.waiting and self._ready(now) and self.quitting_until is None:
            self._run(self.waiting.popleft(), now)

    def _start_quitting(self, now: float) -> None:
        self.retry_at = None
        if self.conn is None or not self.conn.connected:
            self._finish()
        else:
            self.quitting_until = now + QUIT_GRACE

    def _finish(self) -> None:
        if self.conn is not None:
            try:
                self.conn.flush()
            except ConnectionLost:
                pass
            self.conn.close()
            self.conn = None
        self.done = True

    # --- internals ---------------------------------------------------------
    def _send(self, reply: tuple[str, ...], now: float) -> None:
        if self.conn is None or not self.conn.connected:
            self.state.error(now, "Not connected; nothing was sent")
            return
        try:
            self.conn.send(*reply)
        except ConnectionLost as error:
            self._lost(str(error), now)

    def _flush(self, now: float) -> None:
        if self.conn is not None and self.conn.connected:
            try:
                self.conn.flush()
            except ConnectionLost as error:
                self._lost(str(error), now)

    def _dispatch(self, msg: Message, now: float) -> None:
        was = self.state.phase
        try:
            replies = incoming.handle(self.state, msg, now)
        except Exception as error:  # a bad server line becomes a notice, never an exit
            self.state.error(now, f"Could not understand {msg.command} from the server ({error})")
            return
        if was is not Phase.CONNECTED and self.state.phase is Phase.CONNECTED:
            self.welcomed_at = now
            self.backoff = BACKOFF_FIRST
        for reply in replies:
            self._send(reply, now)
        if self.state.room is not None:
            self._send_waiting(now)

    def _lost(self, reason: str, now: float) -> None:
        state = self.state
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        state.room = None
        state.members.clear()
        state.join_due = None
        if self.quitting_until is not None:
            self.done = True
            return
        state.phase = Phase.DISCONNECTED
        if self.config.reconnect:
            delay = self.backoff
            self.backoff = min(self.backoff * 2, BACKOFF_MAX)
            self.retry_at = now + delay
            state.detail = f"retrying in {int(delay)}s"
            state.error(now, f"Disconnected: {reason}; reconnecting in {int(delay)}s")
        else:
            state.detail = "not reconnecting"
            state.error(now, f"Disconnected: {reason}")
            self.exit_status = 1


def _runs_offline(line: str) -> bool:
    """Lines that need no server: leaving, and asking for help."""
    if line == "QUIT" or line.startswith("QUIT "):
        return True
    return line.split(" ", 1)[0].lower() in ("/quit", "/help")


def _local_host() -> str:
    """The host name for USER; servers ignore it, but the protocol asks for it."""
    name = socket.gethostname() or "localhost"
    return name.split(".")[0] if " " not in name else "localhost"
