"""A line-level IRC client for tests: send raw lines, wait for expected ones.

Absence is checked without sleeping: `sync()` sends a PING with a fresh token
and returns every line that arrived before its PONG. The server handles a
client's lines in order and delivers to each client in order, so after
`sender.sync()` everything the sender caused is queued for the others, and a
following `receiver.sync()` returns it all, and nothing that was not sent.
"""

from __future__ import annotations

import itertools
import re
import socket
import ssl
import time

from geventchat.protocol.message import Message, parse

_tokens = itertools.count(1)

PLAIN_CAPS = ("message-tags server-time echo-message batch labeled-response cap-notify multi-prefix "
              "userhost-in-names away-notify extended-join invite-notify setname standard-replies "
              "account-notify account-tag sasl=PLAIN,EXTERNAL draft/account-registration=before-connect")
"""What `CAP LS 302` lists on the plain port of a server that keeps no history and has no TLS listener."""

CAPS = PLAIN_CAPS + " draft/chathistory draft/event-playback draft/message-redaction draft/read-marker"
"""What `CAP LS 302` lists on the plain port of a server with its defaults (history on, no TLS), in order."""


class Closed(Exception):
    pass


class IrcClient:
    def __init__(self, address: tuple[str, int], timeout: float = 10.0, tls: ssl.SSLContext | None = None,
                 source: str | None = None) -> None:
        """A connection to `address`; over TLS when given a client context (the handshake runs here).

        `source`: the local address to connect from (127.0.0.2 is loopback too: a second address).
        """
        sock = socket.create_connection(address, timeout=timeout, source_address=(source, 0) if source else None)
        self.sock = tls.wrap_socket(sock, server_hostname="localhost") if tls is not None else sock
        self.timeout = timeout
        self._buffer = b""
        self.seen: list[str] = []  # every line received, in order
        self.closed = False
        self.nick: str | None = None

    # --- sending ---------------------------------------------------------
    def send(self, *lines: str | bytes) -> None:
        data = b"".join((l if isinstance(l, bytes) else l.encode()) + b"\r\n" for l in lines)
        self.sock.sendall(data)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    # --- receiving -------------------------------------------------------
    def read_line(self, timeout: float | None = None) -> str:
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no line in time; seen so far:\n" + "\n".join(self.seen[-40:]))
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ConnectionResetError, ssl.SSLEOFError):
                data = b""
            if not data:
                self.closed = True
                raise Closed("connection closed; seen:\n" + "\n".join(self.seen[-40:]))
            self._buffer += data
        raw, self._buffer = self._buffer.split(b"\n", 1)
        line = raw.rstrip(b"\r").decode("utf-8", "replace")
        self.seen.append(line)
        return line

    def expect(self, pattern: str, timeout: float | None = None) -> str:
        """Read until a line matches the regex `pattern` (search); return it."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + (timeout or self.timeout)
        start = len(self.seen)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"no line matching {pattern!r}; received:\n" + "\n".join(self.seen[start:][-40:]))
            try:
                line = self.read_line(remaining)
            except TimeoutError:
                continue
            if regex.search(line):
                return line

    def expect_message(self, pattern: str, timeout: float | None = None) -> Message:
        return parse(self.expect(pattern, timeout))

    def sync(self) -> list[str]:
        """Every line received before the answer to a fresh PING (the PONG itself excluded)."""
        token = f"sync{next(_tokens)}"
        self.send(f"PING {token}")
        lines = []
        while True:
            line = self.read_line()
            if line.startswith(":") and " PONG " in line and line.endswith(token):
                return lines
            lines.append(line)

    def read_until_closed(self, timeout: float | None = None) -> list[str]:
        """Read everything until the server closes the connection."""
        lines = []
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            try:
                lines.append(self.read_line(max(0.01, deadline - time.monotonic())))
            except Closed:
                return lines

    # --- conveniences ----------------------------------------------------
    def register(self, nick: str, user: str = "user", realname: str = "Real Name") -> "IrcClient":
        """NICK + USER, then read the welcome through the lobby's end of NAMES."""
        self.send(f"NICK {nick}", f"USER {user} 0 * :{realname}")
        self.expect(r" 366 ")
        self.nick = nick
        return self

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
