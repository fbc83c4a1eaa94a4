"""Start the server under test (this checkout's geventchat, another checkout's, or the relay), pinned;
or name an external one.

Starting a child server (argv, the stderr drain, waiting until it listens,
stop) is tests/support/spawn.py, shared with the tests; this module adds
what a measurement needs: limits raised, the process pinned to its CPU, the
code of another checkout (--baseline), a TLS listener with a throwaway
certificate (--tls), the web listener for clients over WebSocket
(--websocket), a data directory that starts with a filled history (bin/bench
history), and how the clients are to use the server (channels to JOIN).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.spawn import Spawned, child_env, free_port

from . import procstat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BENCH_LIMITS: tuple[tuple[str, str], ...] = (
    ("--flood-burst", "1000000"), ("--flood-rate", "1000000"), ("--flood-backlog", "1000000"),
    ("--ping-flood-burst", "1000000"), ("--ping-flood-rate", "1000000"),
    ("--max-per-ip", "1000000"), ("--sendq", str(16 * 1024 * 1024)), ("--log-level", "WARNING"),
)
"""Limits a public server needs but a load test would trip over, raised for the benchmark.

A checkout that does not know one of these flags (an older revision) is run
without it: its --help says which it knows.
"""

FLAGS_NOTE = (
    "geventchat runs with flood control and per-IP limits raised by flags "
    "(--flood-burst/--flood-rate/--flood-backlog 1000000, --ping-flood-burst/--ping-flood-rate 1000000, "
    "--max-per-ip 1000000), --sendq 16 MiB, --max-clients sized to the test, --log-level WARNING, "
    "and its --data-dir (history) in a throwaway directory"
)

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


@dataclass
class Server:
    """A server under measurement: where it listens and, if known, its pid."""

    name: str
    host: str
    port: int
    pid: int | None = None
    child: Spawned | None = None
    pinned: bool = False
    also: tuple[int, ...] = ()  # more processes of the same server (workers, its Redis): summed
    tls: ssl.SSLContext | None = None  # the clients speak TLS, trusting what this context trusts
    data_dir: str | None = None  # a throwaway --data-dir, removed once the server has stopped
    websocket: bool = False  # the port is the web listener's: the clients speak IRC over WebSocket
    channels: int = 0  # the clients spread over this many channels (0: the lobby)

    @property
    def pids(self) -> tuple[int, ...]:
        return ((self.pid,) if self.pid else ()) + self.also

    @property
    def log(self) -> list[str]:
        return list(self.child.log) if self.child is not None else []

    def cpu(self) -> float | None:
        return sum(map(procstat.cpu_seconds, self.pids)) if self.pids else None

    def rss(self) -> int | None:
        return sum(map(procstat.rss_kib, self.pids)) if self.pids else None

    def alive(self) -> bool:
        return self.child is None or self.child.alive()

    def stop(self) -> None:
        """Stop a server we started (by its pid); an external one is left alone."""
        if self.child is not None:
            self.child.stop()
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass(frozen=True)
class Checkout:
    """The geventchat code to run: this checkout's, or an earlier revision's (--baseline)."""

    root: str
    name: str  # the server's name in the tables
    flags: frozenset[str]  # what its --help lists
    args: tuple[str, ...] = ()  # more flags for this server (bin/bench --server-args, --variant)
    versus: str | None = None  # the server this one is a variant of: the tables show name/versus
    websocket: bool = False  # measured through its web listener, clients over WebSocket
    channels: int = 0  # its clients spread over this many channels (with --lobby none in args)
    seed: str | None = None  # a data directory each run starts from (a copy of its files)

    @classmethod
    def load(cls, root: str, name: str) -> Checkout:
        """Check that `root` holds a geventchat this Python runs, and learn its flags; ValueError if not."""
        root = os.path.abspath(root)
        if not os.path.isfile(os.path.join(root, "geventchat", "__init__.py")):
            raise ValueError(f"{root} is not a geventchat checkout (no geventchat/__init__.py)")
        probe = ("import sys, geventchat; print(geventchat.__file__); "
                 "sys.argv = ['chat-server', '--help']; import runpy; runpy.run_module('geventchat', run_name='__main__')")
        run = subprocess.run([sys.executable, "-c", probe], cwd=root, env=child_env([root]), capture_output=True,
                             text=True, timeout=60, stdin=subprocess.DEVNULL)
        origin, _, usage = run.stdout.partition("\n")
        if not origin.startswith(os.path.join(root, "")):
            why = (run.stderr.strip().splitlines() or ["no error"])[-1]
            raise ValueError(f"{root}: {sys.executable} does not run the geventchat there "
                             f"(it imports {origin or 'nothing'}: {why})")
        flags = frozenset(FLAG.findall(usage))
        if "--port" not in flags:
            raise ValueError(f"{root}: `python -m geventchat --help` lists no --port:\n{usage}{run.stderr}")
        return cls(root, name, flags)

    def unknown(self, args: tuple[str, ...]) -> list[str]:
        """The flags among `args` that this checkout's --help does not list."""
        names = [arg.partition("=")[0] for arg in args if arg.startswith("--")]
        return [name for name in names if name not in self.flags]

    def limits(self) -> tuple[list[str], list[str]]:
        """(the bench's limit flags this checkout knows, as argv; the names of those it does not)."""
        known = [part for flag, value in BENCH_LIMITS if flag in self.flags for part in (flag, value)]
        return known, [flag for flag, _ in BENCH_LIMITS if flag not in self.flags]


