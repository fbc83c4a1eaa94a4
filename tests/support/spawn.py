"""A server in a child process: the one way the tests and bin/bench start one.

What both need lives here once: the environment (which checkout's code the
child runs), a thread that drains its stderr (the pipe must never fill, or
the server would block on its own log), the `listening on HOST:PORT as NAME`
lines it prints (`(tls)` after the TLS listener's), waiting until it is up,
and stop(). The tests add fixtures and log matching on top (server.py); the
bench adds CPU pinning and raised limits (bench/launcher.py).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable

LISTENING = re.compile(r"listening on [^ ]+:(\d+)(?: as [^ ]+)?(?: \(([a-z]+)\))?")
"""A listener's log line; group 2 names a listener that is not plain TCP (`tls`)."""
LISTENING_TLS = re.compile(r"listening on [^ ]+:(\d+) .*\(tls\)")


def free_port() -> int:
    """A loopback port nobody listens on now (for a server that must be told its port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepting(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on this port (the probe sends nothing)."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def child_env(pythonpath: Iterable[str] = ()) -> dict[str, str]:
    """This environment with `pythonpath` in front of PYTHONPATH, and unbuffered output."""
    path = os.pathsep.join(filter(None, [*pythonpath, os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if path:
        env["PYTHONPATH"] = path
    return env


class Spawned:
    """A running child server: its process, its log lines, the ports its listeners said."""

    def __init__(self, argv: list[str], *, name: str = "server", pythonpath: Iterable[str] = (),
                 cwd: str | None = None, keep_lines: int | None = None) -> None:
        self.name = name
        self.argv = argv
        self.log: deque[str] = deque(maxlen=keep_lines)  # every line, or the last `keep_lines`
        self.listening: dict[str, int] = {}  # "plain", "tls" -> port, the first each listener said
        self._changed = threading.Condition()
        self._ended = False
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=child_env(pythonpath), cwd=cwd,
                                     text=True, errors="replace")
        threading.Thread(target=self._drain, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _drain(self) -> None:
        for line in self.proc.stderr:
            line = line.rstrip("\n")
            self.log.append(line)
            match = LISTENING.search(line)
            if match:
                with self._changed:
                    self.listening.setdefault(match.group(2) or "plain", int(match.group(1)))
                    self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_listening(self, kind: str = "plain", timeout: float = 20.0) -> int:
        """The port of the `kind` listener once the server has said it listens there.

        A server that exits or stays silent that long is killed, and the
        error carries its log (a usage error, a taken port).
        """
        with self._changed:
            self._changed.wait_for(lambda: kind in self.listening or self._ended, timeout)
            port = self.listening.get(kind)
        if port is None:
            self._fail()
        return port

    def wait_accepting(self, ports: Iterable[int], timeout: float = 20.0) -> None:
        """Wait until every port accepts connections: for a server too quiet to log where it listens."""
        deadline = time.monotonic() + timeout
        for port in ports:
            while not accepting(port):
                if not self.alive() or time.monotonic() > deadline:
                    self._fail()
                time.sleep(0.05)

    def _fail(self) -> None:
        self.stop(signal.SIGKILL, 5.0)
        with self._changed:  # its last words (a usage error) are in once the pipe has ended
            self._changed.wait_for(lambda: self._ended, 2.0)
        raise RuntimeError(f"{self.name} did not start:\n" + "\n".join(self.log))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Signal it (SIGTERM: a clean shutdown) and wait; kill it if it does not end in `timeout`."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode
