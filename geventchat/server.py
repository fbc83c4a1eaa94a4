"""The listening edge: accept, admit or refuse, run a Connection, sweep timers, shut down."""

from __future__ import annotations

import logging
import socket
import time

import gevent
from gevent.pool import Pool
from gevent.server import StreamServer

from .config import Config
from .connection import Connection
from .core.chat import Chat
from .core.limits import ConnectionLimits
from .protocol.message import format_line

log = logging.getLogger("geventchat")

REFUSAL_SEND_TIMEOUT = 2.0
RESOLVE_TIMEOUT = 3.0


class ChatServer:
    def __init__(self, config: Config, chat: Chat | None = None) -> None:
        self.config = config
        self.chat = chat if chat is not None else Chat(config)
        self.limits = ConnectionLimits(config.max_clients, config.max_per_ip, config.exempt)
        # A Pool (unbounded: admission is ConnectionLimits' job) so that
        # stream.stop(timeout) in shutdown() waits for the queues to flush.
        self.stream = StreamServer((config.host, config.port), self._handle, spawn=Pool())
        self.stream.backlog = 1024
        self._sweeper: gevent.Greenlet | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self.stream.address[:2]

    def start(self) -> None:
        """Bind and listen (raises OSError if the address is taken), start the sweep."""
        self.stream.start()
        self._sweeper = gevent.spawn(self._sweep_loop)
        host, port = self.address
        log.info("listening on %s:%s as %s", host, port, self.config.server_name)

    def shutdown(self) -> None:
        """Stop accepting, tell every client, give their queues the grace to flush."""
        log.info("shutting down")
        self.stream.close()
        self.chat.shutdown(time.time())
        self.stream.stop(timeout=self.config.shutdown_grace)
        if self._sweeper is not None:
            self._sweeper.kill()

    def _sweep_loop(self) -> None:
        """One timer for all clients: cheaper than a timer greenlet per connection."""
        interval = self.config.sweep_interval
        while True:
            gevent.sleep(interval)
            try:
                self.chat.sweep(time.time())
            except Exception:
                log.exception("bug in the liveness sweep")

    def _handle(self, sock: socket.socket, address: tuple) -> None:
        ip = address[0]
        refusal = self.limits.admit(ip)
        if refusal is not None:
            self._refuse(sock, ip, refusal)
            return
        try:
            Connection(self, sock, self._host_of(ip)).run()
        finally:
            self.limits.release(ip)

    def _host_of(self, ip: str) -> str:
        if not self.config.resolve:
            return ip
        with gevent.Timeout(RESOLVE_TIMEOUT, False):
            try:
                return socket.gethostbyaddr(ip)[0]
            except OSError:
                pass
        return ip

    def _refuse(self, sock: socket.socket, ip: str, reason: str) -> None:
        """Say why before closing: never a silent close."""
        log.info("refuse %s: %s", ip, reason)
        with gevent.Timeout(REFUSAL_SEND_TIMEOUT, False):
            try:
                sock.sendall(format_line("ERROR", f"Closing Link: {ip} ({reason})"))
            except OSError:
                pass
