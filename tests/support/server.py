"""Start the real chat server in its own process on an ephemeral loopback port."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time

from .spawn import LISTENING_TLS, Spawned

LISTENING_WEB = re.compile(r"listening on [^ ]+:(\d+) .*\(web\)")
METRICS = re.compile(r"metrics on (http://[^ /]+:\d+)/metrics")
SERVER_NAME = "irc.test"

CHEAP_ARGON2 = ("--argon2-time-cost", "1", "--argon2-memory-cost", "8", "--argon2-parallelism", "1")
"""The cheapest password hashes the flags allow: argon2 is slow on purpose, tests check rules, not cost."""


class ServerProcess(Spawned):
    """The server under test: where it listens, and its log to match against."""

    host = "127.0.0.1"

    @property
    def port(self) -> int:
        return self.listening["plain"]

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def tls_address(self) -> tuple[str, int]:
        """Where the TLS listener is (the server must have been started with a certificate)."""
        line = self.wait_log(LISTENING_TLS.pattern)
        return (self.host, int(LISTENING_TLS.search(line).group(1)))

    @property
    def metrics_url(self) -> str:
        """`http://host:port` of the metrics listener (the server must have been started with --metrics-port)."""
        return METRICS.search(self.wait_log(METRICS.pattern)).group(1)

    @property
    def web_address(self) -> tuple[str, int]:
        """Where the web listener is (the server must have been started with --web-port)."""
        line = self.wait_log(LISTENING_WEB.pattern)
        return (self.host, int(LISTENING_WEB.search(line).group(1)))

    def log_text(self) -> str:
        return "\n".join(self.log)

    def wait_log(self, pattern: str, timeout: float = 10.0) -> str:
        """Wait for a log line matching `pattern`; return it."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in list(self.log):
                if regex.search(line):
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no log line matching {pattern!r} in:\n{self.log_text()}")


def start_server(*flags: str, timeout: float = 20.0, server_name: str = SERVER_NAME,
                 defaults: bool = True) -> ServerProcess:
    """Run `python -m geventchat` on 127.0.0.1 port 0 and wait until it listens.

    `server_name` tells nodes of one network apart. Unless a test names one,
    each server keeps its data (history) in a fresh directory of its own.
    `defaults=False` passes only `flags` (a config file then says where to listen).
    """
    if "--data-dir" not in flags:
        flags = ("--data-dir", tempfile.mkdtemp(prefix="geventchat-data-"), *flags)
    argv = [sys.executable, "-m", "geventchat"]
    if defaults:
        argv += ["--host", "127.0.0.1", "--port", "0", "--server-name", server_name]
    argv += flags
    server = ServerProcess(argv)
    server.wait_listening("plain", timeout)
    return server


def run_once(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """Run `python -m geventchat` to its end (a check, a print, a refusal to start)."""
    return subprocess.run([sys.executable, "-m", "geventchat", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
