"""The client as its users run it: `ssh -t` to a server (our own sshd on loopback), under each TERM.

The sshd is started for the test (tests/support/sshd.py) and the client runs
on the far side of it in the pty sshd allocates, with TERM sent by ssh. Each
terminal type: the screen comes up, its keys move the cursor as named, UTF-8
goes both ways, a paste is kept whole, and /quit gives the terminal back as
it was. Skipped, with the reason, where an sshd cannot be started (a failure in CI).
"""

from __future__ import annotations

import shlex
import sys

import pytest

from tests.support.client import IrcClient
from tests.support.keyseqs import SEQUENCES
from tests.support.needs import missing
from tests.support.sshd import start_sshd, unavailable
from tests.support.terminal import Terminal

pytestmark = pytest.mark.timeout(60)

ROOT = __file__.rsplit("/tests/", 1)[0]
RESTORED = "MODES: isig icanon echo"


@pytest.fixture(scope="module")
def sshd():
    reason = unavailable()
    if reason:
        missing(f"no sshd for the client over ssh: {reason}")
    server = start_sshd()
    yield server
    server.stop()


def remote(port: int, nick: str) -> str:
    client = shlex.join([sys.executable, "-m", "curses_client", "127.0.0.1", nick, "Real", "user", "--port", str(port)])
    report = ('echo "EXIT:$? MODES: $(stty -a | tr " ;" "\\n\\n" | grep -xE -- "-?(icanon|echo|isig)" | '
              'tr "\\n" " ")"')
    return f"cd {shlex.quote(ROOT)} && {client}; {report}"


@pytest.mark.parametrize("term", [*SEQUENCES, "dumb"])
def test_over_ssh(sshd, chat_server, term: str) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    nick = "u" + term.split("-")[0][:7]
    session = Terminal(sshd.ssh_argv(remote(chat_server.port, nick)), rows=30, cols=100, name=term,
                       env={"TERM": term})
    try:
        if term == "dumb":
            session.wait_text("cannot run full screen; using line mode", timeout=15)
            session.wait_text("You joined #lobby")
            session.proc.write(b"ab\x1b[Dc\x1b[1~d\r")
            bob.expect(rf"^:{nick}!\S+ PRIVMSG #lobby :abcd$")
            session.type("/quit\r")
            session.wait_text("EXIT:0", timeout=10)
            return
        session.wait_status("#lobby (2 users)", timeout=15)
        prompt = "[#lobby] "
        keys = dict((label, seq) for label, seq in SEQUENCES[term])
        for label, expected in (("home", "Xabc def"), ("ctrl+left", "abc Xdef"), ("alt+b", "abc Xdef"),
                                ("left", "abc deXf"), ("delete", None)):
            if label not in keys:
                continue
            session.proc.write(b"\x01\x0b")
            session.type("abc def")
            if label == "delete":
                session.proc.write(b"\x01")
                expected = "Xbc def"
            session.proc.write(keys[label])
            session.type("X")
            column = len(prompt) + expected.index("X") + 1
            session.wait_for(lambda t: t.input_line() == prompt + expected and t.cursor() == (29, column),
                             f"{label} under {term} over ssh")
        session.proc.write(b"\x01\x0b")
        session.send_line("héllo ☃ 漢字")
        bob.expect(rf"^:{nick}!\S+ PRIVMSG #lobby :héllo ☃ 漢字$")
        bob.send("PRIVMSG #lobby :ünïcode 日本語")
        session.wait_pane("<bob> ünïcode 日本語")
        session.paste("first\tline\nsecond line\n")
        bob.expect(rf"^:{nick}!\S+ PRIVMSG #lobby :first\tline$")
        bob.expect(rf"^:{nick}!\S+ PRIVMSG #lobby :second line$")
        session.send_line("/quit bye")
        bob.expect(rf"^:{nick}!\S+ QUIT :bye$")
        session.wait_text(f"EXIT:0 {RESTORED}", timeout=10)
        assert not session.has("Traceback")
    finally:
        session.close()
        bob.close()
