"""One client's socket: a reader (the handle greenlet) and a SendQueue flushed from the event loop.

Delivering to a client only appends to its queue, bounded in bytes, so a slow
or dead reader never blocks a sender; past the limit the client is closed
with "SendQ exceeded" and its queue freed. The queue is sent by a callback on
the event loop (one non-blocking send per batch), and by a short-lived
drainer greenlet only while the client's socket is full. What lines look like
on the wire (plain, TLS records) is the transport's business; which lines run
when (flood control, 417) is the core's.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import TYPE_CHECKING, Callable

import gevent

from .core.chat import INTERNAL_ERROR
from .protocol.message import MAX_LINE
from .transports.base import HandshakeFailed, PeerError, Transport

if TYPE_CHECKING:
    from .server import ChatServer

log = logging.getLogger("geventchat")

READ_TURN = 1e-6
"""A positive sleep after each read: resume on the loop's next turn, after it polled everyone's sockets."""
SENDQ_EXCEEDED = "SendQ exceeded"


class _Discard(list):
    """Where a closed queue's puts go: a list that keeps nothing (len 0, falsy)."""

    __slots__ = ()

    def append(self, item: bytes) -> None:
        pass


_DISCARD = _Discard()


def _ignore() -> None:
    """What an ended connection's queue calls instead of its owner's methods."""


class SendQueue:
    """Outgoing bytes for one client: put() never blocks; the owner takes batches to send.

    put() runs once per delivered line, so it does the least: append and one
    comparison. The slow path runs on the first item (to tell the owner,
    on_ready: an empty queue waits for length 1) and once the queue is long
    enough to have passed the limit (a line is at most `max_line` bytes: 512,
    or more for a client whose capabilities put tags in front), where it
    counts bytes; the count is exact when it runs, so the overflow is caught
    at the very put that causes it. A closed queue's puts go to _DISCARD: no
    flag to test.
    """

    __slots__ = ("_items", "_rest", "_counted", "_bytes", "_check_at", "_empty_at", "limit", "max_line", "closed",
                 "_on_overflow", "_on_ready", "on_full")

    def __init__(self, limit: int, on_overflow: Callable[[], None], on_ready: Callable[[], None]) -> None:
        self._items: list[bytes] = []
        self._rest: list[bytes] = []  # what was queued when close() came: still to send
        self._counted = 0  # items whose bytes are summed in _bytes
        self._bytes = 0
        self.max_line = MAX_LINE  # the longest item put() may be given
        self._check_at = 1  # queue length for the slow path: the first item, or where the limit could be passed
        self._empty_at = limit // MAX_LINE + 1  # after the first item of an empty queue: where it could be passed
        self.limit = limit
        self.closed = False
        self._on_overflow = on_overflow
        self._on_ready = on_ready
        self.on_full: Callable[[], None] | None = None  # a last chance to send, before the overflow

    def put(self, data: bytes) -> None:
        items = self._items
        items.append(data)
        if len(items) >= self._check_at:
            self._check(items, len(items))

    def _check(self, items: list[bytes], count: int) -> None:
        if count == 1 and self._empty_at > 1:  # the first item cannot pass the limit: tell the owner
            self._check_at = self._empty_at
            self._on_ready()
            return
        size = self._bytes + sum(map(len, items[self._counted:]))
        if size > self.limit and self.on_full is not None:
            # Only output the client does not take counts: a big reply (WHO on
            # a big lobby) may pass the limit before any flush ran, so first
            # let the owner send what the socket accepts now, without blocking.
            self.on_full()
            items = self._items
            if items is not _DISCARD and len(items) < count:
                return  # taken: put() starts counting again from an empty queue
        if size > self.limit:
            self._items, self._rest, self.closed = _DISCARD, [], True  # freed, not sent
            self._on_overflow()
            return
        self._bytes, self._counted = size, count
        self._check_at = count + (self.limit - size) // self.max_line + 1
        if count == 1:
            self._on_ready()

    def take(self) -> bytes | None:
        """Everything queued, as one bytes; None when there is nothing (for now, or for good once closed)."""
        items = self._items
        if items:
            self._items, self._counted, self._bytes, self._check_at = [], 0, 0, 1
            return b"".join(items)
        if self._rest:
            rest, self._rest = self._rest, []
            return b"".join(rest)
        return None

    def set_max_line(self, size: int) -> None:
        """The client's capabilities changed how long a line it may be sent."""
        self.max_line = size
        self._empty_at = self.limit // size + 1
        if self._items:  # an empty queue still waits for its first item
            self._check_at = self._counted + (self.limit - self._bytes) // size + 1

    def close(self) -> None:
        """No more puts; what is queued is still taken."""
        if not self.closed:
            self._rest, self._items, self.closed = self._items, _DISCARD, True
            if self._rest:
                self._on_ready()


