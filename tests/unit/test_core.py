"""The protocol state machine without sockets: lines in, lines out, time passed in.

Each test reads as a transcript: what a client sends, what it and others get.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from geventchat.config import Config
from geventchat.core.chat import Chat
from tests.support.client import PLAIN_CAPS as CAPS
from tests.support.peer import Peer


@pytest.fixture
def chat() -> Chat:
    return Chat(Config.from_flags(server_name="irc.test"))


def peer(chat: Chat, nick: str | None = None, now: float = 1000.0) -> Peer:
    return Peer(chat, nick, now)


def numerics(lines: list[str]) -> list[str]:
    return [line.split()[1] for line in lines]


def test_nick_then_user_registers_with_the_welcome_burst(chat):
    alice = peer(chat)
    assert alice.say("NICK alice") == []
    lines = alice.say("USER alice 0 * :Alice Liddell")
    assert numerics(lines)[:5] == ["001", "002", "003", "004", "005"]
    assert lines[0] == ":irc.test 001 alice :Welcome to the geventchat IRC Network alice!alice@127.0.0.1"
    isupport = " ".join(line for line in lines if " 005 " in line)
    for token in ("CASEMAPPING=rfc1459", "NICKLEN=9", "CHANTYPES=#", "NETWORK=geventchat", "CHANNELLEN="):
        assert token in isupport
    assert {"251", "254", "255", "422"} <= set(numerics(lines))
    assert lines[-3:] == [
        ":alice!alice@127.0.0.1 JOIN #lobby",
        ":irc.test 353 alice = #lobby :alice",
        ":irc.test 366 alice #lobby :End of /NAMES list.",
    ]


def test_user_then_nick_registers_too(chat):
    bob = peer(chat)
    assert bob.say("USER bob 0 * :Bob") == []
    assert numerics(bob.say("NICK bob"))[0] == "001"


def test_cap_negotiation_holds_registration_until_cap_end(chat):
    c = peer(chat)
    assert c.say("CAP LS 302") == [f":irc.test CAP * LS :{CAPS}"]
    assert c.say("NICK carol", "USER carol 0 * :Carol") == []
    assert c.say("CAP REQ :multi-prefix draft/multiline") == [":irc.test CAP carol NAK :multi-prefix draft/multiline"]
    assert c.say("CAP REQ :multi-prefix") == [":irc.test CAP carol ACK :multi-prefix"]
    assert c.say("CAP LIST") == [":irc.test CAP carol LIST :cap-notify multi-prefix"]
    assert numerics(c.say("CAP END"))[0] == "001"


@pytest.mark.parametrize("line", ["USER  0 * :Real Name", "USER bob 0 * :", "USER bob 0 *  :"])
def test_user_with_an_empty_username_or_real_name_is_461(chat, line):
    """As irctest's testEmptyRealname and PROTOCOL.md: an empty real name or username is a missing parameter."""
    c = peer(chat)
    c.say("NICK bob")
    assert c.say(line) == [":irc.test 461 bob USER :Not enough parameters"]
    assert c.say("USER bob 0 * :Bob")[0].startswith(":irc.test 001 bob ")


def test_motd_file_lines(tmp_path):
    motd = tmp_path / "motd.txt"
    motd.write_text("Be kind.\nNo spam.\n")
    chat = Chat(Config.from_flags(server_name="irc.test", motd_file=str(motd)))
    lines = peer(chat).say("NICK a", "USER a 0 * :A")
    assert ":irc.test 375 a :- irc.test Message of the day - " in lines
    assert ":irc.test 372 a :- Be kind." in lines and ":irc.test 372 a :- No spam." in lines
    assert ":irc.test 376 a :End of /MOTD command." in lines


def test_registration_errors(chat):
    c = peer(chat)
    assert c.say("NICK") == [":irc.test 431 * :No nickname given"]
    assert c.say("NICK 1bad") == [":irc.test 432 * 1bad :Erroneous nickname"]
    assert c.say("NICK waytoolongnick") == [":irc.test 432 * waytoolongnick :Erroneous nickname"]
    assert c.say("USER x") == [":irc.test 461 * USER :Not enough parameters"]
    assert c.say("PRIVMSG #lobby :hi") == [":irc.test 451 * :You have not registered"]
    assert c.say("WHOIS x") == [":irc.test 451 * :You have not registered"]
    assert c.say("FOO") == [":irc.test 451 * :You have not registered"]
    peer(chat, "taken")
    assert c.say("NICK TAKEN") == [":irc.test 433 * TAKEN :Nickname is already in use"]
    assert c.say("NICK {taken}") == []  # a different nick under rfc1459 folding of [] only
    assert numerics(c.say("USER c 0 * :C"))[0] == "001"
    assert c.say("USER c 0 * :C") == [":irc.test 462 {taken} :You may not reregister"]
    assert c.say("FOO bar") == [":irc.test 421 {taken} FOO :Unknown command"]


def test_casemapping_collision_is_433(chat):
    peer(chat, "[bot]")
    c = peer(chat)
    assert c.say("NICK {BOT}") == [":irc.test 433 * {BOT} :Nickname is already in use"]


def test_an_unregistered_nick_is_held(chat):
    first, second = peer(chat), peer(chat)
    first.say("NICK dana")
    assert second.say("NICK dana") == [":irc.test 433 * dana :Nickname is already in use"]
    first.say("NICK dina")  # released on change
    assert second.say("NICK dana") == []


