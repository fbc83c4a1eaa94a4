"""The network under faults, as its users see it: one test per fault.

Real node processes on a real redis-server; faults made with SIGSTOP/SIGCONT,
SIGKILL and a Redis restart on the same port. Each test counts what the
users got: lines lost, duplicated or reordered per receiver, whose nick a
NICK line came from, what WHOIS and NAMES say on every node, whether a nick
was free when its holder's QUIT arrived.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

from bench import faults
from tests.redis.conftest import FAST
from tests.support.client import IrcClient

PREFIX = r"!user@127\.0\.0\.1"
BURSTY = ("--flood-burst", "10000", "--flood-rate", "10000", "--flood-backlog", "10000")


def until(check, timeout: float = 10.0, what: str = "condition"):
    """Wait (boundedly) for check() to return something true; return it."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


def said(client: IrcClient, sender: str) -> list[int]:
    """The numbers in `sender`'s numbered lobby lines, as this client received them."""
    pattern = re.compile(rf"^:{sender}!\S+ PRIVMSG #lobby :{sender} (\d+)$")
    return [int(m.group(1)) for m in map(pattern.match, client.seen) if m]


def tally(numbers: list[int], sent: int) -> dict[str, int]:
    """Lines lost, duplicated and out of order in what one receiver got of one sender's lines (as bench.faults counts)."""
    return dict(zip(("lost", "duplicated", "reordered"), faults.tally(numbers, sent)))


EXACT = {"lost": 0, "duplicated": 0, "reordered": 0}


def names(client: IrcClient) -> list[str]:
    client.send("NAMES #lobby")
    return sorted(n for line in client.sync() if " 353 " in line for n in line.rsplit(":", 1)[1].split())


def whois_server(client: IrcClient, nick: str) -> str | None:
    client.send(f"WHOIS {nick}")
    for line in client.sync():
        if f" 312 {client.nick} " in line:
            return line.split()[4]
    return None


def no_repairs_needed(*nodes) -> None:
    """The streams alone kept every mirror right: the repair pass found nothing to mend."""
    for node in nodes:
        assert not [line for line in node.log if "differences with Redis mended" in line], node.log_text()
        assert "Traceback" not in node.log_text()


# --- one node name, one node ------------------------------------------------------


def test_a_second_node_with_a_live_nodes_name_is_refused(redis_server, start_node, client):
    n1 = start_node("n1")
    alice = client(n1).register("alice")
    twin = subprocess.run(
        [sys.executable, "-m", "geventchat", "--host", "127.0.0.1", "--port", "0", "--server-name", "twin.test",
         "--redis", redis_server.url, "--node-name", "n1", *FAST],
        capture_output=True, text=True, timeout=30)
    assert twin.returncode == 1, twin.stderr
    assert f"node name n1 is held by a live node (pid {n1.proc.pid} on host " in twin.stderr
    assert "give each node its own --node-name" in twin.stderr and "Traceback" not in twin.stderr
    assert "listening on" not in twin.stderr  # refused before it took a single connection
    assert alice.sync() == []  # nothing happened to the chat
    bob = client(start_node("n2")).register("bob")
    assert names(bob) == ["alice", "bob"]
    bob.send("LUSERS")
    bob.expect(r" 251 bob :There are 2 users and 0 invisible on 2 servers$")


def test_a_node_started_again_after_a_crash_frees_its_predecessors_users_at_once(start_node, client):
    """With a 30 s node timeout only the new run's takeover can free alice's nick within seconds."""
    slow = ("--node-timeout", "30")
    n1, n2 = start_node("n1", *slow), start_node("n2", *slow)
    bob = client(n2).register("bob")
    client(n1).register("alice")
    bob.expect(rf"^:alice{PREFIX} JOIN")  # n2 knows alice before the crash
    n1.stop(signal.SIGKILL)
    again = start_node("n1", *slow)
    assert bob.expect("QUIT", timeout=5) == ":alice!user@127.0.0.1 QUIT :n2.test n1"
    newcomer = client(n2)
    newcomer.send("NICK alice", "USER u 0 * :u")
    assert newcomer.expect(r" (001|433) ").split()[1] == "001"
    assert any("no longer runs: taking it over" in line for line in again.log)


# --- a node paused past its timeout -----------------------------------------------