@functools.cache
def this_checkout() -> Checkout:
    return Checkout.load(ROOT, "geventchat")


def start_geventchat(cpus: set[int], max_clients: int, extra: tuple[str, ...] = (),
                     checkout: Checkout | None = None, tls: TlsSetup | None = None) -> Server:
    """geventchat pinned to `cpus`, limits raised; with `tls`, measured through its TLS listener."""
    checkout = checkout or this_checkout()
    port = free_port()
    limits, _ = checkout.limits()
    argv = [sys.executable, "-m", "geventchat", "--host", "127.0.0.1", "--port", str(port),
            "--server-name", "geventchat.bench", *limits, "--max-clients", str(max_clients), *extra,
            *checkout.args]
    data_dir = None
    if "--data-dir" in checkout.flags and "--data-dir" not in checkout.args:
        data_dir = tempfile.mkdtemp(prefix="bench-data-")  # history and the like: never the user's own
        argv += ["--data-dir", data_dir]
        if checkout.seed is not None:
            _copy_seed(checkout.seed, data_dir)
    ports = [port]
    name = checkout.name
    if checkout.websocket:
        if tls is not None:
            raise ValueError("the bench's WebSocket clients speak plain ws://, not over TLS")
        if "--web-port" not in checkout.flags:
            raise ValueError(f"{checkout.root}: this geventchat has no web listener (no --web-port)")
        ports.append(free_port())
        argv += ["--web-port", str(ports[-1]), "--web-host", "127.0.0.1"]
    if tls is not None:
        if "--tls-port" not in checkout.flags:
            raise ValueError(f"{checkout.root}: this geventchat has no TLS listener (no --tls-port)")
        ports.append(free_port())
        argv += ["--tls-port", str(ports[1]), "--tls-cert", tls.cert, "--tls-key", tls.key]
        name += "-tls"
    # the server is quiet at WARNING, so it is probed on its ports rather than read from its log;
    # cwd: `python -m` puts the working directory first on sys.path, before PYTHONPATH
    child = Spawned(argv, name=name, pythonpath=[checkout.root], cwd=checkout.root, keep_lines=50)
    server = Server(name, "127.0.0.1", ports[-1], child.pid, child, procstat.pin(child.pid, cpus),
                    tls=tls.client if tls is not None else None, data_dir=data_dir,
                    websocket=checkout.websocket, channels=checkout.channels)
    try:
        child.wait_accepting(ports)
    except RuntimeError:
        server.stop()
        raise
    return server


def _copy_seed(seed: str, data_dir: str) -> None:
    """The seed's files into the data directory, on disk before the server starts: otherwise the
    server's first fdatasync would write back the whole copy, and its first answers would wait for it."""
    for entry in os.scandir(seed):
        if entry.is_file():
            target = os.path.join(data_dir, entry.name)
            shutil.copyfile(entry.path, target)
            with open(target, "rb") as copied:
                os.fsync(copied.fileno())


def start_relay(cpus: set[int]) -> Server:
    argv = [sys.executable, "-m", "bench.relay", "--host", "127.0.0.1", "--port", "0"]
    child = Spawned(argv, name="relay", pythonpath=[ROOT], cwd=ROOT, keep_lines=50)
    pinned = procstat.pin(child.pid, cpus)
    port = child.wait_listening("plain")
    return Server("relay", "127.0.0.1", port, child.pid, child, pinned)


@dataclass
class TlsSetup:
    """A throwaway certificate for the server (PEM files) and a client context that trusts it."""

    cert: str
    key: str
    client: ssl.SSLContext

    @classmethod
    def make(cls, folder: str) -> TlsSetup:
        try:
            from tests.support.tls import make_tls_files
        except ImportError as error:
            raise ValueError(f"--tls needs trustme for its throwaway certificate ({error}); "
                             "bin/bench installs it") from None
        files = make_tls_files(Path(folder))
        return cls(str(files.cert), str(files.key), files.client_context())


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
