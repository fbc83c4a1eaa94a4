"""Line mode through pipes: lines in on stdin, the chat out on stdout, end of input quits."""

from __future__ import annotations

import pytest

from tests.support.client import IrcClient
from tests.support.piped import Piped

pytestmark = pytest.mark.timeout(30)


def test_line_mode_through_pipes(chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    client = Piped("127.0.0.1", "alice", "Alice Tester", "alice", "--port", str(chat_server.port))
    try:
        client.write("hello from a pipe")   # typed before registration: sent once in the room
        client.write("/me pipes up")
        bob.expect(r"^:alice!\S+ PRIVMSG #lobby :hello from a pipe$")
        bob.expect(r"^:alice!\S+ PRIVMSG #lobby :\x01ACTION pipes up\x01$")
        client.wait_out("<alice> hello from a pipe")
        bob.send("PRIVMSG #lobby :hi alice, ünïcode 漢字")
        client.wait_out("<bob> hi alice, ünïcode 漢字")
        bob.send("PRIVMSG alice :just you")
        client.wait_out("[msg from bob] just you")
        client.write("/frobnicate")
        client.wait_out("!!! Unknown command /frobnicate")
        client.proc.stdin.close()   # end of input quits
        bob.expect(r"^:alice!\S+ QUIT :Leaving$")
        assert client.proc.wait(5) == 0
        text = (client.out + client.proc.stdout.read()).decode()
        # Only the notice that says why the client is in line mode, nothing else.
        assert client.proc.stderr.read().decode() == ("chat-client: standard input is not a terminal; using line "
                                                      "mode (--plain says so and silences this)\n")
        for line in text.splitlines():
            assert line[:2].isdigit() and line[2] == ":", line  # every line starts HH:MM
        assert "\x1b" not in text
    finally:
        client.close()
        bob.close()


def test_plain_flag_and_bare_quit(chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    client = Piped("127.0.0.1", "alice", "Alice Tester", "alice", "--port", str(chat_server.port), "--plain")
    try:
        client.wait_out("You joined #lobby")
        client.write("QUIT off to lunch")
        bob.expect(r"^:alice!\S+ QUIT :off to lunch$")
        assert client.proc.wait(5) == 0
        assert client.proc.stderr.read() == b""  # --plain: no notice
        rest = (client.out + client.proc.stdout.read()).decode()
        assert "!!!" not in rest, rest  # a normal quit is no error
    finally:
        client.close()
        bob.close()


def test_a_long_line_reaches_others_whole(chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    client = Piped("127.0.0.1", "alice", "Alice Tester", "alice", "--port", str(chat_server.port))
    text = " ".join(f"word{i:03}" for i in range(250))  # about 2000 bytes
    try:
        client.wait_out("You joined #lobby")
        client.write(text)
        got = []
        while " ".join(got) != text:
            line = bob.expect(r"^:alice!\S+ PRIVMSG #lobby :")
            got.append(line.split(" :", 1)[1])
            assert len(got) <= 8, got
        client.write("/quit")
        assert client.proc.wait(5) == 0
    finally:
        client.close()
        bob.close()