def test_a_node_paused_past_its_timeout_catches_up_splits_and_rejoins(start_node, client):
    n1, n2, n3 = (start_node(f"n{i}", *BURSTY) for i in (1, 2, 3))
    alice, bob, carol = client(n1).register("alice"), client(n2).register("bob"), client(n3).register("carol")
    dave = client(n2).register("dave")  # another user of the paused node, watching from inside
    for c in (alice, bob, carol):
        c.expect(rf"^:dave{PREFIX} JOIN")
    os.kill(n2.proc.pid, signal.SIGSTOP)
    try:
        for i in range(10):  # before the network gives up on n2
            alice.send(f"PRIVMSG #lobby :alice {i}")
        alice.expect(r"^:bob!user@127\.0\.0\.1 QUIT :n1\.test n2$", timeout=10)
        carol.expect(r"^:bob!user@127\.0\.0\.1 QUIT :n3\.test n2$", timeout=10)
        carol.send("NICK bob")  # a newcomer takes the nick the network freed
        carol.expect(rf"^:carol{PREFIX} NICK bob$")
        carol.nick = "bob"
        bob.send("PRIVMSG #lobby :typed while frozen")  # waits in n2's socket buffer
        for i in range(10, 20):  # while n2 counts as dead
            alice.send(f"PRIVMSG #lobby :alice {i}")
        alice.sync()
    finally:
        os.kill(n2.proc.pid, signal.SIGCONT)
    rename = bob.expect(r" NICK Guest\d+$", timeout=15)
    assert rename.startswith(":bob!user@127.0.0.1 NICK ")  # from the loser's own prefix
    guest = rename.rsplit(" ", 1)[1]
    bob.expect(r"NOTICE .*1 line you sent did not reach the rest of the chat")
    for receiver in (bob, dave):
        receiver.expect(r"^:alice!user@127\.0\.0\.1 PRIVMSG #lobby :alice 19$", timeout=15)
        assert tally(said(receiver, "alice"), 20) == EXACT  # missed nothing said while paused
    # dave saw the split, the loser renamed, the netjoin, then what was said meanwhile
    dave_lines = dave.seen
    split = dave_lines.index(":alice!user@127.0.0.1 QUIT :n2.test n1")
    renamed = dave_lines.index(rename)
    back = dave_lines.index(":alice!user@127.0.0.1 JOIN #lobby")
    assert split < renamed < back < dave_lines.index(":alice!user@127.0.0.1 PRIVMSG #lobby :alice 10"), "\n".join(dave_lines[10:60]) + n2.log_text()
    assert ":bob!user@127.0.0.1 JOIN #lobby" in dave_lines[back:]  # carol, by her new nick
    assert not any(" NICK bob" in line for line in dave_lines)  # never the newcomer's rename, out of context
    until(lambda: alice.sync() is not None and {f":{guest}!user@127.0.0.1 JOIN #lobby",
                                                 ":dave!user@127.0.0.1 JOIN #lobby"} <= set(alice.seen),
          what="alice saw n2's users come back")
    for c in (alice, carol):  # the other nodes never show it, under the newcomer's nick or any other
        c.sync()
        assert not any("typed while frozen" in line for line in c.seen)
    frozen = [i for i, line in enumerate(dave.seen) if "typed while frozen" in line]
    assert all(i < renamed for i in frozen)  # on its own node, only from bob while he was bob
    until(lambda: names(alice) == names(carol) == names(dave) == sorted(["alice", "bob", "dave", guest]),
          what="every node lists the same users")
    assert whois_server(alice, "bob") == "n3.test" and whois_server(alice, guest) == "n2.test"
    assert whois_server(dave, "bob") == "n3.test"
    no_repairs_needed(n1, n2, n3)


# --- a nick taken on two sides of a Redis outage -----------------------------------


