"""Fixtures: a server started from a config file, and a way to write one."""

from __future__ import annotations

import textwrap

import pytest

from tests.support.server import ServerProcess, start_server


@pytest.fixture
def write_config(tmp_path):
    """write_config(text) -> the path of a config file holding `text` (dedented)."""

    def write(text: str, name: str = "chat-server.toml") -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return str(path)

    return write


@pytest.fixture
def file_server():
    """file_server(path, *flags) -> a server started with `--config path` and only those flags."""
    started: list[ServerProcess] = []

    def start(path: str, *flags: str) -> ServerProcess:
        server = start_server("--config", path, *flags, defaults=False)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()

