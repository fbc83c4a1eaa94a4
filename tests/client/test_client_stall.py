"""A terminal that stops reading (stalled ssh, scroll lock) must not stop the client's connection.

The test stops reading the client's pty while another user talks, so the
client's screen output piles up until the pty is full; the server pings
every second and closes a client that has not answered within two. After
several ping periods the client is still there, and once the terminal is
read again the screen catches up with what was said.
"""

from __future__ import annotations

import fcntl
import struct
import termios
import time

import pytest

from tests.support.client import IrcClient
from tests.support.terminal import Terminal, client_argv

pytestmark = pytest.mark.timeout(60)

STALL = 6.5
"""Seconds the terminal is not read: more than two whole ping periods (1 s idle + 2 s to answer)."""


def unread(term: Terminal) -> int:
    """Bytes the program wrote to its terminal that nobody has read yet."""
    return struct.unpack("i", fcntl.ioctl(term.proc.fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def test_an_unread_terminal_does_not_get_the_client_closed_and_the_screen_catches_up(server_factory) -> None:
    server = server_factory("--ping-interval", "1", "--ping-timeout", "2",
                            "--flood-burst", "1000", "--flood-rate", "1000")
    bob = IrcClient(server.address).register("bob")
    alice = Terminal(client_argv("127.0.0.1", "alice", "Alice", "alice", "--port", str(server.port)),
                     rows=40, cols=150, name="alice")
    try:
        alice.wait_status("#lobby (2 users)")
        sent = 0
        most = 0
        deadline = time.monotonic() + STALL
        while time.monotonic() < deadline:     # alice's pty is not read in this loop
            bob.send(*[f"PRIVMSG #lobby :message {sent + k:04} " + f"{sent + k:04}-" * 40 for k in range(5)])
            sent += 5
            most = max(most, unread(alice))
            time.sleep(0.05)
        full = unread(alice)
        assert full >= 4000 and full == most, f"the pty did not fill up: {full} unread, at most {most}"
        assert not any(" alice " in line and "Ping timeout" in line for line in server.log), server.log_text()
        assert not any("QUIT" in line for line in bob.sync())
        last = f"message {sent - 1:04}"
        alice.wait_pane(f"<bob> {last}", timeout=15)
        alice.wait_for(lambda t: "#lobby (2 users)" in t.status() and "connected" in t.status(),
                       "the status line after the stall")
        assert alice.input_line() == "[#lobby]"
        alice.send_line("still here")
        bob.expect(r"^:alice!\S+ PRIVMSG #lobby :still here$")
    finally:
        alice.close()
        bob.close()
