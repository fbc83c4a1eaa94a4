"""The network side of the client, shared by the curses app and line mode.

Owns the connection and its life: looking the server up, connecting (plain
or TLS) without blocking, registration (CAP, NICK, USER), answering the
server through incoming.py, pacing what we send, keepalive, taking our nick
back, reconnecting with backoff (or not, after a refusal retrying cannot
cure), and quitting cleanly. It never blocks and never draws: the caller's
select loop hands it readiness and time, and reads `state` to draw.
"""

from __future__ import annotations

import socket
import ssl
from collections import deque

from geventchat.protocol.message import Message
from geventchat.protocol.names import casefold

from . import commands, history, incoming, talk
from .address import format_address
from .config import ClientConfig, TlsConfig
from .connection import Connection, ConnectionLost, describe
from .features import Features
from .pacing import UNPACED, Outgoing, Pacer
from .refusal import Refusal, Retry, not_irc
from .resolve import Address, Lookup
from .sasl import Login
from .state import ChatState, Line, Phase, Settings, Window
from .tls import format_fingerprint, make_context

__all__ = ["BACKOFF_MAX", "ClientConfig", "Session", "TlsConfig"]

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
IDLE_PING = 90.0          # seconds of silence before we PING the server
IDLE_GIVE_UP = 180.0      # seconds of silence before we call the connection dead
QUIT_GRACE = 2.0          # seconds to let the server see our QUIT before closing
READY_GRACE = 3.0         # seconds after the welcome to wait for a room before sending anyway
LOOKUP_POLL = 0.05        # seconds between looks at a name lookup running in its thread
SILENT_CLOSES = 3         # connections in a row closed without a word before we stop trying


