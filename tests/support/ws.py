"""An IRC client over WebSocket for tests: the line-level IrcClient, with the `websockets` library underneath.

Each WebSocket message is one line; `messages` keeps them as received
(str for text.ircv3.net, bytes for binary.ircv3.net), so a test can check
the framing itself as well as the lines.
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import struct
import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.client import Closed, IrcClient

TEXT = "text.ircv3.net"
BINARY = "binary.ircv3.net"


def open_websocket(address: tuple[str, int], subprotocols: list[str] | None = (TEXT,), origin: str | None = None,
                   headers: dict[str, str] | None = None, tls: ssl.SSLContext | None = None,
                   path: str = "/") -> ClientConnection:
    """A WebSocket to the web listener; raises websockets' InvalidStatus when the upgrade is refused."""
    scheme = "wss" if tls is not None else "ws"
    return connect(f"{scheme}://{address[0]}:{address[1]}{path}", subprotocols=list(subprotocols or []) or None,
                   origin=origin, additional_headers=headers, ssl=tls, server_hostname="localhost" if tls else None,
                   compression=None, proxy=None, open_timeout=10, ping_interval=None, close_timeout=2,
                   max_size=1 << 20, max_queue=None, user_agent_header=None, legacy=True)


class WsClient(IrcClient):
    """IrcClient's conveniences (expect, sync, register) over one WebSocket."""

    def __init__(self, address: tuple[str, int], timeout: float = 10.0, subprotocols: list[str] | None = (TEXT,),
                 origin: str | None = None, headers: dict[str, str] | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self.ws = open_websocket(address, subprotocols, origin, headers, tls)
        self.timeout = timeout
        self.seen: list[str] = []
        self.messages: list[str | bytes] = []  # every message as it came
        self.closed = False
        self.nick: str | None = None

    @property
    def subprotocol(self) -> str | None:
        return self.ws.subprotocol

    def send(self, *lines: str | bytes) -> None:
        """One message per line; bytes go as a binary message, text as a text one."""
        for line in lines:
            self.ws.send(line)

    def send_raw(self, data: bytes | str) -> None:
        self.ws.send(data)

    def read_line(self, timeout: float | None = None) -> str:
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            message = self.ws.recv(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise TimeoutError("no message in time; seen so far:\n" + "\n".join(self.seen[-40:])) from None
        except ConnectionClosed:
            self.closed = True
            raise Closed("connection closed; seen:\n" + "\n".join(self.seen[-40:])) from None
        self.messages.append(message)
        line = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        self.seen.append(line)
        return line

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass


def raw_upgrade(address: tuple[str, int], subprotocol: str = TEXT, rcvbuf: int | None = None,
                extra: str = "") -> tuple[socket.socket, bytes]:
    """A WebSocket opened by hand on a plain socket: (the socket, the response head).

    For what a library client will not do: never read, or read the bytes exactly as sent.
    """
    sock = socket.socket()
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect(address)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET / HTTP/1.1\r\nHost: {address[0]}:{address[1]}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Protocol: {subprotocol}\r\n{extra}\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    return sock, head


def masked(payload: bytes, opcode: int = 0x1) -> bytes:
    """One client frame (clients must mask): final, with this opcode."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def messages_until_closed(sock: socket.socket, timeout: float = 10.0) -> list[str]:
    """Read a hand-opened WebSocket to its end: every message as text (decoded by wsproto as a client)."""
    from wsproto.connection import CLIENT, Connection
    from wsproto.events import BytesMessage, CloseConnection, TextMessage

    reader = Connection(CLIENT)
    messages: list[str] = []
    parts: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            data = b""
        if not data:
            return messages
        reader.receive_data(data)
        for event in reader.events():
            if isinstance(event, (TextMessage, BytesMessage)):
                parts.append(event.data if isinstance(event.data, str) else event.data.decode())
                if event.message_finished:
                    messages.append("".join(parts))
                    parts = []
            elif isinstance(event, CloseConnection):
                return messages
    raise TimeoutError("the server did not close the WebSocket; got:\n" + "\n".join(messages[-20:]))