class Connection:
    """One client: the reader is the handle greenlet; writing needs no greenlet of its own.

    The first line queued schedules one flush on the event loop, which sends
    the whole batch with one non-blocking send() from the hub: no greenlet
    switch per batch, and an idle connection holds only its reader greenlet.
    Only when the socket is full does a drainer greenlet take over, blocking
    in sendall() until the queue is empty, then ending.
    """

    __slots__ = ("server", "sock", "transport", "host", "accepted_at", "queue", "session", "_raw", "_loop",
                 "_scheduled", "_drainer", "_finished", "_deadline", "_write_error")

    def __init__(self, server: ChatServer, sock: socket.socket, transport: Transport, host: str,
                 accepted_at: float) -> None:
        self.server = server
        self.sock = sock
        self.transport = transport
        self.host = host
        self.accepted_at = accepted_at
        self.queue = SendQueue(server.config.limits.sendq, self._sendq_exceeded, self._schedule)
        self.queue.on_full = self._flush
        self.session = None
        self._raw = getattr(sock, "_sock", sock)  # the non-blocking socket under gevent's wrapper
        self._loop = gevent.get_hub().loop
        self._scheduled = False
        self._drainer: gevent.Greenlet | None = None
        self._finished = False
        self._deadline: gevent.Greenlet | None = None
        self._write_error: str | None = None

    def run(self) -> None:
        """The handle greenlet: the transport's handshake, then read until the client leaves."""
        chat = self.server.chat
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # not TCP (tests may hand us a socketpair)
        if not self._handshake():
            self._finished = True
            self._release()
            return
        transport = self.transport
        self.session = chat.connect(self.host, self.queue.put, self._hang_up, self.accepted_at,
                                    transport.info, self.queue.set_max_line)
        uid, kind = self.session.uid, transport.info.kind
        log.info("connect %s from %s%s", uid, self.host, "" if kind == "tcp" else f" ({kind.upper()})",
                 extra={"event": "connect", "uid": uid, "ip": transport.info.ip, "detail": kind})
        reason = None
        try:
            reason = self._read_loop()
        except Exception:
            log.exception("bug in the reader of %s", self.session.uid)
            reason = INTERNAL_ERROR
        finally:
            chat.quit(self.session, reason or "Connection closed", time.time())
            self._flush()
            drainer = self._drainer
            if drainer is not None:
                drainer.join(timeout=self.server.config.limits.shutdown_grace)
                drainer.kill(block=False)
            self._finished = True  # gevent closes the socket when run() returns
            if self._deadline is not None:
                self._deadline.kill(block=False)
            self._release()

    def _handshake(self) -> bool:
        """The transport's own opening (TLS), bounded by what is left of the registration timeout."""
        left = self.accepted_at + self.server.config.limits.registration_timeout - time.time()
        try:
            with gevent.Timeout(max(left, 0.001), HandshakeFailed("handshake timed out")):
                self.transport.start()
        except (HandshakeFailed, OSError) as error:
            log.info("handshake from %s failed: %s", self.host, error)
            self.server.chat.metrics.refused("handshake")
            return False
        return True

    def _release(self) -> None:
        """Break the reference cycles (queue and session hold our bound methods, so does the timer).

        Without this every ended connection waited for a full pass of the cyclic
        garbage collector: thousands of dead connections' objects piled up in
        the oldest generation, and RSS grew for the first rounds of bin/bench churn.
        """
        queue = self.queue
        queue._on_ready = queue._on_overflow = _ignore
        queue.on_full = None
        self.session = None
        self._deadline = self._drainer = None

    def _read_loop(self) -> str | None:
        """Hand received lines to the chat, waiting out the delays it names; return why the client left."""
        chat = self.server.chat
        session = self.session
        read = self.transport.read
        transport = self.transport
        while session.closed is None:
            try:
                lines = read()
            except ConnectionResetError:
                return "Connection reset by peer"
            except PeerError as error:
                return str(error)
            except OSError as error:
                return self._write_error or f"Read error: {error.strerror or error}"
            if lines is None:
                return self._write_error or "Remote host closed the connection"
            if transport.wants_write:
                self._schedule()
            wait = chat.received(session, lines, time.time())
            while wait and session.closed is None:
                gevent.sleep(wait)
                wait = chat.received(session, (), time.time())
            # recv() does not yield while data is waiting: without this a fast
            # sender starves every flush and overflows its listeners' SendQs.
            # Not sleep(0): that resumes before the loop polls, so two busy
            # clients could keep every other reader waiting.
            gevent.sleep(READ_TURN)
        return None

    def _schedule(self) -> None:
        """The queue got its first line: flush once the current greenlet yields."""
        if not self._scheduled:
            self._scheduled = True
            self._loop.run_callback(self._flush)

    def _flush(self) -> None:
        """Send what is queued without blocking (this runs in the hub); a full socket gets a drainer."""
        self._scheduled = False
        if self._drainer is not None or self._finished:
            return  # the drainer takes what is queued, in order
        take, send, transport = self.queue.take, self._raw.send, self.transport
        wire = transport.wire
        try:
            while True:
                data = take()
                if data is None:
                    if not transport.wants_write:
                        break
                    data = b""
                data = wire(data)
                if not data:
                    continue
                try:
                    sent = send(data)
                except BlockingIOError:
                    sent = 0
                if sent < len(data):
                    self._drainer = gevent.spawn(self._drain, memoryview(data)[sent:])
                    return
        except OSError as error:
            self._write_failed(error)
            return
        if self.queue.closed:
            self._shutdown_socket()

    def _drain(self, pending: memoryview) -> None:
        """The client reads slower than we write: block in sendall() until the queue is empty."""
        take, sendall, wire = self.queue.take, self.sock.sendall, self.transport.wire
        try:
            sendall(pending)
            while (data := take()) is not None:
                sendall(wire(data))
        except OSError as error:
            self._drainer = None
            self._write_failed(error)
            return
        self._drainer = None
        if self.queue.closed:
            self._shutdown_socket()

    def _write_failed(self, error: OSError) -> None:
        if isinstance(error, ConnectionResetError):
            self._write_error = "Connection reset by peer"
        elif isinstance(error, BrokenPipeError):  # a write after the peer's close met its reset
            self._write_error = "Remote host closed the connection"
        else:
            self._write_error = f"Write error: {error.strerror or error}"
        self._shutdown_socket()

    def _hang_up(self) -> None:
        """The chat has queued the last line: flush it, but not for longer than the grace."""
        farewell = self.transport.farewell()
        if farewell:
            self.queue.put(farewell)
        self.queue.close()
        self._deadline = gevent.spawn_later(self.server.config.limits.shutdown_grace, self._abort)

    def _sendq_exceeded(self) -> None:
        # Called inside someone else's delivery: end this client from its own greenlet.
        gevent.spawn(self._abort, SENDQ_EXCEEDED)

    def _abort(self, reason: str | None = None) -> None:
        """Close now, without waiting for the queue to flush."""
        if reason is not None and self.session is not None:
            self.server.chat.quit(self.session, reason, time.time())
        if self._drainer is not None:
            self._drainer.kill(block=False)
        self._finished = True
        self._shutdown_socket()

    def _shutdown_socket(self) -> None:
        """Wake the reader: recv() returns b"" once both directions are shut."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
