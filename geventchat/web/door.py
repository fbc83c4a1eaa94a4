"""The web listener's edge: one TCP connection's HTTP requests, until one of them opens a WebSocket.

A plain GET gets the page's files (kept alive for the next request); a
request that asks for a WebSocket, on any path, is checked (handshake,
`Origin`) and answered 101, and from then on the socket is an IRC client
like any other: the same Connection, the same core. h11 parses the HTTP;
a bad request gets 400 and the connection is closed. Every wait is bounded:
a request must arrive within --web-request-timeout (counted from connect, or
from the end of the previous answer, however slowly its bytes trickle in),
its head and body within --web-max-request bytes, an answer must be taken
within --web-send-timeout.

Admission is the server's one policy: a connection counts against the
client limits from accept, by its peer address, or, when the peer is a
trusted proxy, by the client address its request names. A refused visitor
is told why: a page request gets 503 with the reason, a WebSocket gets its
101 and then the IRC `ERROR` line, which a web client can show.
"""

from __future__ import annotations

import logging
import socket
import time
from http import HTTPStatus
from typing import TYPE_CHECKING

import gevent
import h11

from ..core.caps import WS_BINARY, WS_TEXT
from ..core.outbox import closing_link
from ..core.session import TransportInfo
from ..protocol.websocket import CLOSE_GOING_AWAY, OPCODE_BINARY, OPCODE_TEXT, close_frame, frame_line
from ..transports.base import HandshakeFailed, SocketStream, Stream
from ..transports.websocket import WebSocketTransport
from . import handshake
from .policy import client_address, is_trusted, networks, origin_allowed
from .static import SECURITY_HEADERS, StaticFiles

if TYPE_CHECKING:
    from ..server import ChatServer

log = logging.getLogger("geventchat")

SERVER_HEADER = (b"server", b"geventchat")
LINGER_BYTES = 65536  # what is read and dropped after an error answer, so the close does not reset it away


class TooSlow(Exception):
    """The client took longer than its bound to send a request or to take an answer."""


class WebDoor:
    """What the web listener runs for each accepted connection."""

    def __init__(self, server: ChatServer) -> None:
        self.server = server
        self.config = server.config.web
        self.trusted = networks(self.config.trusted_proxies)
        self.files = StaticFiles.packaged()
        self._visiting: set[gevent.Greenlet] = set()  # connections still speaking HTTP

    @property
    def secure(self) -> bool:
        return self.server.tls is not None

    def handle(self, sock: socket.socket, address: tuple) -> None:
        me = gevent.getcurrent()
        self._visiting.add(me)
        try:
            Visit(self, sock, address[0]).run()
        finally:
            self._visiting.discard(me)

    def handed_over(self) -> None:
        """The current connection is an IRC client now: shutdown treats it like one."""
        self._visiting.discard(gevent.getcurrent())

    def close(self) -> None:
        """Shutdown: end the connections still speaking HTTP (page requests, idle keep-alives) at once."""
        gevent.killall(list(self._visiting), block=False)


