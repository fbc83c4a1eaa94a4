"""A loopback TCP relay between a client and a server that a test can blind and cut.

A link that dies on the way (a laptop lid shut, a route gone) does not tell
the server at once: for a while it still counts the client in and writes to
it, and what it writes never arrives. The relay plays that out on demand:
`blind()` drops what the server sends from then on, `cut()` closes every
link it holds (the server's end first, so the server lets the nick go
before the client is back); connections made after a cut are relayed as
usual. One thread, loopback only, stopped by `close()`.
"""

from __future__ import annotations

import select
import socket
import threading

POLL = 0.05
"""Seconds the relay's thread waits in select before looking at its requests again."""


class Relay:
    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.other: dict[socket.socket, socket.socket] = {}   # each end of a link -> its other end
        self.upstream: set[socket.socket] = set()              # the ends that face the server
        self.blinded = False
        self._cut = threading.Event()
        self._cut_done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="relay", daemon=True)
        self._thread.start()

    # --- what a test does --------------------------------------------------
    def blind(self) -> None:
        """From now on what the server sends is dropped: the client hears nothing more on its link."""
        self.blinded = True

    def cut(self, timeout: float = 5.0) -> None:
        """Close every link (server's end first); the next connections are relayed again, not blinded."""
        self._cut_done.clear()
        self._cut.set()
        if not self._cut_done.wait(timeout):
            raise AssertionError("the relay did not cut its links")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._close_links()
        self.listener.close()

    # --- the relay's thread --------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            if self._cut.is_set():
                self._close_links()
                self.blinded = False
                self._cut.clear()
                self._cut_done.set()
            ready, _, _ = select.select([self.listener, *self.other], [], [], POLL)
            for sock in ready:
                if sock is self.listener:
                    self._accept()
                elif sock in self.other:
                    self._forward(sock)

    def _accept(self) -> None:
        client, _ = self.listener.accept()
        try:
            server = socket.create_connection(self.server, timeout=5.0)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        self.other[client], self.other[server] = server, client
        self.upstream.add(server)

    def _forward(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._close_link(sock)
            return
        if sock in self.upstream and self.blinded:
            return
        try:
            self.other[sock].sendall(data)
        except OSError:
            self._close_link(sock)

    def _close_link(self, sock: socket.socket) -> None:
        """Close both ends of a link, the server's first."""
        ends = [sock, self.other.pop(sock)]
        self.other.pop(ends[1], None)
        ends.sort(key=lambda end: end not in self.upstream)
        for end in ends:
            self.upstream.discard(end)
            end.close()

    def _close_links(self) -> None:
        for server in list(self.upstream):
            self._close_link(server)
