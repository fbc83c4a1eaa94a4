"""The listening edge: several listeners, one chat; admit or refuse, run a Connection, sweep, reload, shut down.

Every listener (plain IRC, IRC over TLS, the web listener with its page and
WebSocket) shares one Chat, one admission policy and one liveness sweep: a
client is a client whichever door it came in by.
The metrics port, when on, is served beside them and closes last, so that
/healthz can say 503 while the clients' queues flush.
"""

from __future__ import annotations

import copy
import logging
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import gevent
from gevent.pool import Pool
from gevent.server import StreamServer

from . import logs
from .config import Config
from .config_file import ConfigError, Source
from .connection import Connection
from .core.chat import Chat, Reloaded, read_motd
from .core.history import HistoryStore
from .core.limits import SERVER_FULL, TOO_MANY_FROM_HOST, ConnectionLimits
from .core.outbox import closing_link
from .reload import apply, differences, summary
from .transports.base import TcpTransport, Transport

if TYPE_CHECKING:
    from .metrics import MetricsEndpoint
    from .network.node import NetworkNode

log = logging.getLogger("geventchat")

MakeTransport = Callable[[socket.socket, str], Transport]
REFUSAL_CAUSES = {SERVER_FULL: "server_full", TOO_MANY_FROM_HOST: "per_ip"}


Handle = Callable[[socket.socket, tuple], None]


class ListenError(OSError):
    """A listener could not bind: the message names the address and why."""


@dataclass
class Listener:
    """One listening socket and what runs for each connection it accepts."""

    name: str  # "plain", "tls", "web"
    stream: StreamServer
    kind: str = "tcp"  # what its clients' TransportInfo.kind says (metrics count clients by it)

    @property
    def port(self) -> int:
        return self.stream.address[1]


