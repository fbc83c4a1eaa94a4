"""The real client in a pty against a scripted server: an echo that never comes, SASL logins.

The server here is the test, speaking raw lines on a loopback socket, so it
can say what a geventchat server would not (never echo a line) and check
each step of a SASL exchange as a transcript.
"""

from __future__ import annotations

import base64
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


def test_sasl_plain_login_shows_the_account(listener, terms) -> None:
    alice = client(terms, listener.getsockname()[1], "--sasl", env={"CHAT_PASSWORD": "s3cret pass"})
    irc = Transcript.accept(listener)
    irc.expect(r"^CAP LS :?302$")
    irc.send(":scripted CAP * LS :sasl=PLAIN,EXTERNAL server-time")
    irc.expect(r"^CAP REQ :server-time sasl$")
    irc.send(":scripted CAP * ACK :server-time sasl")
    irc.expect(r"^AUTHENTICATE :?PLAIN$")
    irc.send("AUTHENTICATE +")
    payload = irc.expect(r"^AUTHENTICATE ").split(" ", 1)[1].lstrip(":")
    assert base64.b64decode(payload) == b"alice\0alice\0s3cret pass"
    irc.send(":scripted 900 alice alice!alice@127.0.0.1 alice :You are now logged in as alice",
             ":scripted 903 alice :SASL authentication successful")
    irc.expect(r"^CAP :?END$")
    welcome(irc)
    alice.wait_status("alice (alice) |")
    assert not any("s3cret" in row for row in alice.display)
    irc.close()


def test_a_wrong_password_is_said_and_the_chat_goes_on(listener, terms) -> None:
    alice = client(terms, listener.getsockname()[1], "--account", "alicia", env={"CHAT_PASSWORD": "wrong"})
    irc = Transcript.accept(listener)
    irc.send(":scripted CAP * LS :sasl")
    irc.expect(r"^CAP REQ :sasl$")
    irc.send(":scripted CAP * ACK :sasl")
    irc.expect(r"^AUTHENTICATE :?PLAIN$")
    irc.send("AUTHENTICATE +")
    assert base64.b64decode(irc.expect(r"^AUTHENTICATE ").split(" ", 1)[1].lstrip(":")) == b"alicia\0alicia\0wrong"
    irc.send(":scripted 904 alice :SASL authentication failed")
    irc.expect(r"^CAP :?END$")
    welcome(irc)
    alice.wait_status("2:#chat")
    alice.press("alt-1")
    alice.wait_said("Not logged in: login as alicia failed (PLAIN): SASL authentication failed; "
                    "going on without an account")
    assert "(alicia)" not in alice.status()
    irc.close()


def test_the_password_is_asked_for_without_echo(listener, terms) -> None:
    alice = client(terms, listener.getsockname()[1], "--sasl", "--sasl-required")
    alice.wait_text("Password for alice (not shown):")
    alice.type("typed-secret\r")
    irc = Transcript.accept(listener)
    irc.send(":scripted CAP * LS :sasl=PLAIN")
    irc.expect(r"^CAP REQ :sasl$")
    irc.send(":scripted CAP * ACK :sasl")
    irc.expect(r"^AUTHENTICATE :?PLAIN$")
    irc.send("AUTHENTICATE +")
    assert base64.b64decode(irc.expect(r"^AUTHENTICATE ").split(" ", 1)[1].lstrip(":")).endswith(b"\0typed-secret")
    irc.send(":scripted 904 alice :SASL authentication failed")
    irc.expect(r"^QUIT :Login failed$")                # --sasl-required: leave, and do not come back
    irc.send("ERROR :Closing Link: 127.0.0.1 (Quit: Login failed)")
    irc.close()
    alice.wait_status("not reconnecting")
    alice.wait_said("Not logged in: login as alice failed (PLAIN): SASL authentication failed; "
                    "leaving (--sasl-required)")
    assert not alice.has("typed-secret") and b"typed-secret" not in alice.raw
