"""The listening edge: several listeners, one chat; admit or refuse, run a Connection, sweep, shut down.

Every listener (plain IRC, IRC over TLS) shares one Chat, one admission
policy and one liveness sweep: a client is a client whichever door it came in by.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from typing import Callable

import gevent
from gevent.pool import Pool
from gevent.server import StreamServer

from .config import Config
from .connection import Connection
from .core.chat import Chat
from .core.history import HistoryStore
from .core.limits import ConnectionLimits
from .core.outbox import closing_link
from .transports.base import TcpTransport, Transport

log = logging.getLogger("geventchat")

MakeTransport = Callable[[socket.socket, str], Transport]


class ListenError(OSError):
    """A listener could not bind: the message names the address and why."""


@dataclass
class Listener:
    """One listening socket and how its connections are carried."""

    name: str  # "plain", "tls"
    stream: StreamServer
    transport: MakeTransport

    @property
    def port(self) -> int:
        return self.stream.address[1]


class ChatServer:
    def __init__(self, config: Config, chat: Chat | None = None, history: HistoryStore | None = None) -> None:
        self.config = config
        self.chat = chat if chat is not None else Chat(config, history=history)
        limits = config.limits
        self.limits = ConnectionLimits(limits.max_clients, limits.max_per_ip, limits.exempt, limits.limit_loopback)
        self.listeners: list[Listener] = []
        self.tls = None
        listeners = config.listeners
        recv_size = limits.recv_size
        self.add_listener("plain", listeners.port, lambda sock, ip: TcpTransport(sock, recv_size, ip))
        if config.tls_port is not None:
            from .transports.tls import TlsTransport
            from .tls_files import TlsFiles

            self.tls = TlsFiles(listeners.tls_cert, listeners.tls_key)  # raises ValueError on a bad pair
            tls = self.tls
            self.add_listener("tls", config.tls_port,
                              lambda sock, ip: TlsTransport(sock, recv_size, ip, tls.context))
        self._sweeper: gevent.Greenlet | None = None

    def add_listener(self, name: str, port: int, transport: MakeTransport) -> Listener:
        # A Pool (unbounded: admission is ConnectionLimits' job) so that
        # stream.stop(timeout) in shutdown() waits for the queues to flush.
        host = self.config.listeners.host
        stream = StreamServer((host, port), self._handler(transport), spawn=Pool())
        stream.backlog = self.config.listeners.backlog
        if self.config.listeners.reuse_port:
            from .listener import reuseport_listener

            stream.set_listener(reuseport_listener(host, port, self.config.listeners.backlog))
        listener = Listener(name, stream, transport)
        self.listeners.append(listener)
        return listener

    @property
    def address(self) -> tuple[str, int]:
        """The plain listener's address."""
        return self.listeners[0].stream.address[:2]

    def start(self) -> None:
        """Bind and listen on every listener (raises OSError if an address is taken), start the sweep."""
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
        self._sweeper = gevent.spawn(self._sweep_loop)

    def serve_forever(self) -> None:
        """Block until every listener has stopped (shutdown() stops them)."""
        gevent.joinall([gevent.spawn(listener.stream.serve_forever) for listener in self.listeners])

    def shutdown(self) -> None:
        """Stop accepting, tell every client, give their queues the grace to flush."""
        log.info("shutting down")
        for listener in self.listeners:
            listener.stream.close()
        self.chat.shutdown(time.time())
        for listener in self.listeners:
            listener.stream.stop(timeout=self.config.limits.shutdown_grace)
        if self._sweeper is not None:
            self._sweeper.kill()

    def reload_tls(self) -> None:
        """SIGHUP: new connections get the certificate now on disk; open ones keep theirs."""
        if self.tls is not None:
            self.tls.reload()

    def _sweep_loop(self) -> None:
        """One timer for all clients: cheaper than a timer greenlet per connection."""
        interval = self.config.sweep_interval
        while True:
            gevent.sleep(interval)
            try:
                self.chat.sweep(time.time())
            except Exception:
                log.exception("bug in the liveness sweep")

    def _handler(self, make_transport: MakeTransport) -> Callable[[socket.socket, tuple], None]:
        def handle(sock: socket.socket, address: tuple) -> None:
            accepted_at = time.time()
            ip = address[0]
            refusal = self.limits.admit(ip)
            if refusal is not None:
                self._refuse(sock, ip, refusal)
                return
            try:
                Connection(self, sock, make_transport(sock, ip), self._host_of(ip), accepted_at).run()
            finally:
                self.limits.release(ip)

        return handle

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
        log.info("refuse %s: %s", ip, reason)
        with gevent.Timeout(self.config.limits.refusal_timeout, False):
            try:
                sock.sendall(closing_link(ip, reason))
            except OSError:
                pass
