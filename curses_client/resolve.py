"""Name lookup that never holds up the loop: IP literals at once, host names in a thread.

getaddrinfo blocks (for seconds, on a slow resolver), and the screen must
come up at once and keep answering; so the lookup runs in a daemon thread
and the loop asks `done()` each turn.
"""

from __future__ import annotations

import socket
import threading

Address = tuple[int, tuple]
"""(address family, sockaddr) as socket.connect wants them."""


class Lookup:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.addresses: list[Address] = []
        self.error: BaseException | None = None
        self._done = threading.Event()
        try:
            self._store(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST))
        except (socket.gaierror, UnicodeError):
            threading.Thread(target=self._run, name="lookup", daemon=True).start()

    def done(self) -> bool:
        return self._done.is_set()

    def _run(self) -> None:
        try:
            self._store(socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as error:
            self.error = error
            self._done.set()

    def _store(self, infos: list) -> None:
        seen: list[Address] = []
        for family, _, _, _, sockaddr in infos:
            if (family, sockaddr) not in seen:
                seen.append((family, sockaddr))
        self.addresses = seen
        self._done.set()
