"""The session's life with time passed in: queueing before the room, backoff, quitting.

A socketpair stands in for the server, so each test is a few milliseconds
and nothing waits on a clock.
"""

from __future__ import annotations

import socket

import pytest

from curses_client.session import BACKOFF_MAX, ClientConfig, Session
from curses_client.state import ChatState, Phase

T0 = 1_700_000_000.0


class FakeServer:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(2)
        self.buffer = b""

    def lines(self) -> list[str]:
        """Everything the client has sent so far."""
        self.sock.setblocking(False)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.buffer += data
        except BlockingIOError:
            pass
        finally:
            self.sock.settimeout(2)
        *done, self.buffer = self.buffer.split(b"\r\n")
        return [line.decode() for line in done]

    def send(self, *lines: str) -> None:
        self.sock.sendall(b"".join(line.encode() + b"\r\n" for line in lines))


@pytest.fixture
def pair():
    client_sock, server_sock = socket.socketpair()
    client_sock.setblocking(False)
    config = ClientConfig("127.0.0.1", 1, "alice", "Alice", "alice")
    session = Session(config, ChatState(nick="alice", server="127.0.0.1:1"))
    session.attach(client_sock, T0)
    yield session, FakeServer(server_sock)
    server_sock.close()
    if session.conn is not None:
        session.conn.close()


def welcome(session: Session, server: FakeServer, now: float = T0) -> None:
    server.send(":irc.test 001 alice :Welcome", ":alice!a@h JOIN #lobby",
                ":irc.test 353 alice = #lobby :alice", ":irc.test 366 alice #lobby :End")
    session.readable(now)


def test_registration_lines(pair) -> None:
    session, server = pair
    sent = server.lines()
    assert sent[0] in ("CAP LS 302", "CAP LS :302")
    assert sent[1:3][0] == "NICK alice" and sent[2].startswith("USER alice ")
    assert session.state.phase is Phase.REGISTERING


def test_lines_typed_before_the_room_wait_for_it(pair) -> None:
    session, server = pair
    server.lines()
    session.submit("early bird", T0)
    assert server.lines() == []
    welcome(session, server)
    assert server.lines() == ["PRIVMSG #lobby :early bird"]


def test_server_that_never_joins_us_gets_our_join_then_the_lines(pair) -> None:
    session, server = pair
    server.lines()
    session.submit("hello", T0)
    server.send(":other 001 alice :Welcome", ":other 422 alice :No MOTD")
    session.readable(T0)
    session.tick(T0 + 0.1)
    assert server.lines() == []
    session.tick(T0 + 1.0)
    assert server.lines() == ["JOIN #lobby"]
    server.send(":alice!a@h JOIN #lobby")
    session.readable(T0 + 1.1)
    assert server.lines() == ["PRIVMSG #lobby :hello"]


def test_loss_backs_off_doubling_to_a_ceiling(pair) -> None:
    session, server = pair
    welcome(session, server)
    server.sock.close()
    session.readable(T0)
    assert session.state.phase is Phase.DISCONNECTED
    assert session.retry_at == T0 + 1
    delays = []
    for _ in range(8):
        delays.append(session.backoff)
        session._lost("refused", T0)  # what a failed reconnect does
    assert delays[:4] == [2, 4, 8, 16]
    assert session.backoff == BACKOFF_MAX


def test_quit_sends_quit_and_ends_when_the_server_closes(pair) -> None:
    session, server = pair
    welcome(session, server)
    server.lines()
    session.submit("/quit see you", T0)
    assert server.lines() == ["QUIT :see you"]
    assert not session.done
    server.send("ERROR :Closing Link: h (see you)")
    server.sock.close()
    session.readable(T0 + 0.1)
    assert session.done


def test_quit_gives_up_waiting_after_the_grace(pair) -> None:
    session, server = pair
    welcome(session, server)
    session.quit("Leaving", T0)
    session.tick(T0 + 0.5)
    assert not session.done
    session.tick(T0 + 5)
    assert session.done and session.conn is None


def test_keepalive_ping_then_give_up(pair) -> None:
    session, server = pair
    welcome(session, server)
    server.lines()
    session.tick(T0 + 91)
    assert server.lines() in (["PING keepalive"], ["PING :keepalive"])
    session.tick(T0 + 181)
    assert session.state.phase is Phase.DISCONNECTED
    assert "no reply from the server" in list(session.state.scrollback)[-1].text


def paced(burst: int = 10, rate: float = 1.0, **extra):
    client_sock, server_sock = socket.socketpair()
    client_sock.setblocking(False)
    config = ClientConfig("127.0.0.1", 1, "alice", "Alice", "alice", send_burst=burst, send_rate=rate, **extra)
    session = Session(config, ChatState(nick="alice", server="127.0.0.1:1"))
    session.attach(client_sock, T0)
    return session, FakeServer(server_sock)


