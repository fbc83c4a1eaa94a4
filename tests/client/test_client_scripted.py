"""The real client in a pty against a scripted server: an echo that never comes.

The server here is the test, speaking raw lines on a loopback socket, so it
can do what a geventchat server would not: take a line and never echo it.
"""

from __future__ import annotations

import socket

import pytest

from tests.support.terminal import Terminal, client_argv
from tests.support.transcript import Transcript

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def listener():
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def terms():
    started: list[Terminal] = []
    yield started
    for term in started:
        term.close()


def client(terms: list, port: int, *extra: str, env: dict[str, str] | None = None) -> Terminal:
    term = Terminal(client_argv("127.0.0.1", "alice", "Alice Tester", "alice", "--port", str(port), *extra),
                    name="alice", env=env)
    terms.append(term)
    return term


def welcome(irc: Transcript) -> None:
    irc.send(":scripted 001 alice :Welcome to the scripted net", ":scripted 422 alice :No MOTD",
             ":alice!alice@127.0.0.1 JOIN #chat", ":scripted 353 alice = #chat :alice",
             ":scripted 366 alice #chat :End of /NAMES list.")


def test_a_line_the_server_never_echoes_is_flagged(listener, terms) -> None:
    alice = client(terms, listener.getsockname()[1], "--echo-timeout", "1")
    irc = Transcript.accept(listener)
    irc.expect(r"^CAP LS :?302$")
    irc.send(":scripted CAP * LS :echo-message message-tags server-time")
    irc.expect(r"^CAP REQ :message-tags server-time echo-message$")
    irc.send(":scripted CAP * ACK :message-tags server-time echo-message")
    irc.expect(r"^CAP :?END$")
    welcome(irc)
    alice.wait_status("2:#chat (1 user)")
    alice.send_line("first words")
    irc.expect(r"^PRIVMSG #chat :first words$")
    alice.wait_pane("sent  <alice> first words")         # shown at once, marked until the server has it
    irc.send("@msgid=m1;time=2026-11-30T12:00:00.000Z :alice!alice@127.0.0.1 PRIVMSG #chat :first words")
    alice.wait_for(lambda t: not t.has("sent  <alice>") and t.has("<alice> first words"), "the line confirmed")
    assert sum("first words" in row for row in alice.pane()) == 1
    alice.send_line("lost words")
    irc.expect(r"^PRIVMSG #chat :lost words$")
    alice.wait_said("<alice> lost words (not confirmed by the server)")
    y = alice.row_of("(not confirmed by the server)")
    assert alice.cells(y)[alice.display[y].index("(not confirmed")].fg == "red"
    irc.close()
