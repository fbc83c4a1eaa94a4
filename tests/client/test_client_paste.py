"""Pastes as a terminal sends them (bracketed): a big one asks first, then leaves at the server's pace.

The server runs with its default flood backlog (20 lines held, then
`Excess flood`) and a quicker rate than its default (5 lines a second, so
the test takes seconds, not half a minute); the client is told the same
budget with --send-burst and --send-rate.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.support.client import IrcClient

pytestmark = pytest.mark.timeout(60)

BUDGET = ("--flood-burst", "10", "--flood-rate", "5")
PACED = ("--send-burst", "10", "--send-rate", "5")


def test_a_35_line_paste_asks_then_every_line_arrives_in_order_and_nobody_is_kicked(server_factory, spawn) -> None:
    server = server_factory(*BUDGET)
    bob = IrcClient(server.address).register("bob")
    alice = spawn("alice", *PACED, server=server)
    alice.wait_status("#lobby (2 users)")
    lines = [f"pasted line {n:02}" for n in range(1, 36)]
    alice.paste("\n".join(lines) + "\n")
    alice.wait_status("Paste 35 lines? y/Enter: send them, j: send as one line, n/Esc: cancel")
    assert not any("PRIVMSG" in line for line in bob.sync())   # nothing has left before the answer
    alice.type("y")

    counts: list[int] = []

    def count_seen(term) -> bool:
        match = re.search(r"(\d+) waiting", term.status())
        if match and (not counts or counts[-1] != int(match.group(1))):
            counts.append(int(match.group(1)))
        return "waiting" not in term.status() and bool(counts)

    alice.wait_pane("wait  <alice> pasted line 35")   # marked until it leaves
    alice.wait_for(count_seen, "the waiting count to count down to nothing", timeout=20)
    assert len(counts) >= 3 and counts == sorted(counts, reverse=True), counts
    assert counts[0] >= 20, counts
    alice.wait_for(lambda t: any(re.match(r"\d\d:\d\d <alice> pasted line 35$", row) for row in t.pane()),
                   "the last line shown with the time it left")
    got = [bob.expect_message(r" PRIVMSG #lobby :").params[1] for _ in lines]
    assert got == lines
    assert not any("QUIT" in line for line in bob.sync()), "nobody was kicked"
    assert "connected" in alice.status() and not alice.has("Excess flood")
    bob.close()


def test_the_same_paste_unpaced_is_what_gets_a_user_kicked(server_factory, spawn) -> None:
    """The server's budget in these tests is real: sent at once, a paste passes its backlog.

    100 lines, not 35: the budget lets 30 through at once and 5 more each
    second, so the kick must not depend on how fast a busy machine sends.
    """
    server = server_factory(*BUDGET)
    bob = IrcClient(server.address).register("bob")
    alice = spawn("alice", "--send-burst", "1000", "--send-rate", "1000", server=server)
    alice.wait_status("#lobby (2 users)")
    alice.paste("".join(f"flood {n}\n" for n in range(100)))
    alice.wait_status("Paste 100 lines?")
    alice.press("enter")
    bob.expect(r"^:alice!\S+ QUIT :Excess flood$", timeout=15)
    alice.wait_pane("Excess flood")
    bob.close()


def test_a_paste_can_be_cancelled_or_sent_as_one_line(spawn, chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    alice = spawn("alice")
    alice.wait_status("#lobby (2 users)")
    alice.paste("one\ntwo\nthree\nfour\nfive\nsix\n")
    alice.wait_status("Paste 6 lines?")
    alice.type("x")                                   # not an answer: the question stays
    alice.press("escape")
    alice.wait_pane("Paste of 6 lines cancelled")
    assert "Paste" not in alice.status() and alice.input_line() == "[#lobby]"
    alice.paste("one\ntwo\nthree\nfour\nfive\nsix")
    alice.wait_status("Paste 6 lines?")
    alice.type("j")
    alice.wait_pane("<alice> one two three four five six")
    bob.expect(r"PRIVMSG #lobby :one two three four five six$")
    assert [m for m in bob.seen if " PRIVMSG " in m] == [
        ":alice!alice@127.0.0.1 PRIVMSG #lobby :one two three four five six"], "the cancelled paste never left"
    bob.close()


def test_a_short_paste_is_sent_as_typed_keeping_tabs_and_never_completing(spawn, chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bobby")
    alice = spawn("alice")
    alice.wait_status("#lobby (2 users)")
    alice.paste("bo\tindented")                       # no newline: stays in the input line
    alice.wait_for(lambda t: t.input_line() == "[#lobby] bo    indented", "the tab kept as spaces on screen")
    alice.press("enter")
    bob.expect("PRIVMSG #lobby :bo\tindented$")       # the tab itself reached the server
    alice.paste("def f():\n\treturn 1\n/quit is just text here\n")
    for text in ("def f():", "\treturn 1", "/quit is just text here"):
        bob.expect(f"PRIVMSG #lobby :{re.escape(text)}$")
    alice.wait_pane("<alice>     return 1")
    assert alice.proc.isalive() and "connected" in alice.status()
    bob.close()


ON, OFF = b"\x1b[?2004h", b"\x1b[?2004l"


def paste_mode_off(term) -> bool:
    return term.raw.rfind(OFF) > term.raw.rfind(ON) >= 0


@pytest.mark.parametrize("leave", ["/quit", "ctrl-c", "SIGTERM", "/raw QUIT"])
def test_bracketed_paste_is_on_with_the_screen_and_off_on_every_way_out(spawn, leave: str) -> None:
    import signal

    alice = spawn("alice", wrapped=True)
    assert ON in alice.raw and not paste_mode_off(alice)
    if leave == "/quit":
        alice.send_line("/quit")
    elif leave == "ctrl-c":
        alice.press("ctrl-c")
    elif leave == "SIGTERM":
        client = [p for p in _children(alice.proc.pid)][0]
        os.kill(client, signal.SIGTERM)
    else:
        alice.send_line("/raw QUIT :bye")
    alice.wait_text("MODES: ixon isig icanon echo")
    assert paste_mode_off(alice), bytes(alice.raw[-300:])


def test_ctrl_z_gives_the_terminal_back_and_fg_takes_it_again(spawn) -> None:
    import signal
    import time

    alice = spawn("alice")
    alice.press("ctrl-z")
    deadline = time.monotonic() + 5
    while _state(alice.proc.pid) != "T":
        assert time.monotonic() < deadline, "the client did not stop"
        alice.pump(0.05)
    alice.pump(0.2)
    assert paste_mode_off(alice)
    os.kill(alice.proc.pid, signal.SIGCONT)
    alice.wait_for(lambda t: not paste_mode_off(t), "bracketed paste on again")
    alice.wait_status("#lobby (1 user)")
    alice.send_line("back again")
    alice.wait_pane("<alice> back again")


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(p) for p in children.read().split()]
