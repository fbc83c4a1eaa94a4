"""A real server attacked over loopback sockets (PROTOCOL.md, "Liveness and limits").

Every attack is bounded in bytes and in time (deadlines, never sleeps used as
assertions). After each one, two witnesses, alice and bob, must still talk to
each other, and nothing they ever received may carry a forged prefix, a CR, a
NUL or more than 512 bytes.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from tests.support.client import CAPS, Closed, IrcClient
from tests.support.server import SERVER_NAME, ServerProcess, start_server

PREFIX = re.compile(r"^:(\S+) ")
TRUE_PREFIX = re.compile(r"^[A-Za-z\[\]\\`_^{|}][-A-Za-z0-9\[\]\\`_^{|}]*![A-Za-z0-9._~-]+@127\.0\.0\.1$")
LOOSE = ("--max-per-ip", "1000", "--flood-burst", "50")
"""For attacks that are not about these limits: many connections, transcripts of many lines."""

_checks = itertools.count(1)


# --- the arena: a server, two witnesses, and however many attackers -------

class Arena:
    """One server, the witnesses alice and bob, and the attackers a test opens."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.clients: list[IrcClient] = []
        self.alice = self.client().register("alice", "wa", "Alice Witness")
        self.bob = self.client().register("bob", "wb", "Bob Witness")
        self.alice.expect(r"^:bob!wb@127\.0\.0\.1 JOIN #lobby$")

    def client(self) -> IrcClient:
        client = IrcClient(self.server.address)
        self.clients.append(client)
        return client

    def attacker(self, nick: str = "mallory") -> IrcClient:
        """A registered attacker, its arrival already seen by both witnesses."""
        client = self.client().register(nick, "m", "Mallory")
        for witness in (self.alice, self.bob):
            witness.expect(rf"^:{re.escape(nick)}!m@127\.0\.0\.1 JOIN #lobby$")
        return client

    def witnesses_still_chat(self) -> None:
        """The server still serves others: a lobby message one way, a private one back."""
        n = next(_checks)
        self.alice.send(f"PRIVMSG #lobby :witness check {n}")
        assert self.bob.expect(r" PRIVMSG #lobby :witness check ") == \
            f":alice!wa@127.0.0.1 PRIVMSG #lobby :witness check {n}"
        self.bob.send(f"PRIVMSG alice :witness answer {n}")
        assert self.alice.expect(r" PRIVMSG alice :witness answer ") == \
            f":bob!wb@127.0.0.1 PRIVMSG alice :witness answer {n}"
        for witness in (self.alice, self.bob):
            assert_nothing_forged(witness.seen)

    def witness_lines(self) -> tuple[list[str], list[str]]:
        """What each witness received up to now (a PING barrier, no sleeping).

        Sync the attacker first: only lines the server has already handled
        are sure to be in the witnesses' queues before their PONG.
        """
        return self.alice.sync(), self.bob.sync()

    def close(self) -> None:
        for client in self.clients:
            client.close()


def assert_nothing_forged(lines: list[str]) -> None:
    """Each line came from the server or a real user at its real address, and is one clean line."""
    for line in lines:
        assert "\r" not in line and "\0" not in line, line
        assert len(line.encode()) <= 510, line
        match = PREFIX.match(line)
        if match is None:
            assert line.split(" ", 1)[0] in ("PING", "ERROR"), line
        else:
            assert match.group(1) == SERVER_NAME or TRUE_PREFIX.match(match.group(1)), line


def from_mallory(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(":mallory!")]


def read_matching(client: IrcClient, pattern: str, count: int, timeout: float) -> list[str]:
    """Read until `count` lines matched `pattern`, within `timeout` seconds; return them."""
    regex = re.compile(pattern)
    deadline = time.monotonic() + timeout
    matched: list[str] = []
    while len(matched) < count:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only {len(matched)} of {count} lines matching {pattern!r}"
        line = client.read_line(remaining)
        if regex.search(line):
            matched.append(line)
    return matched


@pytest.fixture
def arena_factory() -> Iterator:
    made: list[tuple[ServerProcess, Arena]] = []

    def make(*flags: str) -> Arena:
        server = start_server(*flags)
        try:
            arena = Arena(server)
        except Exception:
            server.stop()
            raise
        made.append((server, arena))
        return arena

    yield make
    for server, arena in made:
        arena.close()
        server.stop()
        assert "Traceback" not in server.log_text(), server.log_text()


@pytest.fixture
def arena(arena_factory) -> Arena:
    return arena_factory(*LOOSE)