class Session:
    def __init__(self, config: ClientConfig, state: ChatState) -> None:
        self.config = config
        self.state = state
        self.conn: Connection | None = None
        self.backoff = BACKOFF_FIRST
        self.backoff_refused = False       # the pending retry is the slow one after a refusal
        self.retry_at: float | None = None
        self.lookup: Lookup | None = None
        self.addresses: list[Address] = []
        self.tried = 0                     # index in addresses of the one being tried
        self.last_heard = 0.0
        self.pinged = False
        self.welcomed_at: float | None = None
        self.held: deque[tuple[str, bool, Window]] = deque()  # (line, pasted, window) typed before we could send
        self.pacer = Pacer(config.send_burst, config.send_rate)
        self.quitting_until: float | None = None
        self.reconnect_at: float | None = None   # /reconnect: connect again when the old link has closed
        self.next_ison: float | None = None
        self.monitoring = False
        self.done = False
        self.exit_status = 0
        self.ever_connected = False
        self.silent_closes = 0             # connections in a row closed before the server said anything
        self.give_up_first = False         # line mode: a first connection that fails ends the program
        self.gave_up: str | None = None    # why we stopped trying, for good
        self.context: ssl.SSLContext | None = None
        self.address = format_address(config.host, config.port)
        if config.tls.enabled:
            state.secure = "TLS NOT VERIFIED" if config.tls.insecure else "TLS"
        state.settings = settings_of(config)
        state.windows.resize(config.scrollback)

    # --- connecting ------------------------------------------------------
    def start(self, now: float) -> None:
        """Look the server up and connect; returns at once (the screen is already up)."""
        self.state.phase = Phase.RESOLVING
        self.state.detail = ""
        self.state.changed = True
        if self.config.tls.enabled and self.context is None:
            try:
                self.context = make_context(self.config.tls)
            except (OSError, ssl.SSLError) as error:
                self._stop(f"cannot use the TLS settings: {describe(error)}", now)
                return
        self.lookup = Lookup(self.config.host, self.config.port)
        self._looked_up(now)

    def attach(self, sock: socket.socket, now: float) -> None:
        """Use a plain socket that is already connected (one end of a socketpair, in tests)."""
        self.retry_at = None
        self.conn = Connection.adopt(sock)
        self._register(now)

    def _looked_up(self, now: float) -> None:
        lookup = self.lookup
        if lookup is None or not lookup.done():
            return
        self.lookup = None
        if lookup.error is not None or not lookup.addresses:
            why = describe(lookup.error) if lookup.error else "no address found"
            self._stop(why, now)
            return
        self.addresses = lookup.addresses
        self._try(0, now)

    def _try(self, index: int, now: float) -> None:
        """Connect to addresses[index]; a failure moves on to the next address before backing off."""
        self.tried = index
        state = self.state
        state.phase = Phase.CONNECTING
        state.detail = ""
        state.changed = True
        self.last_heard = now
        family, sockaddr = self.addresses[index]
        try:
            self.conn = Connection.start(family, sockaddr, self.config.tls, self.context, self.config.host)
        except (OSError, ConnectionLost) as error:
            self._failed_attempt(describe(error) if isinstance(error, OSError) else str(error), now)
            return
        if self.conn.connected:
            self._register(now)

    def _failed_attempt(self, reason: str, now: float, final: bool = False) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if not final and self.tried + 1 < len(self.addresses):
            self._try(self.tried + 1, now)
            return
        self._lost(reason, now, final=final)

    def _register(self, now: float) -> None:
        assert self.conn is not None
        cfg, state = self.config, self.state
        self.ever_connected = True
        state.phase = Phase.REGISTERING
        state.nick = state.asked_nick = state.wanted_nick
        for window in state.windows:
            window.leave()
        state.features = Features()
        state.caps.clear()
        state.offered.clear()
        state.cap_state = ""
        state.account = None
        state.login = None
        state.quitting = False
        state.refusal = None
        state.reclaiming = False
        state.motd_done = False
        state.quiet_welcome = state.welcomed
        state.changed = True
        self.last_heard = now
        self.pinged = False
        self.welcomed_at = None
        self.monitoring = False
        self.next_ison = None
        self.pacer.reset(now)
        how = ""
        if cfg.tls.enabled:
            fingerprint = self.conn.peer_fingerprint()
            shown = format_fingerprint(fingerprint) if fingerprint else "?"
            if cfg.tls.insecure:
                state.note(now, "TLS certificate NOT VERIFIED (--tls-insecure): anyone between you and "
                           "the server can read and change this chat", error=True)
                state.note(now, f"The server's certificate: SHA-256 {shown} (--tls-fingerprint pins it)",
                           error=True)
                how = " over TLS (not verified)"
            elif cfg.tls.fingerprint is not None:
                how = " over TLS (pinned certificate)"
            else:
                how = " over TLS (certificate verified)"
        state.note(now, f"Connected to {self.address}{how}; registering as {state.nick}")
        self._send(("CAP", "LS", "302"), now)
        self._send(("NICK", state.nick), now)
        self._send(("USER", cfg.username, _local_host(), cfg.host, cfg.realname), now)
        self._flush(now)

    def reconnect(self, now: float) -> None:
        """`/reconnect`: leave the current connection (if any) and connect again now.

        A QUIT goes first, and the new connection waits until the server has
        closed the old one (or QUIT_GRACE has passed), so our nick is free again.
        """
        self.state.note(now, f"Reconnecting to {self.address}")
        self.retry_at = None
        self.backoff = BACKOFF_FIRST
        self.gave_up = None
        self.exit_status = 0
        if self.conn is not None and self.conn.connected:
            self._drop_waiting(now, say=True)
            self.state.quitting = True
            self._send(("QUIT", "Reconnecting"), now)
            self._flush(now)
            self.reconnect_at = now + QUIT_GRACE
            return
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self._connect_again(now)

    def _connect_again(self, now: float) -> None:
        self.reconnect_at = None
        self.state.refusal = None
        if self.addresses:
            self._try(0, now)
        else:
            self.start(now)

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
        conn = self.conn
        if conn is None:
            return
        was_open = conn.connected
        got = conn.readable()
        if got.messages or got.bad:
            self.last_heard = now
            self.pinged = False
        for text in got.bad:
            self.state.note(now, text, error=True)
        for msg in got.messages:
            self._dispatch(msg, now)
        if self.conn is not conn:
            return
        if got.lost is not None:
            if was_open:
                self._lost(got.lost, now, final=got.final)
            else:
                self._failed_attempt(got.lost, now, final=got.final)
            return
        if not was_open and conn.connected:
            self._register(now)
        self._pump(now)
        self._flush(now)

    def writable(self, now: float) -> None:
        conn = self.conn
        if conn is None:
            return
        was_open = conn.connected
        try:
            conn.writable()
        except ConnectionLost as error:
            if was_open:
                self._lost(str(error), now, final=error.final)
            else:
                self._failed_attempt(str(error), now, final=error.final)
            return
        if not was_open and conn.connected:
            self._register(now)

    def timeout(self, now: float) -> float:
        """Seconds until the next timer is due (at most 1, so the clock on screen stays fresh)."""
        due = [now + 1.0]
        if self.conn is not None and not self.conn.connected:
            due.append(self.last_heard + self.config.connect_timeout)
        for when in (self.retry_at, self.state.join_due, self.quitting_until, self.next_ison, self.reconnect_at,
                     self.pacer.next_at(now) if self.conn is not None and self.conn.connected else None):
            if when is not None:
                due.append(when)
        if self.lookup is not None:
            due.append(now + LOOKUP_POLL)
        if self.conn is not None and self.conn.buffered():
            due.append(now)
        return max(0.0, min(due) - now)

    def tick(self, now: float) -> None:
        """Run whatever timer is due: lookup, reconnect, JOIN fallback, keepalive, pacing, quit deadline."""
        state = self.state
        if self.quitting_until is not None and now >= self.quitting_until:
            self._finish()
            return
        if self.lookup is not None:
            self._looked_up(now)
        if self.reconnect_at is not None and now >= self.reconnect_at:
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            self._connect_again(now)
        if self.retry_at is not None and now >= self.retry_at:
            self.retry_at = None
            if self.addresses:
                self._try(0, now)
            else:
                self.start(now)
        elif self.retry_at is not None:
            detail = _retry_detail(self.retry_at - now, refused=self.backoff_refused)
            if detail != state.detail:
                state.detail = detail
                state.changed = True
        conn = self.conn
        if conn is not None and not conn.connected and now - self.last_heard >= self.config.connect_timeout:
            what = "the TLS handshake" if conn.stage.value == "handshake" else "the connection"
            self._failed_attempt(f"no answer to {what} in {_duration(self.config.connect_timeout)}", now)
            return
        if conn is None or not conn.connected:
            return
        if conn.buffered():
            self.readable(now)
            if self.conn is not conn:
                return
        if state.join_due is not None and now >= state.join_due:
            state.join_due = None
            for reply in incoming.channels_to_join(state):
                self._send(reply, now)
        talk.expire_echoes(state, now)
        history.expire(state, now)
        silent = now - self.last_heard
        if silent >= IDLE_GIVE_UP:
            self._lost(f"no reply from the server for {int(silent)} seconds", now)
            return
        if silent >= IDLE_PING and not self.pinged:
            self.pinged = True
            self._send(("PING", "keepalive"), now)
        self._reclaim(now)
        self._send_held(now)
        self._pump(now)
        self._flush(now)

    # --- the user's side ---------------------------------------------------
    def submit(self, line: str, now: float, pasted: bool = False) -> None:
        """A line the user typed, or pasted (then it is chat text, never a command).

        /quit, /help and /reconnect run now; the rest waits until we are in the room.
        """
        if not line.strip():
            return
        if (pasted or not _runs_offline(line)) and not self._ready(now):
            if self.state.phase is not Phase.CONNECTED and not self.held:
                self.state.status(now, "Not connected yet; lines typed now are sent once we are")
            self.held.append((line, pasted, self.state.windows.active))
            self._count_waiting()
            return
        self._run(line, now, pasted)
        self._flush(now)

    def fetch_older(self, window: Window, now: float) -> None:
        """PageUp reached the top of a window: ask the server for older lines, when it keeps them."""
        for reply in history.older(self.state, window, now):
            self._send(reply, now)
        self._flush(now)

    def quit(self, message: str, now: float) -> None:
        """Ctrl-C, SIGTERM, end of input: leave with a QUIT like /quit does."""
        self._run(f"/quit {message}", now)
        self._flush(now)

    def _run(self, line: str, now: float, pasted: bool = False, here: Window | None = None) -> None:
        if pasted:
            outcome = commands.say(self.state, line, now, here)
        else:
            outcome = commands.parse_input(self.state, line, now, here)
        if outcome.quit is not None:
            self._drop_waiting(now, say=True)
        for index, reply in enumerate(outcome.send):
            self._send(reply, now, outcome.lines.get(index))
        if outcome.nick is not None:
            self.state.wanted_nick = outcome.nick
        if outcome.quit is not None:
            self._start_quitting(now)
        elif outcome.reconnect:
            self.reconnect(now)

    def _ready(self, now: float) -> bool:
        if self.conn is None or self.state.phase is not Phase.CONNECTED:
            return False
        return bool(self.state.joined()) or (
            self.welcomed_at is not None and now - self.welcomed_at >= READY_GRACE)

    def _send_held(self, now: float) -> None:
        while self.held and self._ready(now) and self.quitting_until is None:
            line, pasted, here = self.held.popleft()
            self._run(line, now, pasted, here)
        self._count_waiting()

    def _start_quitting(self, now: float) -> None:
        self.retry_at = None
        self.state.quitting = True
        self.held.clear()
        self._count_waiting()
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

    # --- sending, paced ------------------------------------------------------
    def _send(self, reply: tuple[str, ...], now: float, line: Line | None = None) -> None:
        if self.conn is None or not self.conn.connected:
            self.state.error(now, "Not connected; nothing was sent")
            if line is not None:
                line.unsent = True
            return
        if reply[0].upper() in UNPACED:
            try:
                self.conn.send(*reply)
            except ConnectionLost as error:
                self._lost(str(error), now)
            return
        self.pacer.push(Outgoing(reply, line))
        self._pump(now)
        if line is not None and any(item.line is line for item in self.pacer.queue):
            line.waiting = True
            self.state.changed = True

    def _pump(self, now: float) -> None:
        """Send what the flood budget allows now; the lines shown for them get their time."""
        if self.conn is None or not self.conn.connected:
            return
        for item in self.pacer.due(now):
            try:
                self.conn.send(*item.reply)
            except ConnectionLost as error:
                self._lost(str(error), now)
                return
            if item.line is not None and item.line.waiting:
                item.line.sent(now)
                self.state.changed = True
            if item.reply[0] in ("PRIVMSG", "NOTICE") and len(item.reply) > 2:
                talk.await_echo(self.state, item.reply[1], item.reply[2], item.line, now)
        self._count_waiting()

    def _count_waiting(self) -> None:
        waiting = len(self.pacer) + len(self.held)
        if waiting != self.state.waiting:
            self.state.waiting = waiting
            self.state.changed = True

    def _drop_waiting(self, now: float, say: bool) -> None:
        """Forget what pacing still holds (we are leaving, or the link is gone); mark it unsent."""
        dropped = self.pacer.drop()
        for item in dropped:
            if item.line is not None:
                item.line.waiting = False
                item.line.unsent = True
        if dropped and say:
            count = len(dropped)
            self.state.note(now, f"{count} waiting line{'s were' if count != 1 else ' was'} not sent", error=True)
        self._count_waiting()

    def _flush(self, now: float) -> None:
        if self.conn is not None and self.conn.connected:
            try:
                self.conn.flush()
            except ConnectionLost as error:
                self._lost(str(error), now)

    # --- our nick back ---------------------------------------------------------
    def _reclaim(self, now: float) -> None:
        """Under a fallback nick: watch for ours (MONITOR where offered, else ISON every so often)."""
        state = self.state
        if not state.motd_done or state.reclaiming or casefold(state.nick) == casefold(state.wanted_nick):
            self.next_ison = None
            return
        if state.features.monitor:
            if not self.monitoring:
                self.monitoring = True
                self._send(("MONITOR", "+", state.wanted_nick), now)
            return
        if self.next_ison is None:
            self.next_ison = now + self.config.nick_poll
        elif now >= self.next_ison:
            self.next_ison = now + self.config.nick_poll
            state.ison_asked = True
            self._send(("ISON", state.wanted_nick), now)

    # --- internals ---------------------------------------------------------
    def _dispatch(self, msg: Message, now: float) -> None:
        was = self.state.phase
        try:
            replies = incoming.handle(self.state, msg, now)
        except Exception as error:  # a bad server line becomes a notice, never an exit
            self.state.error(now, f"Could not understand {msg.command} from the server ({error})")
            return
        if was is not Phase.CONNECTED and self.state.phase is Phase.CONNECTED:
            self.welcomed_at = now
            self.silent_closes = 0
            self.backoff = BACKOFF_FIRST
            self.backoff_refused = False
        for reply in replies:
            self._send(reply, now)
        if self.state.joined():
            self._send_held(now)

    def _stop(self, reason: str, now: float) -> None:
        """Give up before any connection: a bad address or bad TLS settings."""
        self.lookup = None
        self._lost(reason, now, final=True)

    def _lost(self, reason: str, now: float, final: bool = False) -> None:
        state = self.state
        conn = self.conn
        registered = state.phase is Phase.CONNECTED
        if conn is not None:
            conn.close()
            self.conn = None
        for window in state.windows:
            window.leave()
        history.connection_lost(state)
        state.account = None
        state.join_due = None
        self._drop_waiting(now, say=self.quitting_until is None)
        if self.quitting_until is not None:
            self.done = True
            return
        if self.reconnect_at is not None:  # the server closed the link we left with /reconnect
            self._connect_again(now)
            return
        refusal = state.refusal
        state.refusal = None
        if final:
            refusal = Refusal(reason, Retry.NEVER)
        elif refusal is None and not registered and conn is not None:
            why = not_irc(conn.first_bytes)
            if why is not None:
                refusal = Refusal(f"{self.address} does not speak IRC: {why}", Retry.NEVER)
            elif not conn.first_bytes and conn.opened:
                self.silent_closes += 1
                hint = "" if self.config.tls.enabled else " (a TLS port? try --tls)"
                reason = f"the server closed the connection without a word{hint}"
                if self.silent_closes >= SILENT_CLOSES:
                    refusal = Refusal(f"{reason}, {self.silent_closes} times in a row", Retry.NEVER)
        if refusal is not None and refusal.retry is not Retry.SOON:
            reason = refusal.reason
        state.phase = Phase.DISCONNECTED
        state.changed = True
        if self.give_up_first and not self.ever_connected:
            self.gave_up = reason
            self.exit_status = 1
            self.done = True
            return
        lost = f"Disconnected: {reason}" if self.ever_connected else f"Cannot connect to {self.address}: {reason}"
        if not self.config.reconnect:
            state.detail = "not reconnecting"
            state.note(now, lost, error=True)
            self.gave_up = reason
            self.exit_status = 1
        elif refusal is not None and refusal.retry is Retry.NEVER:
            state.detail = "not reconnecting"
            state.note(now, lost, error=True)
            state.note(now, "Not reconnecting: trying again would not help (/reconnect to try anyway)", error=True)
            self.gave_up = reason
            self.exit_status = 1
        elif refusal is not None and refusal.retry is Retry.LATER:
            delay = self.config.refused_retry
            self.retry_at = now + delay
            self.backoff_refused = True
            state.detail = _retry_detail(delay, refused=True)
            state.note(now, f"{lost} (the server refused us)", error=True)
            state.note(now, f"Trying again in {_duration(delay)}, not sooner: retrying at once would be "
                       "refused too (/reconnect to try now)", error=True)
        else:
            delay = self.backoff
            self.backoff = min(self.backoff * 2, BACKOFF_MAX)
            self.backoff_refused = False
            self.retry_at = now + delay
            state.detail = _retry_detail(delay)
            state.note(now, f"{lost}; reconnecting in {_duration(delay)}", error=True)