def test_lines_past_the_burst_wait_their_turn_and_are_marked() -> None:
    session, server = paced()
    welcome(session, server)
    server.lines()
    for i in range(15):
        session.submit(f"line {i}", T0)
    # The registration took 3 of the 10; 7 go now, 8 wait, one more each second.
    sent = server.lines()
    assert sent == [f"PRIVMSG #lobby :line {i}" for i in range(7)]
    assert session.state.waiting == 8
    shown = [line for line in session.state.scrollback if line.own]
    assert [line.waiting for line in shown] == [False] * 7 + [True] * 8
    assert shown[7].plain().startswith("wait  <alice> line 7")
    session.tick(T0 + 1.0)
    assert server.lines() == ["PRIVMSG #lobby :line 7"]
    assert session.state.waiting == 7 and not shown[7].waiting and shown[7].when == T0 + 1.0
    session.tick(T0 + 1.5)
    assert server.lines() == []
    assert session.timeout(T0 + 1.5) == pytest.approx(0.5)


def test_quit_leaves_at_once_and_says_what_was_not_sent() -> None:
    session, server = paced(burst=4)
    welcome(session, server)
    for i in range(5):
        session.submit(f"line {i}", T0)
    session.submit("/quit bye", T0)
    sent = server.lines()
    assert sent[-1] == "QUIT :bye"
    assert not any("line 4" in line for line in sent)
    texts = [line.text for line in session.state.scrollback]
    assert "4 waiting lines were not sent" in texts
    assert session.state.waiting == 0


def test_pong_jumps_the_queue() -> None:
    session, server = paced(burst=4)
    welcome(session, server)
    for i in range(5):
        session.submit(f"line {i}", T0)
    server.lines()
    server.send("PING :are-you-there")
    session.readable(T0)
    assert server.lines() in (["PONG are-you-there"], ["PONG :are-you-there"])


def test_a_refusal_that_retrying_cannot_cure_stops_the_loop(pair) -> None:
    session, server = pair
    server.send("ERROR :Closing Link: 127.0.0.1 (K-Lined: go away)")
    server.sock.close()
    session.readable(T0)
    texts = [line.text for line in session.state.scrollback]
    assert "The server refused the connection: K-Lined: go away" in texts
    assert session.retry_at is None and session.state.detail == "not reconnecting"
    assert any(text.startswith("Not reconnecting") for text in texts)


def test_too_many_connections_slows_the_retries_to_minutes(pair) -> None:
    session, server = pair
    server.send("ERROR :Closing Link: 127.0.0.1 (Too many connections from your host)")
    server.sock.close()
    session.readable(T0)
    assert session.retry_at == T0 + 300
    assert session.state.detail == "refused, retrying in 5 minutes"
    session.tick(T0 + 61)
    assert session.state.detail == "refused, retrying in 3m 59s"


def test_a_port_that_is_not_irc_stops_the_loop(pair) -> None:
    session, server = pair
    server.send("SSH-2.0-OpenSSH_9.2p1 Debian-2")
    server.sock.close()
    session.readable(T0)
    texts = [line.text for line in session.state.scrollback]
    assert any("does not speak IRC: it is an ssh server" in text for text in texts), texts
    assert session.retry_at is None


def test_an_error_after_our_quit_is_no_error(pair) -> None:
    session, server = pair
    welcome(session, server)
    session.submit("/quit", T0)
    server.send("ERROR :Closing Link: 127.0.0.1 (Quit: Leaving)")
    server.sock.close()
    session.readable(T0)
    assert session.done
    last = list(session.state.windows.status.scrollback)[-1]
    assert last.kind.value == "status" and "Closing Link" in last.text


def test_nick_taken_back_with_monitor() -> None:
    session, server = paced()
    server.lines()
    server.send(":irc.test 433 * alice :Nickname is already in use")
    session.readable(T0)
    server.send(":irc.test 001 alice_ :Welcome", ":irc.test 005 alice_ MONITOR=100 NICKLEN=30 :are supported",
                ":irc.test 422 alice_ :No MOTD", ":alice_!a@h JOIN #lobby")
    session.readable(T0)
    session.tick(T0 + 0.1)
    assert "MONITOR + alice" in server.lines()
    server.send(":irc.test 731 alice_ :alice")
    session.readable(T0 + 5)
    assert server.lines() == ["NICK alice"]
    server.send(":alice_!a@h NICK alice")
    session.readable(T0 + 5)
    assert session.state.nick == "alice"
    assert "You have your nick back: you are now known as alice" in [l.text for l in session.state.scrollback]