def test_lobby_message_reaches_others_once_and_is_not_echoed(chat):
    a, b, c = peer(chat, "a"), peer(chat, "b"), peer(chat, "c")
    for p in (a, b, c):
        p.new()
    assert a.say("PRIVMSG #lobby :hello all") == []
    assert b.new() == [":a!a@127.0.0.1 PRIVMSG #lobby :hello all"]
    assert c.new() == [":a!a@127.0.0.1 PRIVMSG #lobby :hello all"]


def test_private_message_reaches_only_its_target(chat):
    a, b, c = peer(chat, "a"), peer(chat, "b"), peer(chat, "c")
    for p in (a, b, c):
        p.new()
    assert a.say("PRIVMSG B :psst") == []
    assert b.new() == [":a!a@127.0.0.1 PRIVMSG b :psst"]
    assert c.new() == []
    assert a.say("NOTICE b :hey") == [] and b.new() == [":a!a@127.0.0.1 NOTICE b :hey"]


def test_message_errors(chat):
    a = peer(chat, "a")
    a.new()
    assert a.say("PRIVMSG") == [":irc.test 411 a :No recipient given (PRIVMSG)"]
    assert a.say("PRIVMSG #lobby") == [":irc.test 412 a :No text to send"]
    assert a.say("PRIVMSG #lobby :") == [":irc.test 412 a :No text to send"]
    assert a.say("PRIVMSG ghost :hi") == [":irc.test 401 a ghost :No such nick/channel"]
    assert a.say("NOTICE ghost :hi", "NOTICE", "NOTICE #lobby") == []  # NOTICE is never answered


def test_nick_change_is_seen_by_everyone(chat):
    a, b = peer(chat, "a"), peer(chat, "b")
    a.new(), b.new()
    assert a.say("NICK alice") == [":a!a@127.0.0.1 NICK alice"]
    assert b.new() == [":a!a@127.0.0.1 NICK alice"]
    assert a.say("NICK b") == [":irc.test 433 alice b :Nickname is already in use"]
    assert a.say("NICK Alice") == [":alice!a@127.0.0.1 NICK Alice"]  # a change of case only


def test_quit_with_and_without_message(chat):
    a, b, c = peer(chat, "a"), peer(chat, "b"), peer(chat, "c")
    for p in (a, b, c):
        p.new()
    assert a.say("QUIT :gone fishing") == ["ERROR :Closing Link: 127.0.0.1 (gone fishing)"]
    assert a.hung_up
    assert c.new() == [":a!a@127.0.0.1 QUIT :gone fishing"]
    b.say("QUIT")
    assert c.new() == [":b!b@127.0.0.1 QUIT :b"]
    assert peer(chat).say("NICK a") == []  # the nick is free again


def test_ping_pong(chat):
    c = peer(chat)
    assert c.say("PING token123") == [":irc.test PONG irc.test :token123"]
    assert c.say("PING :two words") == [":irc.test PONG irc.test :two words"]
    assert c.say("PING") == [":irc.test 461 * PING :Not enough parameters"]


def test_sweep_pings_idle_clients_then_times_them_out():
    chat = Chat(Config.from_flags(server_name="irc.test", ping_interval=120, ping_timeout=60))
    a, b = peer(chat, "a", now=0), peer(chat, "b", now=0)
    a.new(), b.new()
    chat.sweep(100)
    assert a.new() == []
    chat.sweep(121)
    assert a.new() == ["PING irc.test"] and b.new() == ["PING irc.test"]
    b.say("PONG irc.test", now=130)
    chat.sweep(181)
    assert a.new() == ["ERROR :Closing Link: 127.0.0.1 (Ping timeout: 181 seconds)"]
    assert b.new() == [":a!a@127.0.0.1 QUIT :Ping timeout: 181 seconds"]


def test_registration_timeout_counts_from_connect():
    chat = Chat(Config.from_flags(server_name="irc.test", registration_timeout=30))
    slow = Peer(chat, now=0)
    slow.say("NICK slow", now=29)  # activity does not extend it
    chat.sweep(30)
    assert slow.new() == ["ERROR :Closing Link: 127.0.0.1 (Registration timed out)"]


def test_shutdown_tells_everyone(chat):
    a, b = peer(chat, "a"), peer(chat, "b")
    a.new(), b.new()
    chat.shutdown(1000)
    assert a.new()[-1] == "ERROR :Closing Link: 127.0.0.1 (Server shutting down)"
    assert b.new()[-1] == "ERROR :Closing Link: 127.0.0.1 (Server shutting down)"


def test_the_core_imports_without_gevent():
    """ARCHITECTURE.md rule 1: protocol/ and core/ import nothing from gevent."""
    code = (
        "import sys; sys.modules['gevent'] = None\n"
        "import geventchat.protocol.message, geventchat.protocol.framing, geventchat.core.chat\n"
        "import geventchat.config, geventchat.core.handlers\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ison_reply_stops_before_512_bytes(chat):
    nicks = [f"l{i:02d}xxxxxx" for i in range(50)]  # 9 characters each, all online
    for nick in nicks:
        peer(chat, nick)
    asker = peer(chat, "asker12")
    asker.new()
    request = "ISON " + " ".join(nicks)
    assert len(request) <= 510
    [reply] = asker.say(request)
    assert len(reply.encode()) + 2 <= 512
    listed = reply.split(" :", 1)[1].split()
    assert 40 < len(listed) < 50 and listed == nicks[: len(listed)]