def test_nicks_taken_on_two_sides_of_an_outage_are_settled_and_said_right(redis_server, start_node, client):
    n1, n2, n3 = (start_node(f"n{i}") for i in (1, 2, 3))
    watch = client(n3).register("watch")
    redis_server.stop()
    for node in (n1, n2, n3):
        node.wait_log(r"Redis at .* unreachable")
    ones = [client(n1).register(f"zed{k}") for k in range(4)]
    twos = [client(n2).register(f"zed{k}") for k in range(4)]  # each node alone: both get them
    redis_server.restart()
    outcomes = []
    for k, pair in enumerate(zip(ones, twos)):
        def renamed():
            for c in pair:
                hit = [line for line in c.seen if line.startswith(f":zed{k}!") and " NICK " in line]
                if hit:
                    return c, hit
                c.sync()
            return None
        loser, hits = until(renamed, what=f"zed{k} settled")
        winner = pair[1 - pair.index(loser)]
        outcomes.append((k, winner, loser, hits[0].rsplit(" ", 1)[1]))
        assert hits == [f":zed{k}!user@127.0.0.1 NICK {hits[0].rsplit(' ', 1)[1]}"]  # once, from the loser
    for k, winner, loser, guest in outcomes:
        winner.sync()
        assert not any(line.startswith(f":zed{k}!") and (" NICK " in line or " QUIT " in line)
                       for line in winner.seen)  # the winner never reads itself renamed or gone
        loser.sync()
        assert any("NOTICE" in line and "held by another user of the network" in line for line in loser.seen)
    def all_arrived():
        watch.sync()
        return all(any(f":{guest}!" in line and " JOIN " in line for line in watch.seen) for *_, guest in outcomes)
    until(all_arrived, what="the watcher saw every guest arrive")
    for k, winner, loser, guest in outcomes:
        joins = [line for line in watch.seen if line.startswith((f":zed{k}!", f":{guest}!")) and " JOIN " in line]
        assert sorted(joins) == sorted([f":zed{k}!user@127.0.0.1 JOIN #lobby", f":{guest}!user@127.0.0.1 JOIN #lobby"])
        assert not any(line.startswith(f":zed{k}!") and " NICK " in line for line in watch.seen)
        winner_server = "n1.test" if winner in ones else "n2.test"
        loser_server = "n2.test" if winner in ones else "n1.test"
        assert whois_server(watch, f"zed{k}") == winner_server  # the third node has the winner
        assert whois_server(watch, guest) == loser_server
    everyone = sorted(["watch"] + [f"zed{k}" for k in range(4)] + [g for *_, g in outcomes])
    until(lambda: names(watch) == names(ones[0]) == names(twos[0]) == everyone, what="one directory everywhere")
    no_repairs_needed(n1, n2, n3)


# --- kill -9 of a node ---------------------------------------------------------------


def test_a_killed_nodes_nicks_are_free_when_its_quits_arrive(start_node, client):
    n1, n2, n3 = (start_node(f"n{i}") for i in (1, 2, 3))
    watch = client(n3).register("watch")
    for k in range(4):
        client(n2).register(f"gone{k}")
        watch.expect(rf"^:gone{k}{PREFIX} JOIN")
    claimants = [client(n1) for _ in range(4)]
    n2.stop(signal.SIGKILL)
    refused = 0
    for _ in range(4):
        quit_line = watch.expect(r" QUIT ", timeout=10)
        nick = quit_line[1:].split("!", 1)[0]
        assert quit_line == f":{nick}!user@127.0.0.1 QUIT :n3.test n2"
        claimant = claimants[int(nick[-1])]
        claimant.send(f"NICK {nick}")  # at once, as a user who reads the QUIT would
        refused += sum(" 433 " in line for line in claimant.sync())
    assert refused == 0  # free first, announce second
    no_repairs_needed(n1, n3)


# --- Redis away while people talk ----------------------------------------------------


def talk(senders: list[IrcClient], count: int, interval: float) -> threading.Thread:
    """Each sender says `count` numbered lines, one every `interval` seconds, in a thread."""
    def run() -> None:
        for i in range(count):
            for sender in senders:
                sender.send(f"PRIVMSG #lobby :{sender.nick} {i}")
            time.sleep(interval)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def three_talking(start_node, client):
    n1, n2, n3 = (start_node(f"n{i}", *BURSTY) for i in (1, 2, 3))
    alice, bob = client(n1).register("alice"), client(n2).register("bob")
    carol, dave = client(n3).register("carol"), client(n1).register("dave")
    for c in (alice, bob, carol):
        c.expect(rf"^:dave{PREFIX} JOIN")
    return (n1, n2, n3), (alice, bob), (carol, dave)


def everyone_got_everything(senders, receivers, count: int, nodes=()) -> None:
    for receiver in receivers:
        for sender in senders:
            if receiver is not sender:
                last = rf"^:{sender.nick}!\S+ PRIVMSG #lobby :{sender.nick} {count - 1}$"
                if not any(re.match(last, line) for line in receiver.seen):
                    try:
                        receiver.expect(last, timeout=20)
                    except TimeoutError:
                        raise AssertionError((receiver.nick, sender.nick, tally(said(receiver, sender.nick), count),
                                              "\n\n".join(n.log_text() for n in nodes)))
                assert tally(said(receiver, sender.nick), count) == EXACT, (receiver.nick, sender.nick)


def test_lines_sent_across_a_redis_restart_arrive_once_and_in_order(redis_server, start_node, client):
    nodes, senders, readers = three_talking(start_node, client)
    thread = talk(list(senders), 100, 0.03)  # about 65 lines a second for 3 s
    time.sleep(0.5)
    redis_server.stop()
    time.sleep(1.0)
    redis_server.restart()
    thread.join()
    everyone_got_everything(senders, [*senders, *readers], 100, nodes)
    for c in (*senders, *readers):
        assert not any("The link to the rest of the chat" in line for line in c.seen)  # nothing was lost
    no_repairs_needed(*nodes)


