"""Fixtures: a real redis-server per test, and nodes of one network on it.

Without redis-server installed the tests are skipped with the reason, except
in CI (CI=true), where that is a failure: .ci/run installs it.
"""

from __future__ import annotations

import pytest

from tests.support.client import IrcClient
from tests.support.needs import missing
from tests.support.redis_server import RedisServer, find_redis_server
from tests.support.server import ServerProcess, start_server

NODE_TIMEOUT = "1.5"  # short, so a kill -9 is noticed quickly
RETRY_MAX = "0.3"
HEARTBEAT = "0.2"
UNREACHABLE = "0.6"
FAST = ("--node-timeout", NODE_TIMEOUT, "--redis-retry-max", RETRY_MAX, "--heartbeat-interval", HEARTBEAT,
        "--unreachable-after", UNREACHABLE, "--redis-command-timeout", "0.5", "--redis-poll", "0.2")
"""Network timings short enough for a test to see faults healed in a second or two."""


@pytest.fixture
def redis_server(tmp_path):
    binary = find_redis_server()
    if binary is None:
        missing("redis-server is not installed (Debian package redis-server)")
    server = RedisServer(binary, str(tmp_path))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start_node(redis_server):
    """start_node(name, *flags) -> a server process that is a node of the test network."""
    started: list[ServerProcess] = []

    def start(name: str, *flags: str) -> ServerProcess:
        node = start_server("--redis", redis_server.url, "--node-name", name, *FAST, *flags,
                            server_name=f"{name}.test")
        node.wait_log(r"joined the network")
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()


@pytest.fixture
def client():
    """client(node) -> a new IrcClient connected to that node; closed at teardown."""
    clients: list[IrcClient] = []

    def make(node: ServerProcess) -> IrcClient:
        c = IrcClient(node.address)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
