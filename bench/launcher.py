"""Start the server under test (or the relay) in its own process, pinned; or name an external one."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from . import procstat

LISTENING = re.compile(rb"listening on [^ ]+:(\d+)")

BENCH_FLAGS = (
    "--flood-burst", "1000000", "--flood-rate", "1000000", "--flood-backlog", "1000000",
    "--max-per-ip", "1000000", "--sendq", str(16 * 1024 * 1024), "--log-level", "WARNING",
)
"""Limits a public server needs but a load test would trip over, raised for the benchmark."""

FLAGS_NOTE = (
    "geventchat runs with flood control and per-IP limits raised by flags "
    "(--flood-burst/--flood-rate/--flood-backlog 1000000, --max-per-ip 1000000), "
    "--sendq 16 MiB, --max-clients sized to the test, --log-level WARNING"
)


@dataclass
class Server:
    """A server under measurement: where it listens and, if known, its pid."""

    name: str
    host: str
    port: int
    pid: int | None = None
    proc: subprocess.Popen | None = None
    pinned: bool = False
    log: deque = field(default_factory=lambda: deque(maxlen=50))
    also: tuple[int, ...] = ()  # more processes of the same server (workers, its Redis): summed

    @property
    def pids(self) -> tuple[int, ...]:
        return ((self.pid,) if self.pid else ()) + self.also

    def cpu(self) -> float | None:
        return sum(map(procstat.cpu_seconds, self.pids)) if self.pids else None

    def rss(self) -> int | None:
        return sum(map(procstat.rss_kib, self.pids)) if self.pids else None

    def alive(self) -> bool:
        return self.proc is None or self.proc.poll() is None

    def stop(self) -> None:
        """Stop a server we started (by its pid); an external one is left alone."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def free_port() -> int:
    """A loopback port nobody listens on now (the server quiet at WARNING never prints its port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"QUIT\r\n")
        return True
    except OSError:
        return False


def _spawn(name: str, argv: list[str], cpus: set[int], timeout: float = 20.0, port: int | None = None) -> Server:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=path)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)
    pinned = procstat.pin(proc.pid, cpus)
    known = port
    log: deque = deque(maxlen=50)
    found = threading.Event()
    port: list[int] = []

    def drain() -> None:  # the pipe must never fill, or the server would block on its log
        for line in proc.stderr:
            log.append(line.decode(errors="replace").rstrip())
            match = LISTENING.search(line)
            if match and not port:
                port.append(int(match.group(1)))
                found.set()
        found.set()

    threading.Thread(target=drain, daemon=True).start()
    if known is not None:
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline and not _accepting(known):
            time.sleep(0.05)
        if _accepting(known):
            port.append(known)
            found.set()
    if not found.wait(timeout) or not port:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{name} did not start:\n" + "\n".join(log))
    return Server(name, "127.0.0.1", port[0], proc.pid, proc, pinned, log)


def start_geventchat(cpus: set[int], max_clients: int, extra: tuple[str, ...] = ()) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "geventchat", "--host", "127.0.0.1", "--port", str(port),
            "--server-name", "geventchat.bench", "--data-dir", tempfile.mkdtemp(prefix="geventchat-bench-"),
            *BENCH_FLAGS, "--max-clients", str(max_clients), *extra]
    return _spawn("geventchat", argv, cpus, port=port)


def start_relay(cpus: set[int]) -> Server:
    return _spawn("relay", [sys.executable, "-m", "bench.relay", "--host", "127.0.0.1", "--port", "0"], cpus)


def external(address: str, pids: list[int]) -> Server:
    """A running server on loopback; its CPU and RSS are those of all `pids` together."""
    host, _, port = address.rpartition(":")
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        raise ValueError(f"loopback only: {address}")
    return Server("server", host.strip("[]"), int(port), pids[0] if pids else None, also=tuple(pids[1:]))


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's open-file limit towards `wanted` (children inherit it)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted)
    target = min(target, max(soft, wanted))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return max(soft, target)
