"""Fixtures: a real server per test on an ephemeral loopback port, and clients."""

from __future__ import annotations

import os

import pytest

from tests.support.client import IrcClient
from tests.support.server import ServerProcess, start_server


@pytest.fixture(autouse=True, scope="session")
def data_home(tmp_path_factory):
    """A server started without --data-dir keeps its data here, never in the user's own ~/.local/share."""
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data-home"))


@pytest.fixture
def server_factory():
    started: list[ServerProcess] = []

    def start(*flags: str) -> ServerProcess:
        server = start_server(*flags)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(server_factory) -> ServerProcess:
    return server_factory()


@pytest.fixture
def connect(server):
    """connect() -> a new IrcClient on the default server; closed at teardown."""
    clients: list[IrcClient] = []

    def make(address=None) -> IrcClient:
        client = IrcClient(address or server.address)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
