"""Line mode through pipes: lines in on stdin, the chat out on stdout, end of input quits."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest

from tests.support.client import IrcClient
from tests.support.terminal import child_env

pytestmark = pytest.mark.timeout(30)


class Piped:
    """chat-client with stdin and stdout on pipes; reads stdout with deadlines."""

    def __init__(self, *argv: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "curses_client", *argv], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env())
        self.out = b""

    def wait_out(self, text: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.out:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {text!r} on stdout:\n{self.out.decode(errors='replace')}")
            ready, _, _ = select.select([self.proc.stdout], [], [], min(remaining, 0.1))
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"stdout closed before {text!r}:\n{self.out.decode(errors='replace')}")
                self.out += chunk

    def write(self, line: str) -> None:
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


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
        assert client.proc.stderr.read() == b""
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
    finally:
        client.close()
        bob.close()
