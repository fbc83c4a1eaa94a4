"""One client's socket: a reader (the handle greenlet) and a writer greenlet.

They are joined by a SendQueue bounded in bytes: delivering to a client only
appends to its queue, so a slow or dead reader never blocks a sender; past
the limit the client is closed with "SendQ exceeded" and its queue freed.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import TYPE_CHECKING, Callable

import gevent
from gevent.event import Event

from .core.chat import INTERNAL_ERROR
from .protocol.framing import TOO_LONG, LineBuffer
from .protocol.message import MAX_LINE

if TYPE_CHECKING:
    from .server import ChatServer

log = logging.getLogger("geventchat")

RECV_SIZE = 16384
SENDQ_EXCEEDED = "SendQ exceeded"
EXCESS_FLOOD = "Excess flood"


class _Discard(list):
    """Where a closed queue's puts go: a list that keeps nothing (len 0, falsy)."""

    __slots__ = ()

    def append(self, item: bytes) -> None:
        pass


_DISCARD = _Discard()


class SendQueue:
    """Outgoing bytes for one client; put() never blocks, take() waits for data.

    put() runs once per delivered line, so it does the least: append, wake the
    writer on the first item, and count bytes only once the queue is long
    enough to have passed the limit (a line is at most MAX_LINE bytes); the
    count is exact when it runs, so the overflow is caught at the very put
    that causes it. A closed queue's puts go to _DISCARD: no flag to test.
    """

    __slots__ = ("_items", "_rest", "_counted", "_bytes", "_check_at", "_wake", "limit", "closed", "_on_overflow")

    def __init__(self, limit: int, on_overflow: Callable[[], None]) -> None:
        self._items: list[bytes] = []
        self._rest: list[bytes] = []  # what was queued when close() came: still to send
        self._counted = 0  # items whose bytes are summed in _bytes
        self._bytes = 0
        self._check_at = limit // MAX_LINE + 1  # queue length at which the limit could be passed
        self._wake = Event()
        self.limit = limit
        self.closed = False
        self._on_overflow = on_overflow

    def put(self, data: bytes) -> None:
        items = self._items
        items.append(data)
        count = len(items)
        if count >= self._check_at:
            self._check(items, count)
        elif count == 1:
            self._wake.set()

    def _check(self, items: list[bytes], count: int) -> None:
        size = self._bytes + sum(map(len, items[self._counted:]))
        if size > self.limit:
            self._items, self._rest, self.closed = _DISCARD, [], True  # freed, not sent
            self._wake.set()
            self._on_overflow()
            return
        self._bytes, self._counted = size, count
        self._check_at = count + (self.limit - size) // MAX_LINE + 1
        if count == 1:
            self._wake.set()

    def take(self) -> bytes | None:
        """Everything queued, as one bytes; None once closed and drained."""
        while not self.closed:
            items = self._items
            if items:
                self._items, self._counted, self._bytes = [], 0, 0
                self._check_at = self.limit // MAX_LINE + 1
                return b"".join(items)
            self._wake.clear()
            self._wake.wait()
        rest, self._rest = self._rest, []
        return b"".join(rest) if rest else None

    def close(self) -> None:
        """No more puts; the writer drains what is queued and stops."""
        if not self.closed:
            self._rest, self._items, self.closed = self._items, _DISCARD, True
        self._wake.set()


class Connection:
    __slots__ = ("server", "sock", "host", "queue", "session", "writer", "_deadline", "_write_error")

    def __init__(self, server: ChatServer, sock: socket.socket, host: str) -> None:
        self.server = server
        self.sock = sock
        self.host = host
        self.queue = SendQueue(server.config.sendq, self._sendq_exceeded)
        self.session = None
        self.writer: gevent.Greenlet | None = None
        self._deadline: gevent.Greenlet | None = None
        self._write_error: str | None = None

    def run(self) -> None:
        """The handle greenlet: read until the client leaves, then join the writer."""
        chat = self.server.chat
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # not TCP (tests may hand us a socketpair)
        self.session = chat.connect(self.host, self.queue.put, self._hang_up, time.time())
        log.info("connect %s from %s", self.session.uid, self.host)
        self.writer = gevent.spawn(self._write_loop)
        reason = None
        try:
            reason = self._read_loop()
        except Exception:
            log.exception("bug in the reader of %s", self.session.uid)
            reason = INTERNAL_ERROR
        finally:
            chat.quit(self.session, reason or "Connection closed", time.time())
            self.writer.join(timeout=self.server.config.shutdown_grace)
            self.writer.kill(block=False)
            if self._deadline is not None:
                self._deadline.kill(block=False)

    def _read_loop(self) -> str | None:
        """Feed received lines to the chat, with fakelag; return why the client left."""
        chat = self.server.chat
        session = self.session
        backlog = self.server.config.flood_backlog
        buffer = LineBuffer()
        recv = self.sock.recv
        while session.closed is None:
            try:
                data = recv(RECV_SIZE)
            except ConnectionResetError:
                return "Connection reset by peer"
            except OSError as error:
                return self._write_error or f"Read error: {error.strerror or error}"
            if not data:
                return self._write_error or "Remote host closed the connection"
            now = time.time()
            lines = buffer.feed(data)
            for index, raw in enumerate(lines):
                msg = None if raw is TOO_LONG else chat.parse(raw)
                if msg is None and raw is not TOO_LONG:
                    continue
                delay = chat.flood_delay(session, msg.command if msg else "", now)
                if delay:
                    if len(lines) - index - 1 >= backlog:
                        return EXCESS_FLOOD
                    gevent.sleep(delay)
                    now = time.time()
                if session.closed is not None:
                    break
                if msg is None:
                    chat.too_long(session)
                else:
                    chat.handle(session, msg, now)
            # recv() does not yield while data is waiting: without this a fast
            # sender starves every writer and overflows its listeners' SendQs.
            gevent.sleep(0)
        return None

    def _write_loop(self) -> None:
        take, send, sendall = self.queue.take, self.sock.send, self.sock.sendall
        try:
            while (data := take()) is not None:
                # One send() is one system call and usually takes the whole batch;
                # gevent's sendall() adds a getsockopt() call and memoryview slicing.
                sent = send(data)
                if sent < len(data):
                    sendall(memoryview(data)[sent:])
        except ConnectionResetError:
            self._write_error = "Connection reset by peer"
        except OSError as error:
            self._write_error = f"Write error: {error.strerror or error}"
        finally:
            self._shutdown_socket()

    def _hang_up(self) -> None:
        """The chat has queued the last line: flush it, but not for longer than the grace."""
        self.queue.close()
        self._deadline = gevent.spawn_later(self.server.config.shutdown_grace, self._abort)

    def _sendq_exceeded(self) -> None:
        # Called inside someone else's delivery: end this client from its own greenlet.
        gevent.spawn(self._abort, SENDQ_EXCEEDED)

    def _abort(self, reason: str | None = None) -> None:
        """Close now, without waiting for the writer to flush."""
        if reason is not None and self.session is not None:
            self.server.chat.quit(self.session, reason, time.time())
        if self.writer is not None:
            self.writer.kill(block=False)
        self._shutdown_socket()

    def _shutdown_socket(self) -> None:
        """Wake the reader: recv() returns b"" once both directions are shut."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