def settings_of(config: ClientConfig) -> Settings:
    """What the protocol handlers need from the command line."""
    login = None
    if config.sasl:
        login = Login(config.sasl, config.account or config.nick, config.password)
    return Settings(history_lines=config.history_lines, history_catchup=config.history_catchup,
                    history_dm_days=config.history_dm_days, history_dm_max=config.history_dm_max,
                    echo_timeout=config.echo_timeout, history_wait=config.history_wait, login=login,
                    sasl_required=config.sasl_required)


def _retry_detail(seconds: float, refused: bool = False) -> str:
    text = f"retrying in {_duration(seconds)}"
    return f"refused, {text}" if refused else text


def _duration(seconds: float) -> str:
    """4s, 2m 30s, 5 minutes: short, rounded up."""
    whole = int(seconds + 0.999)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if secs == 0:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes}m {secs}s"


def _runs_offline(line: str) -> bool:
    """Lines that need no server: leaving, asking for help, reconnecting."""
    if line == "QUIT" or line.startswith("QUIT "):
        return True
    return line.split(" ", 1)[0].lower() in ("/quit", "/help", "/reconnect")


def _local_host() -> str:
    """The host name for USER; servers ignore it, but the protocol asks for it."""
    name = socket.gethostname() or "localhost"
    return name.split(".")[0] if " " not in name else "localhost"