def vm_kib(pid: int, field: str) -> int:
    """A /proc/PID/status memory figure (VmRSS, VmHWM) in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets an RST, not a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


# --- input framing: long lines, bad bytes, line endings --------------------

@pytest.mark.parametrize("size", [513, 64 * 1024, 4 * 1024 * 1024])
def test_overlong_line_gets_one_417_and_is_never_relayed(arena, size):
    mallory = arena.attacker()
    body = b"PRIVMSG #lobby :" + b"x" * (size - len(b"PRIVMSG #lobby :") - 2)
    mallory.send_raw(body + b"\r\n")
    mallory.send("PRIVMSG #lobby :after the long one")
    assert arena.alice.expect(r"after the long one") == \
        ":mallory!m@127.0.0.1 PRIVMSG #lobby :after the long one"
    assert mallory.sync() == [":irc.test 417 mallory :Input line was too long"]
    assert from_mallory(arena.bob.sync()) == [":mallory!m@127.0.0.1 PRIVMSG #lobby :after the long one"]
    arena.witnesses_still_chat()


def test_several_mib_without_a_newline_are_skipped_not_kept(arena):
    mallory = arena.attacker()
    rss_before = vm_kib(arena.server.proc.pid, "VmRSS")
    chunk = b"PRIVMSG #lobby :" + b"y" * (1024 * 1024)
    for _ in range(6):  # 6 MiB, no line ending anywhere
        mallory.send_raw(chunk)
    mallory.send_raw(b"\r\nPRIVMSG #lobby :still here\r\n")
    assert arena.bob.expect(r"still here") == ":mallory!m@127.0.0.1 PRIVMSG #lobby :still here"
    assert mallory.sync() == [":irc.test 417 mallory :Input line was too long"]
    grown = vm_kib(arena.server.proc.pid, "VmRSS") - rss_before
    assert grown < 4 * 1024, f"server RSS grew by {grown} KiB while skipping 6 MiB"
    arena.witnesses_still_chat()


def test_a_line_of_exactly_512_bytes_is_accepted_and_relayed_truncated(arena):
    mallory = arena.attacker()
    text = "z" * (510 - len("PRIVMSG #lobby :"))
    mallory.send(f"PRIVMSG #lobby :{text}")
    relayed = arena.alice.expect(r"^:mallory!\S+ PRIVMSG #lobby :z")
    assert len(relayed.encode()) == 510 and text.startswith(relayed.split(" :", 1)[1])
    assert mallory.sync() == []
    arena.witnesses_still_chat()


def test_invalid_utf8_is_read_as_latin1(arena):
    mallory = arena.attacker()
    mallory.send_raw(b"PRIVMSG #lobby :caf\xe9 \xff\xfe\xc3\r\n")
    mallory.send_raw(b"PRIVMSG #lobby :\xc3\xa9t\xc3\xa9 is fine\r\n")
    mallory.send_raw(b"NICK m\xe9\r\n")
    assert mallory.sync() == [":irc.test 432 mallory m\u00e9 :Erroneous nickname"]
    assert from_mallory(arena.bob.sync()) == [
        ":mallory!m@127.0.0.1 PRIVMSG #lobby :caf\u00e9 \u00ff\u00fe\u00c3",
        ":mallory!m@127.0.0.1 PRIVMSG #lobby :\u00e9t\u00e9 is fine",
    ]
    arena.witnesses_still_chat()


def test_nul_bytes_never_reach_anyone(arena):
    mallory = arena.attacker()
    mallory.send_raw(b"\0\0\0\r\n")
    mallory.send_raw(b"PRIVMSG #lobby :a\0b\0:irc.test KILL bob\r\n")
    mallory.send_raw(b"AWAY :gone\0fishing\r\n")
    mallory.send_raw(b"QUIT :bye\0:alice!wa@127.0.0.1 PRIVMSG #lobby :fake\r\n")
    assert mallory.read_until_closed()[-1] == \
        "ERROR :Closing Link: 127.0.0.1 (bye :alice!wa@127.0.0.1 PRIVMSG #lobby :fake)"
    assert from_mallory(arena.bob.sync()) == [
        ":mallory!m@127.0.0.1 PRIVMSG #lobby :a b :irc.test KILL bob",
        ":mallory!m@127.0.0.1 QUIT :bye :alice!wa@127.0.0.1 PRIVMSG #lobby :fake",
    ]
    arena.witnesses_still_chat()


def test_bare_cr_and_bare_lf_each_end_a_line(arena):
    mallory = arena.attacker()
    mallory.send_raw(b"PRIVMSG #lobby :one\rPRIVMSG #lobby :two\nPRIVMSG #lobby :three\r\n\r\r\n\n")
    assert mallory.sync() == []
    assert from_mallory(arena.alice.sync()) == [
        ":mallory!m@127.0.0.1 PRIVMSG #lobby :one",
        ":mallory!m@127.0.0.1 PRIVMSG #lobby :two",
        ":mallory!m@127.0.0.1 PRIVMSG #lobby :three",
    ]
    arena.witnesses_still_chat()


# --- impersonation and injection -------------------------------------------

def test_a_forged_prefix_is_replaced_by_the_true_one(arena):
    mallory = arena.attacker()
    mallory.send(
        ":alice!wa@127.0.0.1 PRIVMSG #lobby :I am alice",
        ":irc.test NOTICE bob :server notice, honest",
        "@time=x :bob!wb@127.0.0.1 PRIVMSG alice :from bob, honest",
        ":irc.test 001 bob :Welcome back",
        ":alice!wa@127.0.0.1 NICK alice2",
    )
    assert mallory.sync() == [
        ":irc.test 421 mallory 001 :Unknown command",
        ":mallory!m@127.0.0.1 NICK alice2",
    ]
    assert from_mallory(arena.bob.sync()) == [
        ":mallory!m@127.0.0.1 PRIVMSG #lobby :I am alice",
        ":mallory!m@127.0.0.1 NOTICE bob :server notice, honest",
        ":mallory!m@127.0.0.1 NICK alice2",
    ]
    assert ":mallory!m@127.0.0.1 PRIVMSG alice :from bob, honest" in arena.alice.sync()
    arena.witnesses_still_chat()


@pytest.mark.parametrize("payload", [
    b"PRIVMSG #lobby :hi\r\n:irc.test KILL bob :forged\r\n",
    b"PRIVMSG #lobby :hi\r:alice!wa@127.0.0.1 PRIVMSG #lobby :forged\r\n",
    b"PRIVMSG #lobby :hi\n:irc.test 433 * bob :forged\r\n",
    b"PRIVMSG bob :hi\r\n\r\n:alice!wa@127.0.0.1 PRIVMSG bob :forged\r\n",
    b"NICK ev\r\n:irc.test ERROR :forged\r\n",
    b"AWAY :x\r\n:irc.test 301 bob mallory :forged\r\nPRIVMSG mallory :to myself\r\n",
])
def test_crlf_inside_a_parameter_cannot_forge_a_line(arena, payload):
    mallory = arena.attacker()
    mallory.send_raw(payload)
    mallory.sync()
    alice_lines, bob_lines = arena.witness_lines()
    for line in alice_lines + bob_lines:
        assert not line.startswith((":irc.test KILL", ":alice!", ":bob!", ":irc.test 433", "ERROR")), line
    arena.witnesses_still_chat()


def test_crlf_cannot_hide_in_stored_fields_shown_to_others(arena):
    """Realname, away message and quit reason come back to others cleaned of NUL."""
    sneaky = arena.client()
    sneaky.send_raw(b"NICK sneaky\r\nUSER s 0 * :Real\0:irc.test 001 bob :forged\r\n")
    sneaky.expect(r" 366 ")
    sneaky.send_raw(b"AWAY :out\0:irc.test 001 bob :forged\r\n")
    sneaky.sync()
    arena.alice.send("WHOIS sneaky")
    whois = arena.alice.expect(r" 311 ")
    assert whois == ":irc.test 311 alice sneaky s 127.0.0.1 * :Real :irc.test 001 bob :forged"
    arena.alice.send("PRIVMSG sneaky :hello?")
    assert arena.alice.expect(r" 301 ") == ":irc.test 301 alice sneaky :out :irc.test 001 bob :forged"
    arena.witnesses_still_chat()


def test_commands_with_many_parameters(arena):
    mallory = arena.attacker()
    many = " ".join(f"p{i}" for i in range(100))  # 100 parameters in under 512 bytes
    mallory.send(
        "PRIVMSG #lobby,bob,alice,bob,BOB,#LOBBY,nobody,x,y,z :many targets",
        f"ISON {' '.join(['alice', 'bob'] * 40)}",
        f"USERHOST {many}",
        f"WHOIS {','.join(['bob'] * 50)}",
        f"JOIN {','.join(['#lobby'] * 50)}",
        f"MODE mallory {'+i' * 200}",
        f"FOO {many}",
        "PRIVMSG " + " ".join(["#lobby"] * 30) + " :tail",
    )
    replies = mallory.sync()
    assert not any(" 417 " in line for line in replies)
    assert all(len(line.encode()) <= 510 for line in replies)
    assert any(line.startswith(":irc.test 303 mallory :alice bob alice bob") for line in replies)
    assert ":irc.test 421 mallory FOO :Unknown command" in replies
    bob_lines = from_mallory(arena.bob.sync())
    assert bob_lines.count(":mallory!m@127.0.0.1 PRIVMSG #lobby :many targets") == 1
    assert bob_lines.count(":mallory!m@127.0.0.1 PRIVMSG bob :many targets") == 1
    assert ":mallory!m@127.0.0.1 PRIVMSG #lobby :#lobby" in bob_lines
    arena.witnesses_still_chat()


# --- identity: nicknames, USER twice, commands too early ----------------------

def test_nick_edge_cases(arena):
    c = arena.client()
    c.send("NICK", "NICK :", "NICK 1abc", "NICK -abc", "NICK abcdefghij", "NICK a:b", "NICK #lobby",
           "NICK *", "NICK \u00e9t\u00e9", "NICK a!b", "NICK a@b", "NICK alice", "NICK ALICE", "NICK Bob")
    assert c.sync() == [
        ":irc.test 431 * :No nickname given",
        ":irc.test 431 * :No nickname given",
        ":irc.test 432 * 1abc :Erroneous nickname",
        ":irc.test 432 * -abc :Erroneous nickname",
        ":irc.test 432 * abcdefghij :Erroneous nickname",
        ":irc.test 432 * a:b :Erroneous nickname",
        ":irc.test 432 * #lobby :Erroneous nickname",
        ":irc.test 432 * * :Erroneous nickname",
        ":irc.test 432 * \u00e9t\u00e9 :Erroneous nickname",
        ":irc.test 432 * a!b :Erroneous nickname",
        ":irc.test 432 * a@b :Erroneous nickname",
        ":irc.test 433 * alice :Nickname is already in use",
        ":irc.test 433 * ALICE :Nickname is already in use",
        ":irc.test 433 * Bob :Nickname is already in use",
    ]
    c.send("NICK [\\]^_`{|}", "USER x 0 * :Specials")
    c.expect(r" 001 \[\\\]\^_`\{\|\} ")
    arena.alice.expect(r"^:\[\\\]\^_`\{\|\}!x@127\.0\.0\.1 JOIN #lobby$")
    arena.witnesses_still_chat()


def test_rfc1459_casemapping_collisions(arena):
    first = arena.client().register("x[y]\\", "m", "First")
    second = arena.client()
    second.send("NICK X{Y}|", "NICK x{y]|", "NICK X[Y]\\", "NICK x~y", "NICK other")
    assert second.sync() == [
        ":irc.test 433 * X{Y}| :Nickname is already in use",
        ":irc.test 433 * x{y]| :Nickname is already in use",
        ":irc.test 433 * X[Y]\\ :Nickname is already in use",
        ":irc.test 432 * x~y :Erroneous nickname",
    ]
    second.send("USER o 0 * :Other")
    second.expect(r" 366 ")
    second.send("NICK X{y}|")
    assert second.sync() == [":irc.test 433 other X{y}| :Nickname is already in use"]
    first.send("NICK X{Y}|")  # its own nick in another case: allowed, and everyone sees it
    assert arena.bob.expect(r" NICK ") == ":x[y]\\!m@127.0.0.1 NICK X{Y}|"
    arena.alice.send("PRIVMSG x[y]\\ :found by its folded name")
    assert first.expect(r"PRIVMSG") == ":alice!wa@127.0.0.1 PRIVMSG X{Y}| :found by its folded name"
    arena.witnesses_still_chat()


def test_user_twice(arena):
    c = arena.client()
    c.send("USER first 0 * :First", "USER second 0 * :Second")
    assert c.sync() == [":irc.test 462 * :You may not reregister"]
    c.send("NICK twice")
    c.expect(r" 366 ")
    c.send("USER third 0 * :Third")
    assert c.sync() == [":irc.test 462 twice :You may not reregister"]
    assert arena.bob.expect(r"JOIN") == ":twice!first@127.0.0.1 JOIN #lobby"
    arena.witnesses_still_chat()


def test_commands_before_registration(arena):
    c = arena.client()
    c.send("PRIVMSG #lobby :sneaking in", "PRIVMSG alice :psst", "NOTICE bob :psst", "JOIN #lobby",
           "WHOIS alice", "MODE alice +i", "FOO bar", "AWAY :x", "PING early", "CAP LS 302", "CAP END")
    assert c.sync() == [":irc.test 451 * :You have not registered"] * 8 + [
        ":irc.test PONG irc.test :early",
        f":irc.test CAP * LS :{CAPS}",
    ]
    alice_lines, bob_lines = arena.witness_lines()
    assert not any("psst" in line or "sneaking" in line for line in alice_lines + bob_lines)
    arena.witnesses_still_chat()


# --- floods and slow clients ----------------------------------------------

def test_a_thousand_lines_in_one_send_is_excess_flood(arena_factory):
    arena = arena_factory()  # default flood limits: burst 10, 1 line/s, 20 waiting
    mallory = arena.attacker()
    flood = b"".join(b"PRIVMSG #lobby :flood %d\r\n" % i for i in range(1000))
    started = time.monotonic()
    mallory.send_raw(flood)
    assert mallory.read_until_closed()[-1] == "ERROR :Closing Link: 127.0.0.1 (Excess flood)"
    assert time.monotonic() - started < 5
    quit_line = arena.bob.expect(r" QUIT ")
    assert quit_line == ":mallory!m@127.0.0.1 QUIT :Excess flood"
    relayed = [line for line in arena.bob.seen if "PRIVMSG #lobby :flood" in line]
    assert relayed == [f":mallory!m@127.0.0.1 PRIVMSG #lobby :flood {i}" for i in range(len(relayed))]
    assert len(relayed) <= 11  # the burst, then at most the line that was being delayed
    arena.witnesses_still_chat()


def test_lines_of_spaces_or_nuls_are_ignored_but_cost_flood_budget(arena_factory):
    """They are not commands, so nothing answers them; but a stream of them is still a flood."""
    arena = arena_factory()  # default flood limits
    mallory = arena.attacker()
    mallory.send_raw(b"   \r\n\0\0\r\n@tag=only\r\n")
    assert mallory.sync() == []
    mallory.send_raw(b"    \r\n" * 1000)
    assert mallory.read_until_closed()[-1] == "ERROR :Closing Link: 127.0.0.1 (Excess flood)"
    assert arena.bob.expect(r" QUIT ") == ":mallory!m@127.0.0.1 QUIT :Excess flood"
    arena.witnesses_still_chat()


def test_a_flood_is_first_slowed_not_dropped(arena_factory):
    arena = arena_factory("--flood-burst", "3", "--flood-rate", "20")
    mallory = arena.attacker()
    started = time.monotonic()
    mallory.send(*(f"PRIVMSG #lobby :slow {i}" for i in range(13)))
    for i in range(13):
        assert arena.bob.expect(r"PRIVMSG #lobby :slow") == f":mallory!m@127.0.0.1 PRIVMSG #lobby :slow {i}"
    assert time.monotonic() - started >= 10 / 20 * 0.9  # 10 lines past the burst at 20 a second
    assert mallory.sync() == []
    arena.witnesses_still_chat()


def test_ping_and_pong_have_a_budget_of_their_own(arena_factory):
    """PING/PONG: burst 20, then 5 a second, delayed past it; talking keeps its own budget of 10."""
    arena = arena_factory()  # default flood limits
    mallory = arena.attacker()
    mallory.send(*(f"PING p{i}" for i in range(20)), *(["PONG irc.test"] * 5), "PING last")
    pongs = read_matching(mallory, r"^:irc\.test PONG irc\.test :(p\d+|last)$", 21, timeout=10)
    assert pongs[-1] == ":irc.test PONG irc.test :last"  # six lines past the burst: delayed, not refused
    mallory.send(*(f"PRIVMSG #lobby :still within my budget {i}" for i in range(10)))
    said = read_matching(arena.bob, r"budget", 10, timeout=5)
    assert said[-1] == ":mallory!m@127.0.0.1 PRIVMSG #lobby :still within my budget 9"
    arena.witnesses_still_chat()


def test_a_ping_stream_is_excess_flood_and_holds_up_nobody(arena):
    """PING is no longer free: two clients streaming it are closed, and the chat goes on."""
    endings: list[bytes] = [b"", b""]

    def stream(index: int) -> None:
        sock = socket.create_connection(arena.server.address, timeout=10)
        sock.sendall(b"NICK pinger%d\r\nUSER p 0 * :Pinger\r\n" % index)
        chunk = b"PING :stream\r\n" * 4096
        with contextlib.suppress(OSError):
            for _ in range(50):
                sock.sendall(chunk)
        with contextlib.suppress(OSError):
            while data := sock.recv(1 << 20):
                endings[index] = (endings[index] + data)[-200:]
        sock.close()

    streamers = [threading.Thread(target=stream, args=(i,)) for i in range(2)]
    for streamer in streamers:
        streamer.start()
    for streamer in streamers:
        streamer.join(30)
    for ending in endings:
        assert ending.endswith(b"ERROR :Closing Link: 127.0.0.1 (Excess flood)\r\n"), ending
    arena.witnesses_still_chat()


def test_slowloris_connections_time_out_from_connect(arena_factory):
    """Bytes trickling in do not extend the registration timeout: it runs from connect."""
    arena = arena_factory(*LOOSE, "--registration-timeout", "1")
    lorises = [arena.client() for _ in range(20)]
    texts = [b"NICK loris%d\r\nUSER l 0 * :" % i + b"x" * 400 for i in range(len(lorises))]
    received = [b""] * len(lorises)
    closed_after: dict[int, float] = {}
    for loris in lorises:
        loris.sock.setblocking(False)
    started = time.monotonic()
    step = 0
    while len(closed_after) < len(lorises) and time.monotonic() - started < 6:
        for i, loris in enumerate(lorises):
            if i in closed_after:
                continue
            try:
                loris.sock.send(texts[i][step:step + 1])  # one byte per turn, never a whole USER line
            except OSError:  # the server has closed: a byte sent after its FIN is answered with a reset
                pass
            try:
                chunk = loris.sock.recv(4096)  # what the server said before closing is still there to read
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            if chunk:
                received[i] += chunk
            else:
                closed_after[i] = time.monotonic() - started
        step += 1
        time.sleep(0.02)  # the trickle's pace, not an assertion
    assert len(closed_after) == len(lorises), "slowloris connections still open after 6 s"
    assert all(0.9 <= after < 4 for after in closed_after.values()), closed_after
    assert set(received) == {b"ERROR :Closing Link: 127.0.0.1 (Registration timed out)\r\n"}
    arena.client().register("loris0", "l", "The nick was released")
    arena.witnesses_still_chat()


def test_a_client_that_does_not_read_is_cut_off_at_the_sendq(arena_factory):
    # The default SendQ (256 KiB); the flooder is let past flood control so the room floods fast.
    arena = arena_factory(*LOOSE, "--flood-burst", "100000", "--flood-rate", "100000")
    pid = arena.server.proc.pid
    victim = socket.socket()
    victim.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    victim.connect(arena.server.address)
    victim.sendall(b"NICK victim\r\nUSER v 0 * :Never Reads\r\n")
    arena.alice.expect(r"^:victim!v@127\.0\.0\.1 JOIN")
    arena.bob.expect(r"^:victim!v@127\.0\.0\.1 JOIN")
    flooder = arena.attacker("flooder")
    rss_before = vm_kib(pid, "VmRSS")
    text = "f" * 400
    sent = 0
    quit_seen: str | None = None
    started = time.monotonic()
    while quit_seen is None and time.monotonic() - started < 15 and sent < 40_000:
        flooder.send(*(f"PRIVMSG #lobby :{sent + i} {text}" for i in range(200)))
        sent += 200
        for witness in (arena.alice, arena.bob):  # the witnesses keep up with every line
            while True:
                line = witness.read_line()
                if line.startswith(":victim!") and " QUIT " in line:
                    quit_seen = line
                elif line.startswith(f":flooder!m@127.0.0.1 PRIVMSG #lobby :{sent - 1} "):
                    break
    assert quit_seen == ":victim!v@127.0.0.1 QUIT :SendQ exceeded", f"after {sent} lines"
    peak = vm_kib(pid, "VmHWM")
    arena.server.wait_log(r"quit \S+ victim SendQ exceeded")
    # The victim is gone: more flooding must not grow the server.
    flooder.send(*(f"PRIVMSG #lobby :after {i} {text}" for i in range(200)))
    for witness in (arena.alice, arena.bob):
        witness.expect(r"PRIVMSG #lobby :after 199 ")
    grown = vm_kib(pid, "VmRSS") - rss_before
    print(f"SendQ attack: {sent} lines of ~430 B, RSS before {rss_before} KiB, "
          f"peak {peak} KiB, after {grown:+d} KiB")
    assert peak - rss_before < 32 * 1024
    assert grown < 16 * 1024
    victim.settimeout(5)
    received = b""
    try:
        while chunk := victim.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    assert len(received) < 8 * 1024 * 1024  # it was cut off, not fed forever
    victim.close()
    arena.witnesses_still_chat()


def test_a_megabyte_in_one_send_does_not_starve_the_listeners(arena_factory):
    """With flood control off, one sender's megabyte must not pile up in the others' SendQs.

    The reader gives the writers a turn after every read; without that, the
    whole megabyte is relayed before any writer runs and the witnesses, who
    read perfectly well, are cut off with "SendQ exceeded".
    """
    arena = arena_factory(*LOOSE, "--flood-burst", "100000", "--flood-rate", "100000")
    flooder = arena.attacker("flooder")
    text = "f" * 400
    flooder.send(*(f"PRIVMSG #lobby :{i} {text}" for i in range(2500)))
    for witness in (arena.alice, arena.bob):
        relayed = read_matching(witness, r"^:flooder!m@127\.0\.0\.1 PRIVMSG #lobby :", 2500, timeout=10)
        assert relayed[-1] == f":flooder!m@127.0.0.1 PRIVMSG #lobby :2499 {text}"
    arena.witnesses_still_chat()


def test_a_big_reply_to_a_reading_client_is_not_a_sendq_overflow(arena_factory):
    """WHO on a big lobby answers in one go more than the SendQ holds (irssi sends it on every join).

    The SendQ is for output a client does not take: what its socket accepts
    at once is not held against it. Here a 16 KiB SendQ and 200 members give
    a 22 KiB reply; at the default 256 KiB the same happens from about 2,800
    members.
    """
    arena = arena_factory(*LOOSE, "--sendq", "16384")
    crowd = [socket.create_connection(arena.server.address, timeout=10) for _ in range(200)]
    for i, sock in enumerate(crowd):
        sock.sendall(b"NICK c%d\r\nUSER c 0 * :A Member Of The Crowd With A Long Real Name\r\n" % i)
    read_matching(arena.alice, r"^:c\d+!c@127\.0\.0\.1 JOIN #lobby$", 200, timeout=20)
    arena.alice.send("WHO #lobby")
    who = read_matching(arena.alice, r"^:irc\.test 352 alice #lobby ", 202, timeout=10)
    assert sum(len(line) + 2 for line in who) > 16384
    assert arena.alice.expect(r" 315 ") == ":irc.test 315 alice #lobby :End of /WHO list."
    arena.witnesses_still_chat()
    for sock in crowd:
        sock.close()


# --- many connections and the admission limits --------------------------------

def test_five_hundred_connections_at_once(arena):
    socks = [socket.create_connection(arena.server.address, timeout=10) for _ in range(500)]
    for i, sock in enumerate(socks):
        sock.sendall(b"NICK c%d\r\nUSER c 0 * :Crowd\r\n" % i)
    joins = read_matching(arena.bob, r"^:c\d+!c@127\.0\.0\.1 JOIN #lobby$", 500, timeout=20)
    assert len(set(joins)) == 500
    print(f"500 connections: server RSS {vm_kib(arena.server.proc.pid, 'VmRSS')} KiB")
    arena.witnesses_still_chat()
    arena.alice.send("LUSERS")
    assert arena.alice.expect(r" 251 ") == ":irc.test 251 alice :There are 502 users and 0 invisible on 1 servers"
    for sock in socks[:250]:
        reset(sock)
    for sock in socks[250:]:
        sock.close()
    quits = read_matching(arena.bob, r"^:c\d+!c@127\.0\.0\.1 QUIT ", 500, timeout=20)
    reasons = {line.split(" :", 1)[1] for line in quits}
    assert reasons <= {"Connection reset by peer", "Remote host closed the connection"}
    assert len(set(quits)) == 500
    arena.witnesses_still_chat()


def test_too_many_connections_from_one_host_is_refused_with_a_reason(arena_factory):
    arena = arena_factory("--limit-loopback")  # default: 10 per address; loopback counted like any address
    others = [arena.client() for _ in range(8)]
    for other in others:
        other.send("PING ready")
        other.expect(r"PONG")
    refused = arena.client()
    assert refused.read_until_closed() == [
        "ERROR :Closing Link: 127.0.0.1 (Too many connections from your host)"]
    others[0].close()
    arena.server.wait_log(r"quit \S+ \* Remote host closed the connection")
    deadline = time.monotonic() + 5
    while True:  # the freed slot is reusable (its release follows the quit log line closely)
        admitted = arena.client()
        admitted.send("PING again")
        try:
            admitted.expect(r"PONG", timeout=2)
            break
        except Closed:
            assert time.monotonic() < deadline
    arena.witnesses_still_chat()


def test_fifty_connections_at_once_against_the_per_host_limit(arena_factory):
    """Counting holds under a burst: exactly the free slots are admitted, every other one is told why."""
    arena = arena_factory("--limit-loopback")  # default: 10 per address; alice and bob hold two
    burst = [socket.create_connection(arena.server.address, timeout=10) for _ in range(50)]
    for sock in burst:
        with contextlib.suppress(OSError):
            sock.sendall(b"PING burst\r\n")
    outcomes = []
    for sock in burst:
        data = b""
        with contextlib.suppress(ConnectionResetError):
            while b"\n" not in data and (chunk := sock.recv(4096)):
                data += chunk
        outcomes.append(data.split(b"\r\n")[0].decode())
    assert outcomes.count(":irc.test PONG irc.test :burst") == 8
    refused = [line for line in outcomes if line != ":irc.test PONG irc.test :burst"]
    assert refused == ["ERROR :Closing Link: 127.0.0.1 (Too many connections from your host)"] * 42
    for sock in burst:
        sock.close()
    arena.witnesses_still_chat()


def test_max_clients_refuses_with_server_is_full(arena_factory):
    arena = arena_factory("--max-clients", "3")
    third = arena.client().register("third", "t", "Third")
    full = arena.client()
    assert full.read_until_closed() == ["ERROR :Closing Link: 127.0.0.1 (Server is full)"]
    assert third.sync() == []
    arena.witnesses_still_chat()


def test_exempt_address_is_free_of_the_per_host_limit(arena_factory):
    arena = arena_factory("--max-per-ip", "2", "--exempt", "127.0.0.0/8")
    for i in range(5):  # alice and bob already fill the limit of 2
        arena.client().register(f"e{i}", "e", "Exempt")
    arena.witnesses_still_chat()


# --- faults: resets, half-closes, vanishing mid-line --------------------------

def test_reset_mid_line_and_with_output_queued(arena):
    mallory = arena.attacker()
    mallory.send_raw(b"PRIVMSG #lobby :half a li")
    reset(mallory.sock)
    assert arena.alice.expect(r" QUIT ") == ":mallory!m@127.0.0.1 QUIT :Connection reset by peer"
    assert not any("half a li" in line for line in arena.alice.seen + arena.bob.sync())
    busy = arena.attacker("busy")
    busy.send(*(["WHOIS alice", "NAMES", "LUSERS", "VERSION"] * 2))  # output it will never read
    reset(busy.sock)
    assert arena.bob.expect(r" QUIT ") == ":busy!m@127.0.0.1 QUIT :Connection reset by peer"
    for _ in range(50):  # resets before registration, as fast as they come
        reset(socket.create_connection(arena.server.address, timeout=5))
    arena.witnesses_still_chat()


def test_half_closed_socket_gets_its_last_line_delivered_and_an_error(arena):
    mallory = arena.attacker()
    mallory.send("PRIVMSG #lobby :last words")
    mallory.sock.shutdown(socket.SHUT_WR)
    assert mallory.read_until_closed()[-1] == \
        "ERROR :Closing Link: 127.0.0.1 (Remote host closed the connection)"
    assert from_mallory(arena.bob.sync()) == [
        ":mallory!m@127.0.0.1 PRIVMSG #lobby :last words",
        ":mallory!m@127.0.0.1 QUIT :Remote host closed the connection",
    ]
    arena.witnesses_still_chat()


def test_vanishing_mid_line_delivers_nothing_of_that_line(arena):
    mallory = arena.attacker()
    mallory.send_raw(b"PRIVMSG #lobby :complete\r\nPRIVMSG #lobby :incompl")
    mallory.close()
    assert arena.alice.expect(r" QUIT ") == ":mallory!m@127.0.0.1 QUIT :Remote host closed the connection"
    assert from_mallory(arena.alice.seen) == [
        ":mallory!m@127.0.0.1 JOIN #lobby",
        ":mallory!m@127.0.0.1 PRIVMSG #lobby :complete",
        ":mallory!m@127.0.0.1 QUIT :Remote host closed the connection",
    ]
    arena.witnesses_still_chat()


def test_lines_after_quit_in_the_same_send_are_never_run(arena):
    mallory = arena.attacker()
    mallory.send("QUIT :gone", "PRIVMSG #lobby :ghost", "NICK ghost")
    assert mallory.read_until_closed() == ["ERROR :Closing Link: 127.0.0.1 (gone)"]
    assert arena.alice.expect(r" QUIT ") == ":mallory!m@127.0.0.1 QUIT :gone"
    assert not any("ghost" in line for line in arena.alice.sync() + arena.bob.sync() + arena.alice.seen)
    arena.witnesses_still_chat()


GARBAGE = [b"PRIVMSG ", b"NOTICE ", b"NICK ", b"USER ", b"JOIN ", b"WHOIS ", b"MODE ", b"QUIT", b"CAP LS ",
           b"#lobby ", b"alice ", b"bob ", b"ALICE", b"{x}", b":", b" :", b",", b"@", b"!", b" ", b"\r", b"\n",
           b"\r\n", b"\0", b"\xff\xfe", b"\xc3", b"\xe2\x80\xa8", b"irc.test ", b"001 ", b"x" * 600]


def test_seeded_garbage_from_many_clients(arena):
    """Random mixes of command words, separators and bad bytes: no traceback, witnesses unharmed."""
    rng = random.Random(5)
    attackers = [arena.client() for _ in range(8)]
    for index, attacker in enumerate(attackers[:4]):
        attacker.register(f"g{index}", "g", "Garbage")
    for _ in range(40):
        for attacker in attackers:
            chunk = b"".join(rng.choice(GARBAGE) if rng.random() < 0.8 else rng.randbytes(rng.randint(1, 30))
                             for _ in range(rng.randint(1, 60)))
            try:
                attacker.send_raw(chunk)
            except OSError:
                pass  # closed for flooding or by a QUIT in the garbage: that is the server's right
    for attacker in attackers:
        reset(attacker.sock)
    arena.witnesses_still_chat()
    assert "Traceback" not in arena.server.log_text()


BUGGY_HANDLER = """
from geventchat.core.dispatch import Command
from geventchat.core.handlers import COMMANDS


