"""Bugs are contained: one client ends with a logged traceback, never the chat.

Transcripts without sockets: a handler that raises, a transport that raises
while the liveness sweep runs, a quit that fails half-way.
"""

from __future__ import annotations

import logging

import pytest

from geventchat.config import Config
from geventchat.core.chat import Chat
from geventchat.core.dispatch import Command
from geventchat.core.flood import TokenBucket
from geventchat.core.handlers import COMMANDS
from tests.support.peer import Peer


@pytest.fixture
def chat() -> Chat:
    return Chat(Config.from_flags(server_name="irc.test", registration_timeout=30, ping_interval=120, ping_timeout=60))


def tracebacks(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.exc_info]


def test_a_handler_bug_ends_that_client_only(chat, caplog, monkeypatch):
    def boom(ctx, msg):
        raise RuntimeError("a bug in one handler")

    monkeypatch.setitem(COMMANDS, "BOOM", Command(boom))
    alice, bob = Peer(chat, "alice"), Peer(chat, "bob")
    with caplog.at_level(logging.ERROR, logger="geventchat"):
        alice.say("BOOM")
    assert alice.out[-1] == "ERROR :Closing Link: 127.0.0.1 (Internal server error)"
    assert alice.hung_up == 1
    assert bob.out[-1] == ":alice!alice@127.0.0.1 QUIT :Internal server error"
    assert tracebacks(caplog) == ["bug handling BOOM from 1; closing that client"]
    carol = Peer(chat, "alice")  # the nick is free again, and the chat goes on
    carol.say("PRIVMSG bob :still here")
    assert bob.out[-1] == ":alice!alice@127.0.0.1 PRIVMSG bob :still here"


def test_a_bug_while_sweeping_one_client_does_not_stop_the_sweep(chat, caplog):
    broken, fine = Peer(chat, "broken"), Peer(chat, "fine")
    late = Peer(chat, None)  # never registers
    broken.broken = True
    with caplog.at_level(logging.ERROR, logger="geventchat"):
        chat.sweep(1000.0 + 121)  # PING time for both registered clients, past registration for `late`
    assert fine.out[-1] == "PING irc.test"
    assert late.out[-1] == "ERROR :Closing Link: 127.0.0.1 (Registration timed out)"
    assert broken.session.closed == "Internal server error" and broken.hung_up == 1
    assert "broken" not in [user.nick for user in chat.registry.users()]
    assert fine.out[-2:-1] == [":broken!broken@127.0.0.1 QUIT :Internal server error"]
    assert any("bug in the sweep of" in message for message in tracebacks(caplog))


def test_a_quit_that_fails_half_way_still_hangs_up(chat, caplog, monkeypatch):
    alice, bob = Peer(chat, "alice"), Peer(chat, "bob")

    def broken_publish(delivery):
        raise RuntimeError("the bus is down")

    monkeypatch.setattr(chat.bus, "publish", broken_publish)
    with caplog.at_level(logging.ERROR, logger="geventchat"):
        alice.say("QUIT :bye")
    assert alice.session.closed == "bye" and alice.hung_up == 1
    assert alice.session.uid not in chat.sessions
    assert chat.registry.find("alice") is None
    assert not any("QUIT" in line for line in bob.out)  # the bus failed: nobody was told, nothing broke
    assert tracebacks(caplog)


def test_a_clock_stepped_back_does_not_freeze_a_client():
    """Time is the wall clock passed in: an NTP step back of an hour is no hour of fakelag."""
    bucket = TokenBucket(burst=10, rate=1.0)
    assert [bucket.take(1000.0) for _ in range(10)] == [0.0] * 10
    assert bucket.take(1000.0) == 1.0  # past the burst: wait a second, as configured
    assert bucket.take(1000.0 - 3600) == 2.0  # the clock went back: the debt does not grow by an hour
    assert bucket.take(1000.0 - 3600 + 5) == 0.0  # and time refills it from the new reading