def test_lines_sent_while_redis_hangs_arrive_once_and_in_order(redis_server, start_node, client):
    nodes, senders, readers = three_talking(start_node, client)
    thread = talk(list(senders), 100, 0.03)
    time.sleep(0.5)
    redis_server.pause()  # longer than --redis-command-timeout: every node gives up on it for a while
    try:
        nodes[0].wait_log(r"Redis at .* unreachable")
        time.sleep(0.5)
    finally:
        redis_server.resume()
    thread.join()
    everyone_got_everything(senders, [*senders, *readers], 100, nodes)
    no_repairs_needed(*nodes)


def test_past_the_buffer_bound_users_are_told_once_and_when_the_link_is_back(redis_server, start_node, client):
    n1 = start_node("n1", *BURSTY, "--redis-buffer-time", "0.5")
    n2 = start_node("n2")
    alice, dave = client(n1).register("alice"), client(n1).register("dave")
    bob = client(n2).register("bob")
    alice.expect(rf"^:bob{PREFIX} JOIN")
    redis_server.stop()
    n1.wait_log(r"Redis at .* unreachable")
    for i in range(5):
        alice.send(f"PRIVMSG #lobby :alice {i}")  # within the bound: kept
    down = alice.expect(r"NOTICE alice :The link to the rest of the chat is down since", timeout=5)
    for i in range(5, 10):
        alice.send(f"PRIVMSG #lobby :alice {i}")  # past it: lost, and said
    dave.expect(r"alice 9$")  # the chat on this node goes on
    redis_server.restart()
    back = alice.expect(r"NOTICE alice :The link to the rest of the chat is back after \d+ s: "
                        r"5 lines said here while it was down could not be kept", timeout=10)
    bob.expect(r"alice 4$", timeout=10)
    bob.sync()
    assert said(bob, "alice") == [0, 1, 2, 3, 4]
    for c in (alice, dave):
        c.sync()
        notices = [line for line in c.seen if "The link to the rest of the chat" in line]
        assert len(notices) == 2 and "is down" in notices[0] and "is back" in notices[1], "\n".join(notices)
    assert "reach only the users of this server" in down and back


# --- private lines to a node that has gone silent --------------------------------------


def test_a_private_message_to_a_silent_node_is_refused_with_a_reason(start_node, client):
    n1, n2 = start_node("n1", *BURSTY), start_node("n2")
    alice, bob = client(n1).register("alice"), client(n2).register("bob")
    dave = client(n1)
    dave.send("CAP LS 302", "CAP REQ :standard-replies", "NICK dave", "USER d 0 * :d", "CAP END")
    dave.expect(r" 366 ")
    alice.expect(rf"^:bob{PREFIX} JOIN")
    os.kill(n2.proc.pid, signal.SIGSTOP)
    sent = refused = 0
    try:
        while not refused:  # until n1 counts n2 as unreachable (well before it would count it dead)
            alice.send(f"PRIVMSG bob :try {sent}")
            sent += 1
            refused = sum("bob cannot be reached now" in line for line in alice.sync())
            time.sleep(0.05)
        notice = next(line for line in alice.seen if "cannot be reached" in line)
        dave.send("PRIVMSG bob :hello?")
        fail = dave.expect(r"FAIL PRIVMSG TARGET_UNREACHABLE bob :")
    finally:
        os.kill(n2.proc.pid, signal.SIGCONT)
    assert notice.startswith(":n1.test NOTICE alice :bob cannot be reached now (its server n2.test has not been "
                             "heard from for ")
    assert "your message was not delivered" in fail
    delivered_before = sent - 1  # every line but the refused one went into n2's inbox
    bob.expect(rf"PRIVMSG bob :try {delivered_before - 1}$", timeout=10)
    bob.sync()
    got = [line.rsplit(" ", 1)[1] for line in bob.seen if " PRIVMSG bob :try " in line]
    assert got == [str(i) for i in range(delivered_before)]  # late but whole; the refused one never
    assert not any("hello?" in line for line in bob.seen)
    def delivered_again():  # n2 is heard from again within a heartbeat or two
        alice.send("PRIVMSG bob :after")
        alice.sync()
        return any(line.endswith("PRIVMSG bob :after") for line in bob.sync())
    until(delivered_again, what="a private message reaches bob once his server is heard from again")