class ChatServer:
    def __init__(self, config: Config, chat: Chat | None = None, history: HistoryStore | None = None,
                 source: Source | None = None, node: NetworkNode | None = None) -> None:
        """`source` is where a reload reads the settings again (without one, only the MOTD and TLS files)."""
        self.config = config
        self.source = source
        self.node = node
        if chat is None:
            chat = node.chat if node is not None else Chat(config, history=history)
        self.chat = chat
        self.chat.reload = self.reload
        self.stopping = False
        limits = config.limits
        self.limits = ConnectionLimits(limits.max_clients, limits.max_per_ip, limits.exempt, limits.limit_loopback)
        self.listeners: list[Listener] = []
        self.tls = None
        self.web = None
        listeners = config.listeners
        recv_size = limits.recv_size
        self.add_listener("plain", listeners.port, self._handler(lambda sock, ip: TcpTransport(sock, recv_size, ip)))
        if config.tls_port is not None or (config.web.port is not None and listeners.tls_cert):
            from .tls_files import TlsFiles

            self.tls = TlsFiles(listeners.tls_cert, listeners.tls_key)  # raises ValueError on a bad pair
        if config.tls_port is not None:
            from .transports.tls import TlsTransport

            tls = self.tls
            self.add_listener("tls", config.tls_port,
                              self._handler(lambda sock, ip: TlsTransport(sock, recv_size, ip, tls.context)),
                              kind="tls")
        if config.web.port is not None:
            from .web.door import WebDoor

            self.web = WebDoor(self)
            self.add_listener("web", config.web.port, self.web.handle, host=config.web.host,
                              kind="wss" if self.tls else "ws")
        self.metrics: MetricsEndpoint | None = None
        if config.metrics.port is not None:
            from . import metrics  # prometheus-client, imported only when the port is on

            self.metrics = metrics.MetricsEndpoint(self, config.metrics.host, config.metrics.port)
            self.chat.use_metrics(self.metrics.counts)
        self._sweeper: gevent.Greenlet | None = None

    def add_listener(self, name: str, port: int, handle: Handle, host: str | None = None,
                     kind: str = "tcp") -> Listener:
        # A Pool (unbounded: admission is ConnectionLimits' job) so that
        # stream.stop(timeout) in shutdown() waits for the queues to flush.
        host = host or self.config.listeners.host
        stream = StreamServer((host, port), handle, spawn=Pool())
        stream.backlog = self.config.listeners.backlog
        if self.config.listeners.reuse_port:
            from .listener import reuseport_listener

            stream.set_listener(reuseport_listener(host, port, self.config.listeners.backlog))
        listener = Listener(name, stream, kind)
        self.listeners.append(listener)
        return listener

    @property
    def address(self) -> tuple[str, int]:
        """The plain listener's address."""
        return self.listeners[0].stream.address[:2]

    @property
    def redis_link(self):
        """The link to Redis of a network node, or None alone (the metrics report its state)."""
        return self.node.link if self.node is not None else None

    def start(self) -> None:
        """Bind and listen on every listener (raises OSError if an address is taken), start the sweep."""
        if self.metrics is not None:
            try:
                self.metrics.start()
            except OSError as error:
                metrics = self.config.metrics
                raise ListenError(f"cannot listen on {metrics.host}:{metrics.port} (metrics): "
                                  f"{error.strerror or error}") from None
        for listener in self.listeners:
            try:
                listener.stream.start()
            except OSError as error:
                host, port = listener.stream.address[:2]
                raise ListenError(f"cannot listen on {host}:{port}"
                                  f"{'' if listener.name == 'plain' else f' ({listener.name})'}: "
                                  f"{error.strerror or error}") from None
            host, port = listener.stream.address[:2]
            log.info("listening on %s:%s as %s%s", host, port, self.config.server.name,
                     "" if listener.name == "plain" else f" ({listener.name})")
            if listener.name == "tls":
                self.chat.tls_port = port
            if listener.name == "web":
                log.info("chat page at %s://%s:%s/", "https" if self.tls else "http",
                         "localhost" if host in ("0.0.0.0", "::") else host, port)
        self._sweeper = gevent.spawn(self._sweep_loop)

    def serve_forever(self) -> None:
        """Block until every listener has stopped (shutdown() stops them)."""
        gevent.joinall([gevent.spawn(listener.stream.serve_forever) for listener in self.listeners])

    def shutdown(self) -> None:
        """Stop accepting, tell every client, give their queues the grace to flush; the metrics port last."""
        log.info("shutting down")
        self.stopping = True  # /healthz says 503 from now on
        for listener in self.listeners:
            listener.stream.close()
        if self.web is not None:
            self.web.close()
        self.chat.shutdown(time.time())
        for listener in self.listeners:
            listener.stream.stop(timeout=self.config.limits.shutdown_grace)
        if self._sweeper is not None:
            self._sweeper.kill()
        if self.metrics is not None:
            self.metrics.stop()

    def reload(self) -> Reloaded:
        """SIGHUP and REHASH: read the settings again and apply those that may change while running.

        Everything is read and checked first (the file, the MOTD, the TLS
        pair); only then is anything applied, so a reload either applies
        whole or changes nothing. Settings that need a restart are reported
        and left as they were. Each reload is logged with what changed.
        """
        path = self.source.path if self.source is not None and self.source.path else ""
        where = path or "the command line"
        try:
            new = self.source.load() if self.source is not None else copy.deepcopy(self.config)
            motd = self._read_motd(new.server.motd_file)
            context = self._tls_context(new)
        except ConfigError as error:
            said = "; ".join(error.problems)
            log.warning("reload failed, nothing changed: %s", said)
            return Reloaded(False, path, said)
        fixed = frozenset() if self.tls is not None else frozenset({"listeners.tls_cert", "listeners.tls_key"})
        changes = differences(self.config, new, fixed)
        apply(self.config, new, changes)
        self.chat.reconfigure(motd)
        limits = self.config.limits
        self.limits.retune(limits.max_clients, limits.max_per_ip, limits.exempt, limits.limit_loopback)
        notes = [f"MOTD {len(motd)} line{'s' if len(motd) != 1 else ''}" if motd is not None else "no MOTD"]
        if context is not None:
            self.tls.use(context, self.config.listeners.tls_cert, self.config.listeners.tls_key)
            notes.append("TLS certificate reloaded")
        if any(c.applied and c.section == "server" and c.key in ("log_level", "log_format") for c in changes):
            logs.configure(self.config.server.log_level, self.config.server.log_format)
        said = summary(changes, notes)
        level = logging.WARNING if any(not c.applied for c in changes) else logging.INFO
        log.log(level, "reloaded %s: %s", where, said)
        return Reloaded(True, path, said)

    def _read_motd(self, path: str | None) -> list[str] | None:
        try:
            return read_motd(path)
        except OSError as error:
            raise ConfigError([f"cannot read MOTD file {path}: {error.strerror or error}"]) from None

    def _tls_context(self, new: Config):
        """The TLS context a reload would use (the files read again), or None without a TLS listener."""
        if self.tls is None:
            return None
        listeners = new.listeners
        try:
            return self.tls.load(listeners.tls_cert, listeners.tls_key)
        except (ValueError, OSError) as error:
            raise ConfigError([f"TLS certificate not reloaded, the old one stays: {error}"]) from None

    def _sweep_loop(self) -> None:
        """One timer for all clients: cheaper than a timer greenlet per connection."""
        while True:
            gevent.sleep(self.config.sweep_interval)  # a reload may change the timeouts
            try:
                self.chat.sweep(time.time())
            except Exception:
                log.exception("bug in the liveness sweep")

    def _handler(self, make_transport: MakeTransport) -> Handle:
        """An IRC listener's connections: admit or refuse, then a Connection over the listener's transport."""
        def handle(sock: socket.socket, address: tuple) -> None:
            accepted_at = time.time()
            ip = address[0]
            refusal = self.limits.admit(ip)
            if refusal is not None:
                self._refuse(sock, ip, refusal)
                return
            try:
                self.serve_client(sock, make_transport(sock, ip), ip, accepted_at)
            finally:
                self.limits.release(ip)

        return handle

    def serve_client(self, sock: socket.socket, transport: Transport, ip: str, accepted_at: float) -> None:
        """Run one admitted client to its end, whichever listener it came by."""
        Connection(self, sock, transport, self._host_of(ip), accepted_at).run()

    def _host_of(self, ip: str) -> str:
        if not self.config.server.resolve:
            return ip
        with gevent.Timeout(self.config.limits.resolve_timeout, False):
            try:
                return socket.gethostbyaddr(ip)[0]
            except OSError:
                pass
        return ip

    def _refuse(self, sock: socket.socket, ip: str, reason: str) -> None:
        """Say why before closing: never a silent close (in plain text: no handshake is spent on a refusal)."""
        log.info("refuse %s: %s", ip, reason, extra={"event": "refuse", "ip": ip, "detail": reason})
        self.chat.metrics.refused(REFUSAL_CAUSES.get(reason, "other"))
        with gevent.Timeout(self.config.limits.refusal_timeout, False):
            try:
                sock.sendall(closing_link(ip, reason))
            except OSError:
                pass