def boom(ctx, msg):
    raise RuntimeError("a bug in one handler")


COMMANDS["BOOM"] = Command(boom)
"""


def test_a_bug_in_a_handler_ends_only_that_client(monkeypatch, tmp_path):
    """An exception in one command ends that client with a logged traceback, never the server.

    The server under test gets one extra command, BOOM, whose handler raises:
    a sitecustomize module on its PYTHONPATH adds it before the server starts.
    """
    (tmp_path / "sitecustomize.py").write_text(BUGGY_HANDLER)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    server = start_server()
    monkeypatch.delenv("PYTHONPATH")
    arena = Arena(server)
    try:
        mallory = arena.attacker()
        mallory.send("BOOM")
        assert mallory.read_until_closed()[-1] == "ERROR :Closing Link: 127.0.0.1 (Internal server error)"
        assert arena.bob.expect(r" QUIT ") == ":mallory!m@127.0.0.1 QUIT :Internal server error"
        server.wait_log(r"RuntimeError: a bug in one handler")
        assert "Traceback" in server.log_text()
        arena.witnesses_still_chat()
    finally:
        arena.close()
        assert server.stop() == 0


def test_loopback_is_exempt_from_the_per_host_limit_by_default(arena_factory):
    """On a shared shell host every user connects from 127.0.0.1: the 11th and 12th still get in."""
    arena = arena_factory()  # default: 10 per address, loopback exempt
    users = [arena.client().register(f"shell{i}") for i in range(10)]
    assert len(users) == 10  # with alice and bob, twelve connections from 127.0.0.1
    arena.witnesses_still_chat()