class Visit:
    """One TCP connection on the web port, from accept until it closes or becomes a WebSocket client."""

    def __init__(self, door: WebDoor, sock: socket.socket, peer: str) -> None:
        self.door = door
        self.sock = sock
        self.peer = peer
        recv_size = door.server.config.limits.recv_size
        tls = door.server.tls
        if tls is not None:
            from ..transports.tls import TlsStream

            self.stream: Stream = TlsStream(sock, recv_size, tls.web_context)
        else:
            self.stream = SocketStream(sock, recv_size)
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=door.config.max_request)
        self.admitted: str | None = None  # the address this connection is counted under
        self.refusal: str | None = None  # why it may not become a client, if it may not

    def run(self) -> None:
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if not is_trusted(self.peer, self.door.trusted):
            self._admit(self.peer)
        try:
            self._serve()
        except (OSError, TooSlow):
            pass  # the visitor went away or stalled: nothing to answer
        finally:
            if self.admitted is not None:
                self.door.server.limits.release(self.admitted)

    def _admit(self, ip: str) -> None:
        limits = self.door.server.limits
        if self.admitted is not None:
            limits.release(self.admitted)
            self.admitted = None
        self.refusal = limits.admit(ip)
        if self.refusal is None:
            self.admitted = ip

    def _serve(self) -> None:
        config = self.door.config
        try:
            with gevent.Timeout(config.request_timeout, HandshakeFailed("TLS handshake timed out")):
                self.stream.start()
        except HandshakeFailed as error:
            log.info("web: handshake from %s failed: %s", self.peer, error)
            return
        http = self.http
        for _ in range(config.max_requests):
            request = self._request()
            if request is None or not self._answer(request):
                return
            if http.our_state is not h11.DONE or http.their_state is not h11.DONE:
                return
            http.start_next_cycle()

    # --- reading ---------------------------------------------------------------

    def _request(self) -> h11.Request | None:
        """The next whole request (its body read and dropped), or None when the connection is to end."""
        config = self.door.config
        limits = self.door.server.config.limits
        timeout = min(config.request_timeout, limits.refusal_timeout) if self.refusal else config.request_timeout
        http = self.http
        request: h11.Request | None = None
        body = 0
        try:
            with gevent.Timeout(timeout, TooSlow):
                while True:
                    event = http.next_event()
                    if event is h11.NEED_DATA:
                        data = self.stream.recv()
                        if data is None:
                            http.receive_data(b"")
                        elif data:
                            http.receive_data(data)
                    elif isinstance(event, h11.Request):
                        # h11 bounds a head still arriving; one that came whole in one read is measured here
                        if len(event.target) + sum(len(k) + len(v) + 4 for k, v in event.headers) > config.max_request:
                            self._error(431, f"a request's head may be at most {config.max_request} bytes")
                            return None
                        request = event
                    elif isinstance(event, h11.Data):
                        body += len(event.data)
                        if body > config.max_request:
                            self._error(413, f"a request body may be at most {config.max_request} bytes")
                            return None
                    elif isinstance(event, h11.EndOfMessage) or event is h11.PAUSED:
                        return request
                    else:  # ConnectionClosed
                        return None
        except TooSlow:
            if request is not None or http.their_state is not h11.IDLE or http.trailing_data[0]:
                self._error(408, f"a request must arrive within {timeout:g} seconds")
            return None
        except h11.RemoteProtocolError as error:
            self._error(error.error_status_hint, f"bad request: {error}")
            return None

    # --- answering -------------------------------------------------------------

    def _answer(self, request: h11.Request) -> bool:
        """Answer one request; False when the connection ends here (or was handed over)."""
        headers = request.headers
        client = self.peer
        if is_trusted(self.peer, self.door.trusted):
            client = client_address(self.peer, handshake.header(headers, b"x-forwarded-for"), self.door.trusted)
            if client is None:
                self._error(400, "X-Forwarded-For does not name an address")
                return False
            if client != self.admitted:
                self._admit(client)
        if handshake.wants_websocket(headers):
            self._upgrade(request, client)
            return False
        if self.refusal is not None:
            log.info("web: refuse %s: %s", client, self.refusal)
            self._error(503, self.refusal)
            return False
        if request.method not in (b"GET", b"HEAD"):
            self._send(405, b"text/plain; charset=utf-8", b"405 Method Not Allowed: GET or HEAD only\n",
                       extra=((b"allow", b"GET, HEAD"),))
            return True
        asset = self.door.files.get(request.target)
        if asset is None:
            self._send(404, b"text/plain; charset=utf-8", b"404 Not Found\n")
            return True
        caching = ((b"etag", asset.etag), (b"cache-control", b"no-cache"))
        if handshake.header(headers, b"if-none-match") == asset.etag.decode():
            self._send(304, None, b"", extra=caching)
        else:
            self._send(200, asset.content_type, asset.body, extra=caching, head=request.method == b"HEAD")
        return True

    def _upgrade(self, request: h11.Request, client: str) -> None:
        """A WebSocket: refuse it with a status, or answer 101 and run it as an IRC client."""
        headers = request.headers
        decision = handshake.answer(request.method, headers)
        if isinstance(decision, handshake.Refusal):
            self._error(decision.status, decision.reason, decision.headers)
            return
        origin = handshake.header(headers, b"origin")
        if not origin_allowed(origin, handshake.header(headers, b"host"), self.door.config.origins):
            log.info("web: refuse %s: Origin %s is not allowed", client, origin)
            self._error(403, f"pages from {origin} may not open a WebSocket to this server")
            return
        with gevent.Timeout(self.door.config.send_timeout, TooSlow):
            self.stream.sendall(self.http.send(h11.InformationalResponse(status_code=101, headers=decision.headers)))
        trailing, _ = self.http.trailing_data
        if self.refusal is not None:
            log.info("refuse %s: %s", client, self.refusal)
            opcode = OPCODE_BINARY if decision.binary else OPCODE_TEXT
            goodbye = frame_line(closing_link(client, self.refusal), opcode) + close_frame(CLOSE_GOING_AWAY)
            with gevent.Timeout(self.door.server.config.limits.refusal_timeout, TooSlow):
                self.stream.sendall(goodbye)
            return
        secure = self.door.secure
        info = TransportInfo("wss" if secure else "ws", secure=secure, ip=client,
                             certfp=getattr(self.stream, "certfp", None),  # None: the web context asks for none
                             framing=WS_BINARY if decision.binary else WS_TEXT)
        self.door.handed_over()
        self.door.server.serve_client(self.sock, WebSocketTransport(self.stream, info, trailing), client, time.time())

    def _send(self, status: int, content_type: bytes | None, body: bytes,
              extra: tuple[tuple[bytes, bytes], ...] = (), head: bool = False, close: bool = False) -> None:
        http = self.http
        if http.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        headers = [SERVER_HEADER, *SECURITY_HEADERS, *extra]
        if content_type is not None:
            headers.append((b"content-type", content_type))
        if status != 304:
            headers.append((b"content-length", str(len(body)).encode()))
        if close:
            headers.append((b"connection", b"close"))
        data = http.send(h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase))
        if body and not head and status != 304:
            data += http.send(h11.Data(data=body))
        data += http.send(h11.EndOfMessage())
        with gevent.Timeout(self.door.config.send_timeout, TooSlow):
            self.stream.sendall(data)

    def _error(self, status: int, reason: str, extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
        """An error answer with its reason as text, then the close (lingering, so the answer is read)."""
        text = f"{status} {HTTPStatus(status).phrase}: {reason}\n".encode()
        self._send(status, b"text/plain; charset=utf-8", text, extra=extra, close=True)
        self._linger()

    def _linger(self) -> None:
        """Stop writing, and drop what the client still sends for a moment: closing with unread
        bytes would reset the connection, and the client could lose the answer."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            with gevent.Timeout(self.door.server.config.limits.refusal_timeout, False):
                dropped = 0
                while dropped < LINGER_BYTES:
                    data = self.sock.recv(16384)
                    if not data:
                        break
                    dropped += len(data)
        except OSError:
            pass