def test_nick_taken_back_with_ison_polling() -> None:
    session, server = paced(nick_poll=30.0)
    server.send(":irc.test 433 * alice :Nickname is already in use")
    session.readable(T0)
    server.send(":irc.test 001 alice_ :Welcome", ":irc.test 422 alice_ :No MOTD", ":alice_!a@h JOIN #lobby")
    session.readable(T0)
    server.lines()
    session.tick(T0 + 1)
    assert server.lines() == []
    session.tick(T0 + 31)
    assert server.lines() == ["ISON alice"]
    server.send(":irc.test 303 alice_ :alice")   # still there: nothing, and nothing on screen
    session.readable(T0 + 31)
    assert server.lines() == []
    assert not any(line.text.startswith("Online") for line in session.state.scrollback)
    session.tick(T0 + 61)
    assert server.lines() == ["ISON alice"]
    server.send(":irc.test 303 alice_ :")
    session.readable(T0 + 61)
    assert server.lines() == ["NICK alice"]


def test_the_welcome_block_is_shown_once() -> None:
    session, server = paced()
    block = (":irc.test 001 alice :Welcome to the test net", ":irc.test 002 alice :Your host is irc.test",
             ":irc.test 375 alice :- irc.test Message of the day -", ":irc.test 372 alice :- be nice",
             ":irc.test 376 alice :End of /MOTD command.")
    server.send(*block)
    session.readable(T0)
    server.sock.close()
    session.readable(T0)
    client_sock, server_sock = socket.socketpair()
    client_sock.setblocking(False)
    session.attach(client_sock, T0 + 2)
    server = FakeServer(server_sock)
    server.send(*block)
    session.readable(T0 + 2)
    texts = [line.text for line in session.state.scrollback]
    assert texts.count("- be nice") == 1 and texts.count("Welcome to the test net") == 1
    assert "Reconnected to irc.test as alice" in texts


def test_a_tls_handshake_nobody_answers_times_out() -> None:
    from curses_client.config import TlsConfig
    from curses_client.connection import Connection
    from curses_client.tls import make_context

    client_sock, server_sock = socket.socketpair()
    client_sock.setblocking(False)
    tls = TlsConfig(enabled=True, insecure=True)
    config = ClientConfig("127.0.0.1", 1, "alice", "Alice", "alice", tls=tls, connect_timeout=30.0)
    session = Session(config, ChatState(nick="alice", server="127.0.0.1:1"))
    session.conn = Connection(client_sock, tls, make_context(tls), "127.0.0.1")
    session.conn._connected()   # TCP is up; the handshake starts and the other side never answers
    session.last_heard = T0
    session.tick(T0 + 10)
    assert session.conn is not None and session.timeout(T0 + 10) <= 20
    session.tick(T0 + 30)
    assert session.conn is None
    texts = [line.text for line in session.state.scrollback]
    assert any("no answer to the TLS handshake in 30s" in text for text in texts), texts
    server_sock.close()


def test_a_reconnect_joins_every_channel_again_and_asks_what_was_missed() -> None:
    session, server = paced(burst=50)
    server.send(":irc.test CAP * LS :batch draft/chathistory message-tags server-time")
    session.readable(T0)
    server.send(":irc.test CAP * ACK :message-tags server-time batch draft/chathistory",
                ":irc.test 001 alice :Welcome", ":irc.test 422 alice :No MOTD", ":alice!a@h JOIN #lobby",
                ":alice!a@h JOIN #dev", "@msgid=d1;time=2026-11-30T10:00:00.000Z :bob!b@h PRIVMSG #dev :hi")
    session.readable(T0)
    server.lines()
    server.sock.close()
    session.readable(T0 + 1)
    assert [w.joined for w in session.state.windows.channels()] == [False, False]
    client_sock, server_sock = socket.socketpair()
    client_sock.setblocking(False)
    session.attach(client_sock, T0 + 2)
    server = FakeServer(server_sock)
    server.send(":irc.test CAP * LS :batch draft/chathistory message-tags server-time")
    session.readable(T0 + 2)
    server.send(":irc.test CAP * ACK :message-tags server-time batch draft/chathistory",
                ":irc.test 001 alice :Welcome", ":irc.test 422 alice :No MOTD", ":alice!a@h JOIN #lobby")
    session.readable(T0 + 2)
    session.tick(T0 + 3)                    # the server put us back in #lobby only
    sent = server.lines()
    assert "JOIN #dev" in sent and "JOIN #lobby" not in sent
    server.send(":alice!a@h JOIN #dev")
    session.readable(T0 + 3)
    assert server.lines() == ["CHATHISTORY AFTER #dev msgid=d1 1000"]
    assert [w.name for w in session.state.joined()] == ["#lobby", "#dev"]
