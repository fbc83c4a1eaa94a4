"""A scripted IRC server for one connection: expect the client's lines, send lines back.

For tests against servers that are not geventchat, or that say what no
geventchat server says (an echo that never comes, a SASL exchange before the
server has accounts): each step of the conversation reads as a transcript.
"""

from __future__ import annotations

import re
import socket
import time


class Transcript:
    """One accepted connection: expect lines from the client, send lines to it."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""
        self.seen: list[str] = []

    def expect(self, pattern: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            while b"\n" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\n", 1)
                line = raw.rstrip(b"\r").decode()
                self.seen.append(line)
                if regex.search(line):
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line matching {pattern!r}; got:\n" + "\n".join(self.seen))
            self.conn.settimeout(remaining)
            try:
                data = self.conn.recv(4096)
            except socket.timeout:
                continue
            if not data:
                raise AssertionError(f"closed before {pattern!r}; got:\n" + "\n".join(self.seen))
            self.buffer += data

    def send(self, *lines: str) -> None:
        self.conn.sendall(b"".join(line.encode() + b"\r\n" for line in lines))

    @classmethod
    def accept(cls, listener: socket.socket, timeout: float = 10.0) -> "Transcript":
        listener.settimeout(timeout)
        conn, _ = listener.accept()
        return cls(conn)

    def close(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
