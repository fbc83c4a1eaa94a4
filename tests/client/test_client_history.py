"""History as a person sees it: filled on connect with each line's own time, caught up after a
restart (once each), older lines loaded by PageUp, our own lines confirmed by the server, and a
private message that never reached us found again after the reconnect."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

from tests.client.conftest import FAST
from tests.support.client import IrcClient
from tests.support.relay import Relay
from tests.support.seed import DAY, seed_history
from tests.support.server import CHEAP_ARGON2

pytestmark = pytest.mark.timeout(60)


def page_up_until(term, text: str, timeout: float = 10.0) -> None:
    """PageUp, again and again, until `text` is on screen."""
    deadline = time.monotonic() + timeout
    while not term.has(text):
        if time.monotonic() > deadline:
            raise AssertionError(f"PageUp never showed {text!r}\n{term.dump()}")
        term.press("pageup")
        term.pump(0.2)


def test_history_on_connect_with_its_times_then_pageup_loads_older(server_factory, spawn, tmp_path) -> None:
    data = tmp_path / "data"
    said_at = time.time() - 2 * DAY
    seed_history(data, "#lobby", [("bob!bob@10.0.0.2", f"old line {i:02}") for i in range(40)], said_at)
    server = server_factory("--data-dir", str(data), *FAST)
    alice = spawn("alice", "--history-lines", "15", server=server)
    alice.wait_pane("End of history; live from here")
    day = time.strftime("%b %d", time.localtime(said_at))
    last = alice.row_of("<bob> old line 39")
    assert alice.display[last].startswith(f"{day} {time.strftime('%H:%M', time.localtime(said_at + 39))} <bob>")
    assert "End of history" in alice.display[last + 1] and "You joined #lobby" in alice.display[last + 2]
    assert alice.has("old line 25") and not alice.has("old line 24")   # the latest 15

    page_up_until(alice, "<bob> old line 00")
    alice.press("home")
    alice.wait_for(lambda t: "Beginning of the history of #lobby on the server" in t.display[0]
                   and "old line 00" in t.display[1] and "old line 20" in t.display[21], "the very top")
    alice.press("end")
    alice.wait_for(lambda t: "more below" not in t.status(), "the end again")
    seen = []
    alice.press("home")
    for _ in range(5):             # page through everything: each line once, in order
        alice.pump(0.2)
        seen += [row for row in alice.pane() if "old line" in row and row not in seen]
        alice.press("pagedown")
    numbers = [int(row.rsplit(" ", 1)[1]) for row in seen]
    assert numbers == list(range(40)), alice.dump()


def test_after_a_restart_what_was_said_meanwhile_is_shown_once(server_factory, spawn, tmp_path) -> None:
    data = tmp_path / "data"
    server = server_factory("--data-dir", str(data), *FAST)
    bob = IrcClient(server.address).register("bob")
    alice = spawn("alice", server=server)
    bob.send("PRIVMSG #lobby :before the restart")
    alice.wait_pane("<bob> before the restart")
    alice.send_line("mine before")
    bob.expect(r"PRIVMSG #lobby :mine before$")
    alice.wait_for(lambda t: t.has("<alice> mine before") and not t.has("sent  <alice>"), "my line confirmed")
    os.kill(alice.proc.pid, signal.SIGSTOP)      # away: it reads nothing until the server is back
    try:
        server.stop()
        server = server_factory("--data-dir", str(data), "--port", str(server.port), *FAST)
        bob = IrcClient(server.address).register("bob")
        bob.send(*[f"PRIVMSG #lobby :said while away {i}" for i in range(3)])
        bob.sync()
    finally:
        os.kill(alice.proc.pid, signal.SIGCONT)
    alice.wait_said("End of what was said while you were away (3 lines); live from here", timeout=20)
    bob.send("PRIVMSG #lobby :live again")
    alice.wait_pane("<bob> live again")
    rows = alice.pane()
    for text in ("before the restart", "<alice> mine before", *(f"said while away {i}" for i in range(3))):
        assert sum(text in row for row in rows) == 1, f"{text!r} not once\n{alice.dump()}"
    order = [alice.row_of(text) for text in ("before the restart", "said while away 0", "said while away 2",
                                             "End of what was said", "live again")]
    assert order == sorted(order), alice.dump()


def test_own_lines_are_shown_as_the_server_confirms_them(spawn, chat_server) -> None:
    bob = IrcClient(chat_server.address).register("bob")
    alice = spawn("alice")
    alice.send_line("confirmed by the server")
    bob.expect(r"PRIVMSG #lobby :confirmed by the server$")
    alice.wait_for(lambda t: t.has("<alice> confirmed by the server") and not t.has("sent  <alice>"),
                   "the line with its time, not marked")
    row = alice.display[alice.row_of("<alice> confirmed by the server")]
    assert row[:2].isdigit() and row[2] == ":" and row.count("confirmed by the server") == 1
    bob.close()


PASSWORD = "correct-horse-battery"


def registered(server, nick: str) -> IrcClient:
    """A raw client that makes the account `nick` (and is logged in to it)."""
    client = IrcClient(server.address)
    client.send("CAP LS 302", f"NICK {nick}", "USER u 0 * :U", f"REGISTER * * {PASSWORD}", "CAP END")
    client.expect(rf"REGISTER SUCCESS {nick} ")
    client.expect(r" 366 ")
    return client


def test_a_private_message_lost_with_the_link_opens_its_window_after_the_reconnect(server_factory, spawn,
                                                                                     tmp_path) -> None:
    """alice's link dies without the server knowing (the relay drops what it sends), bob writes to her
    meanwhile; once her client is back it lists bob in the act list, and his window shows the line once."""
    server = server_factory("--data-dir", str(tmp_path / "data"), *CHEAP_ARGON2, *FAST)
    owner = registered(server, "alice")
    owner.send("QUIT")
    owner.read_until_closed()
    bob = registered(server, "bob")
    relay = Relay(server.address)
    try:
        alice = spawn("alice", "--sasl", server=server, port=relay.port, env={"CHAT_PASSWORD": PASSWORD})
        alice.wait_status("alice (alice) |")
        relay.blind()
        bob.send("PRIVMSG alice :did you see this while you were gone?")
        assert not any(" 401 " in line for line in bob.sync())      # delivered to alice's dead link, and kept
        alice.pump(0.2)
        assert not alice.has("did you see this")
        relay.cut()
        alice.wait_for(lambda t: re.search(r"Act: .*\d+:bob!", t.status()) is not None,
                       "bob's window in the act list", timeout=20)
        number = re.search(r"(\d+):bob!", alice.status()).group(1)
        alice.press(f"alt-{number}")
        alice.wait_pane("<bob> did you see this while you were gone?")
        alice.wait_pane("End of history; live from here")
        assert sum("did you see this" in row for row in alice.pane()) == 1, alice.dump()
        bob.send("PRIVMSG alice :and now?")
        alice.wait_pane("<bob> and now?")
        assert sum("did you see this" in row for row in alice.pane()) == 1, alice.dump()
    finally:
        relay.close()
        bob.close()
