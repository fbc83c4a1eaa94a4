"""A real redis-server on an ephemeral loopback port, for the network tests.

Started fresh, with no persistence, in a temporary directory; `restart()`
brings it back on the same port empty, as a crashed Redis would come back;
`pause()` and `resume()` freeze and thaw it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field

from .spawn import free_port

START_TIMEOUT = 10.0


def find_redis_server() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)), None)


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    binary: str
    directory: str
    port: int = 0
    proc: subprocess.Popen | None = None
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        for _ in range(5):
            if not self.port:
                self.port = free_port()
            if self._launch():
                return
            self.port = 0
        raise RuntimeError("redis-server did not start")

    def _launch(self) -> bool:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.directory, "--loglevel", "warning"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if _ping(self.port):
                return True
            time.sleep(0.02)
        self.stop()
        return False

    def stop(self) -> None:
        """Kill it outright (SIGKILL): the nodes see their connections drop."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def pause(self) -> None:
        """SIGSTOP: connections stay open, nothing is answered (a hung Redis)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        """Come back on the same port, with no data."""
        self.stop()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._launch():
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not come back on port {self.port}")
            time.sleep(0.1)
