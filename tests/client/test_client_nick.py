"""A nick lost in a reconnect comes back when it frees, and the client says so.

The client is frozen (SIGSTOP) until the server closes it for a ping
timeout; someone takes the nick meanwhile; thawed, the client reconnects
as alice_, and when the holder leaves, it becomes alice again.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.support.client import IrcClient

pytestmark = pytest.mark.timeout(40)


def test_a_reconnect_as_alice_underscore_becomes_alice_when_alice_frees(server_factory, spawn) -> None:
    server = server_factory("--ping-interval", "1", "--ping-timeout", "1")
    alice = spawn("alice", server=server)
    os.kill(alice.proc.pid, signal.SIGSTOP)
    try:
        server.wait_log(r"quit \d+ alice Ping timeout", timeout=10)
        holder = IrcClient(server.address).register("alice")
    finally:
        os.kill(alice.proc.pid, signal.SIGCONT)

    def keep_holder(seconds: float, until=lambda: False) -> None:
        """Pump alice's screen while the holder shows it is alive (it must answer the server's pings)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            holder.send("PING :still-here")
            alice.pump(0.2)

    keep_holder(10, until=lambda: "alice_ |" in alice.status() and "#lobby (2 users)" in alice.status())
    alice.wait_status("alice_ |")
    alice.press("alt-1")     # the status window: the connection's news
    alice.wait_pane("Nick alice is already in use; trying alice_")
    holder.send("QUIT :done with it")
    alice.wait_pane("alice is free again: taking it back")
    alice.wait_pane("You have your nick back: you are now known as alice")
    alice.wait_for(lambda t: t.status().startswith(" alice |"), "alice on the status line")
    holder.close()


def test_the_nick_length_comes_from_the_server(server_factory, spawn) -> None:
    server = server_factory("--nicklen", "15")
    alice = spawn("alexandrina1234", "--nicklist-cols", "0", server=server, cols=100)
    alice.wait_status("alexandrina1234 |")
    alice.send_line("/nick bartholomew_xy")
    alice.wait_pane("You are now known as bartholomew_xy")
    alice.send_line("/nick abcdefghijklmnop")       # 16: more than this server allows
    alice.wait_said("Not a valid nick: abcdefghijklmnop (letters, digits, []\\`_^{|}-, at most 15)")
