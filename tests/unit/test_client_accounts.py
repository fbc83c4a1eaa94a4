"""Capabilities and SASL as transcripts (IRCv3 SASL 3.1/3.2): login before registration ends."""

from __future__ import annotations

import base64

import pytest

from curses_client.refusal import Retry
from curses_client.sasl import Login, chunks
from curses_client.state import ChatState, Settings
from curses_client.statusbar import text
from tests.support.client_state import feed


def said(state: ChatState) -> list[str]:
    return [line.text for line in state.windows.status.scrollback]


def logging_in(login: Login, required: bool = False) -> ChatState:
    state = ChatState(nick="alice", server="irc.test", settings=Settings(login=login, sasl_required=required))
    assert feed(state, ":irc.test CAP * LS * :multi-prefix server-time") == []    # more to come
    assert feed(state, ":irc.test CAP * LS :sasl=PLAIN,EXTERNAL") == [("CAP", "REQ", "server-time multi-prefix sasl")]
    assert feed(state, ":irc.test CAP * ACK :server-time multi-prefix sasl") == [("AUTHENTICATE", login.mechanism)]
    return state


def test_plain_login_then_registration_ends() -> None:
    state = logging_in(Login("PLAIN", "alice", "hunter2"))
    [(_, payload)] = feed(state, "AUTHENTICATE +")
    assert base64.b64decode(payload) == b"alice\0alice\0hunter2"
    assert feed(state, ":irc.test 900 * * alice :You are now logged in as alice") == []
    assert feed(state, ":irc.test 903 * :SASL authentication successful") == [("CAP", "END")]
    assert state.account == "alice" and "You are logged in as alice" in said(state)
    assert text(state, 80).startswith(" alice (alice) |")


def test_a_wrong_password_is_said_and_registration_goes_on() -> None:
    state = logging_in(Login("PLAIN", "alice", "wrong"))
    feed(state, "AUTHENTICATE +")
    assert feed(state, ":irc.test 904 * :SASL authentication failed") == [("CAP", "END")]
    assert said(state)[-1] == ("Not logged in: login as alice failed (PLAIN): SASL authentication failed; "
                               "going on without an account")
    assert state.account is None


def test_a_wrong_password_with_sasl_required_leaves_for_good() -> None:
    state = logging_in(Login("PLAIN", "alice", "wrong"), required=True)
    feed(state, "AUTHENTICATE +")
    assert feed(state, ":irc.test 904 * :SASL authentication failed") == [("QUIT", "Login failed")]
    assert state.refusal is not None and state.refusal.retry is Retry.NEVER and state.quitting


def test_external_sends_no_password() -> None:
    state = logging_in(Login("EXTERNAL", "alice"))
    assert feed(state, "AUTHENTICATE +") == [("AUTHENTICATE", "+")]


def test_a_server_without_sasl_is_said_and_registration_goes_on() -> None:
    state = ChatState(nick="alice", server="irc.test", settings=Settings(login=Login("PLAIN", "alice", "pw")))
    assert feed(state, ":irc.test CAP * LS :server-time") == [("CAP", "REQ", "server-time")]
    assert said(state)[-1] == "Not logged in: the server does not offer SASL; going on without an account"
    state = ChatState(nick="alice", server="irc.test", settings=Settings(login=Login("EXTERNAL", "alice")))
    feed(state, ":irc.test CAP * LS :sasl=PLAIN")
    assert "does not offer SASL EXTERNAL (only PLAIN)" in said(state)[-1]


@pytest.mark.parametrize("size", [1, 288, 300, 600])
def test_long_messages_go_in_400_byte_chunks(size: int) -> None:
    parts = chunks(Login("PLAIN", "alice", "p" * size))
    encoded = "".join(part for part in parts if part != "+")
    assert base64.b64decode(encoded) == b"alice\0alice\0" + b"p" * size
    assert all(len(part) <= 400 for part in parts)
    assert (parts[-1] == "+") == (len(encoded) % 400 == 0)


def test_registration_answers() -> None:
    state = ChatState(nick="alice", server="irc.test")
    feed(state, ":irc.test REGISTER SUCCESS alice :Account created")
    assert said(state)[-1] == "Account alice registered: Account created"
    feed(state, ":irc.test FAIL REGISTER ACCOUNT_EXISTS alice :Account already exists")
    assert said(state)[-1] == "Could not register the account: Account already exists (ACCOUNT_EXISTS)"


def test_the_password_is_never_in_a_repr() -> None:
    assert "hunter2" not in repr(Login("PLAIN", "alice", "hunter2"))
    assert "hunter2" not in repr(Settings(login=Login("PLAIN", "alice", "hunter2")))


def test_a_server_that_knows_no_capabilities_logs_nobody_in() -> None:
    state = ChatState(nick="alice", server="irc.test", settings=Settings(login=Login("PLAIN", "alice", "pw"),
                                                                         sasl_required=True))
    assert feed(state, ":old.server 001 alice :Welcome") == [("QUIT", "Login failed")]
    assert "the server does not speak IRCv3 capabilities (no SASL)" in said(state)[-1]
