"""Leaving: QUIT with and without a message, dropped and reset connections,
ping and registration timeouts, and shutdown (PROTOCOL.md, Leaving)."""

import signal
import socket
import struct

from tests.support.client import IrcClient


def test_quit_with_a_message(connect):
    a, b = connect().register("a"), connect().register("b")
    a.sync()
    b.send("QUIT :off to bed")
    assert b.read_until_closed() == ["ERROR :Closing Link: 127.0.0.1 (off to bed)"]
    assert a.expect(r"QUIT") == ":b!user@127.0.0.1 QUIT :off to bed"


def test_quit_without_a_message_uses_the_nick(connect):
    a, b = connect().register("a"), connect().register("bobby")
    a.sync()
    b.send("QUIT")
    assert b.read_until_closed() == ["ERROR :Closing Link: 127.0.0.1 (bobby)"]
    assert a.expect(r"QUIT") == ":bobby!user@127.0.0.1 QUIT :bobby"


def test_a_dropped_connection_is_announced(connect, server):
    a, b = connect().register("a"), connect().register("b")
    a.sync()
    b.sock.shutdown(socket.SHUT_WR)
    assert a.expect(r"QUIT") == ":b!user@127.0.0.1 QUIT :Remote host closed the connection"
    server.wait_log(r"quit \S+ b Remote host closed the connection")


def test_a_reset_connection_is_announced(connect):
    a, b = connect().register("a"), connect().register("b")
    a.sync()
    b.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    b.sock.close()
    assert a.expect(r"QUIT") == ":b!user@127.0.0.1 QUIT :Connection reset by peer"


def test_server_pings_and_times_out_a_silent_client(server_factory):
    server = server_factory("--ping-interval", "0.3", "--ping-timeout", "0.3")
    quiet = IrcClient(server.address).register("quiet")
    lively = IrcClient(server.address).register("lively")
    assert quiet.expect(r"^PING ") == "PING irc.test"
    assert lively.expect(r"^PING ") == "PING irc.test"
    lively.send("PONG irc.test")
    assert quiet.read_until_closed()[-1].startswith("ERROR :Closing Link: 127.0.0.1 (Ping timeout: ")
    assert lively.expect(r"QUIT").startswith(":quiet!user@127.0.0.1 QUIT :Ping timeout: ")
    lively.close()


def test_registration_timeout(server_factory):
    server = server_factory("--registration-timeout", "0.3")
    c = IrcClient(server.address)
    c.send("NICK slow")
    assert c.read_until_closed() == ["ERROR :Closing Link: 127.0.0.1 (Registration timed out)"]


def test_sigterm_tells_every_client_and_exits_cleanly(server):
    a, b = IrcClient(server.address).register("a"), IrcClient(server.address).register("b")
    a.sync()
    server.proc.send_signal(signal.SIGTERM)
    lines_a, lines_b = a.read_until_closed(), b.read_until_closed()
    assert lines_a[-1] == lines_b[-1] == "ERROR :Closing Link: 127.0.0.1 (Server shutting down)"
    assert any(line.endswith("QUIT :Server shutting down") for line in lines_a + lines_b)
    assert server.proc.wait(10) == 0
    for event in (r"connect \S+ from 127\.0\.0\.1", r"register \S+ a a!user@127\.0\.0\.1",
                  r"quit \S+ a Server shutting down"):
        server.wait_log(event)
