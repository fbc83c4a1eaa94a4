"""The core's side of operations, without sockets: REHASH's answers, what the metrics are told and when."""

from __future__ import annotations

import pytest

from geventchat.config import Config
from geventchat.connection import SENDQ_EXCEEDED
from geventchat.core.chat import EXCESS_FLOOD, INTERNAL_ERROR, Chat, Reloaded
from geventchat.core.metrics import Metrics, quit_code
from tests.support.peer import Peer


class Recorder(Metrics):
    """The metrics interface, keeping every call in order."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def delivered(self, lines: int) -> None:
        self.calls.append(("delivered", lines))

    def registered(self, transport: str) -> None:
        self.calls.append(("registered", transport))

    def quit(self, code: str) -> None:
        self.calls.append(("quit", code))


@pytest.fixture
def chat() -> Chat:
    return Chat(Config.from_flags(server_name="irc.test"))


def test_rehash_is_refused_to_anyone_who_is_not_an_operator(chat):
    alice = Peer(chat, "alice")
    alice.new()
    assert alice.say("REHASH") == [":irc.test 481 alice :Permission Denied- You're not an IRC operator"]


def test_a_client_cannot_make_itself_an_operator_with_a_user_mode(chat):
    """RFC 2812 3.1.5: 'If a user attempts to make themselves an operator using the "+o" or "+O" flag,
    the attempt SHOULD be ignored'."""
    alice = Peer(chat, "alice")
    alice.new()
    assert alice.say("MODE alice +io") == [":alice!alice@127.0.0.1 MODE alice +i"]
    assert alice.say("MODE alice") == [":irc.test 221 alice :+i"]
    assert alice.say("REHASH") == [":irc.test 481 alice :Permission Denied- You're not an IRC operator"]


def test_rehash_by_an_operator_says_what_changed_or_why_nothing_did(chat):
    alice = Peer(chat, "alice")
    alice.new()
    chat.is_operator = lambda session: session is alice.session  # until OPER exists, nobody gets +o
    results = [Reloaded(True, "/etc/geventchat/chat-server.toml", "changed limits.nicklen 9 -> 12; no MOTD"),
               Reloaded(False, "/etc/geventchat/chat-server.toml", "/etc/geventchat/chat-server.toml:3: "
                                                                    "[limits] nicklen: must be greater than 0: '0'")]
    chat.reload = results.pop
    assert alice.say("REHASH") == [
        ":irc.test FAIL REHASH INVALID_CONFIG :Nothing changed: "
        "/etc/geventchat/chat-server.toml:3: [limits] nicklen: must be greater than 0: '0'"]
    assert alice.say("REHASH") == [
        ":irc.test 382 alice /etc/geventchat/chat-server.toml :Rehashing",
        ":irc.test NOTICE alice :Rehash: changed limits.nicklen 9 -> 12; no MOTD"]
    chat.reload = None
    assert alice.say("REHASH") == [
        ":irc.test FAIL REHASH CANNOT_RELOAD :This server cannot reload its configuration"]


def test_metrics_are_told_once_per_relayed_line_with_its_recipient_count(chat):
    recorder = Recorder()
    chat.use_metrics(recorder)
    alice, _, carol = Peer(chat, "alice"), Peer(chat, "bob"), Peer(chat, "carol")
    recorder.calls.clear()
    alice.say("PRIVMSG #lobby :hello", "PRIVMSG bob :psst", "PRIVMSG nobody :lost")
    assert recorder.calls == [("delivered", 2), ("delivered", 1)]
    recorder.calls.clear()
    carol.say("QUIT :bye")
    assert recorder.calls == [("quit", "quit"), ("delivered", 2)]
    recorder.calls.clear()
    Peer(chat, "dave")  # its JOIN reaches alice and bob, and dave itself
    assert recorder.calls == [("registered", "tcp"), ("delivered", 3)]


def test_a_quit_message_never_becomes_a_metric_label(chat):
    """A client's QUIT text is free; it is counted as 'quit' even when it reads like a server's reason."""
    recorder = Recorder()
    chat.use_metrics(recorder)
    alice = Peer(chat, "alice")
    recorder.calls.clear()
    alice.say("QUIT :Excess flood")
    assert recorder.calls == [("quit", "quit"), ("delivered", 0)]


@pytest.mark.parametrize("reason, code", [
    ("Remote host closed the connection", "closed"),
    ("Connection reset by peer", "reset"),
    (SENDQ_EXCEEDED, "sendq"),
    (EXCESS_FLOOD, "flood"),
    ("Ping timeout: 180 seconds", "ping_timeout"),
    ("Registration timed out", "registration_timeout"),
    ("Server shutting down", "shutdown"),
    (INTERNAL_ERROR, "error"),
    ("Read error: Bad file descriptor", "io_error"),
    ("something new", "other"),
])
def test_quit_reasons_map_to_a_fixed_set_of_codes(reason, code):
    assert quit_code(reason) == code
