"""Refusals the server explains, and ports that are not IRC: shown, and no quick reconnect loop."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.support.client import IrcClient

pytestmark = pytest.mark.timeout(40)


def refusals(server) -> int:
    return sum(1 for line in list(server.log) if " refuse " in line)


def test_too_many_connections_from_the_host_is_said_and_not_retried_soon(server_factory, spawn) -> None:
    server = server_factory("--max-per-ip", "1", "--limit-loopback")
    bob = IrcClient(server.address).register("bob")
    alice = spawn("alice", server=server, wait=False, cols=120)
    alice.wait_pane("The server refused the connection: Too many connections from your host")
    alice.wait_pane("Trying again in 5 minutes, not sooner")
    alice.wait_status("refused, retrying in 5 minutes")
    assert "disconnected" in alice.status()
    # The usual backoff would have tried again after 1 s; nothing comes in 2.
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        alice.pump(0.1)
    assert refusals(server) == 1, server.log_text()
    alice.wait_status("refused, retrying in 4m 5")   # counting down from 5 minutes
    # /reconnect tries at once; with bob gone there is room.
    bob.send("QUIT :making room")
    bob.read_until_closed()
    alice.send_line("/reconnect")
    alice.wait_status("#lobby (1 user)")
    assert "connected" in alice.status()


def test_a_port_that_is_not_irc_is_named_and_not_retried(spawn) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []

    def ssh_like() -> None:
        listener.settimeout(10)
        try:
            while True:
                conn, _ = listener.accept()
                accepted.append(conn)
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
                conn.recv(1024)
                conn.sendall(b"Invalid SSH identification string.\r\n")
                conn.close()
        except OSError:
            return

    threading.Thread(target=ssh_like, daemon=True).start()
    try:
        alice = spawn("alice", port=port, wait=False, cols=120)
        alice.wait_pane(f"127.0.0.1:{port} does not speak IRC: it is an ssh server")
        alice.wait_pane("Not reconnecting: trying again would not help (/reconnect to try anyway)")
        alice.wait_status("not reconnecting")
        deadline = time.monotonic() + 1.5   # the usual backoff would have tried again after 1 s
        while time.monotonic() < deadline:
            alice.pump(0.1)
        assert len(accepted) == 1
        assert not alice.has("Traceback")
    finally:
        listener.close()


def test_a_plain_client_on_a_tls_port_is_told_to_use_tls(server_factory, spawn, tls_files) -> None:
    server = server_factory("--tls-port", "0", "--tls-cert", tls_files.cert, "--tls-key", tls_files.key)
    _, tls_port = server.tls_address
    alice = spawn("alice", port=tls_port, wait=False, cols=120)
    alice.wait_pane("the server closed the connection without a word (a TLS port? try --tls)")
    # Three times in a row (1 s, then 2 s apart): then the client stops trying.
    alice.wait_pane("without a word (a TLS port? try --tls), 3 times in a row", timeout=10)
    alice.wait_status("not reconnecting")
