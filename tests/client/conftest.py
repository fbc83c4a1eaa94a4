"""Fixtures: the real client in a pty against a real server on a loopback port."""

from __future__ import annotations

import shlex

import pytest

from tests.support.server import ServerProcess
from tests.support.terminal import Terminal, client_argv
from tests.support.tls import TlsFiles, make_tls_files

FAST = ("--flood-burst", "500", "--flood-rate", "100")
"""Peers in these tests send bursts; the default fakelag would make them wait."""


@pytest.fixture
def chat_server(server_factory) -> ServerProcess:
    return server_factory(*FAST)


@pytest.fixture
def tls_files(tmp_path) -> TlsFiles:
    """A throwaway CA (its certificate in ca.pem) and a server certificate for localhost and 127.0.0.1."""
    files = make_tls_files(tmp_path)
    files.ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    return files


@pytest.fixture
def spawn(chat_server):
    """spawn(nick, ...) -> a Terminal running chat-client, after its first full frame."""
    started: list[Terminal] = []

    def start(nick: str, *extra: str, rows: int = 24, cols: int = 80, server: ServerProcess | None = None,
              wait: bool = True, wrapped: bool = False, env: dict[str, str] | None = None,
              port: int | None = None) -> Terminal:
        srv = server or chat_server
        argv = client_argv("127.0.0.1", nick, f"{nick.title()} Tester", nick.lower(), "--port",
                           str(port or srv.port), *extra)
        if wrapped:
            # A shell that reports the terminal's modes after the client exits: proof it was restored.
            # `trap true INT` (not '') so the client does not inherit SIGINT as ignored.
            report = ('echo "EXIT:$? MODES: $(stty -a | tr " ;" "\\n\\n" | '
                      'grep -xE -- "-?(icanon|echo|isig|ixon)" | tr "\\n" " ")"')
            argv = ["sh", "-c", f"trap true INT; {shlex.join(argv)}; {report}"]
        term = Terminal(argv, rows=rows, cols=cols, name=nick, env=env)
        for other in started:
            other.peers.append(term)
            term.peers.append(other)
        started.append(term)
        if wait:
            term.wait_status("#lobby (", timeout=10)
        return term

    yield start
    for term in started:
        term.close()
