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
