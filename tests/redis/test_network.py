"""Three nodes sharing one Redis are one chat: transcripts across processes.

Each node is a real server process with its own port and server name; the
Redis is a real redis-server on an ephemeral loopback port.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from tests.redis.conftest import NODE_TIMEOUT

PREFIX = r"!user@127\.0\.0\.1"


@pytest.fixture
def three(start_node, client):
    """Nodes n1 n2 n3 with alice on n1, bob on n2, carol on n3, each having seen the others join."""
    nodes = [start_node(f"n{i}", "--flood-burst", "200") for i in (1, 2, 3)]
    alice = client(nodes[0]).register("alice")
    bob = client(nodes[1]).register("bob")
    alice.expect(rf"^:bob{PREFIX} JOIN #lobby$")
    carol = client(nodes[2]).register("carol")
    alice.expect(rf"^:carol{PREFIX} JOIN #lobby$")
    bob.expect(rf"^:carol{PREFIX} JOIN #lobby$")
    return nodes, alice, bob, carol


def test_lobby_messages_reach_every_node_once(three):
    nodes, alice, bob, carol = three
    bob.send("PRIVMSG #lobby :hello from n2")
    for other in (alice, carol):
        assert other.expect(r"PRIVMSG") == ":bob!user@127.0.0.1 PRIVMSG #lobby :hello from n2"
    assert bob.sync() == []  # no echo to the sender
    assert alice.sync() == [] and carol.sync() == []  # exactly once


def test_private_message_crosses_to_the_target_node_only(three):
    nodes, alice, bob, carol = three
    alice.send("PRIVMSG carol :psst")
    assert carol.expect("PRIVMSG") == ":alice!user@127.0.0.1 PRIVMSG carol :psst"
    assert bob.sync() == []
    alice.send("PRIVMSG nobody :x")
    alice.expect(r" 401 alice nobody ")


def test_nick_change_and_quit_seen_on_every_node(three):
    nodes, alice, bob, carol = three
    carol.send("NICK Caroline")
    for c in (alice, bob, carol):
        assert c.expect("NICK") == ":carol!user@127.0.0.1 NICK Caroline"
    alice.send("WHOIS caroline")
    alice.expect(r" 311 alice Caroline user 127\.0\.0\.1 \* :Real Name$")
    bob.send("QUIT :see you")
    for c in (alice, carol):
        assert c.expect("QUIT") == ":bob!user@127.0.0.1 QUIT :see you"
    alice.send("WHOIS bob")
    alice.expect(r" 401 alice bob ")


def test_whois_names_ison_userhost_who_lusers_across_nodes(three):
    nodes, alice, bob, carol = three
    alice.send("WHOIS carol")
    alice.expect(r" 311 alice carol user 127\.0\.0\.1 \* :Real Name$")
    alice.expect(r" 312 alice carol n3\.test ")
    alice.expect(r" 318 ")
    bob.send("NAMES #lobby")
    names = bob.expect(r" 353 ").rsplit(":", 1)[1].split()
    assert sorted(names) == ["alice", "bob", "carol"]
    carol.send("ISON alice bob dave")
    assert carol.expect(r" 303 ").endswith(":alice bob")
    carol.send("USERHOST alice")
    carol.expect(r" 302 carol :alice=\+user@127\.0\.0\.1$")
    alice.send("WHO #lobby")
    who = [l for l in alice.sync() if " 352 " in l]
    assert len(who) == 3 and any(" n2.test bob " in l for l in who)
    bob.send("LUSERS")
    bob.expect(r" 251 bob :There are 3 users and 0 invisible on 3 servers$")
    bob.expect(r" 255 bob :I have 1 clients and 2 servers$")


def test_away_is_known_across_nodes(three):
    nodes, alice, bob, carol = three
    carol.send("AWAY :at lunch")
    carol.expect(r" 306 ")
    carol.send("PRIVMSG #lobby :brb")  # lines after AWAY arrive after it: the mirror is updated by then
    alice.expect("brb")
    alice.send("PRIVMSG carol :hungry?")
    alice.expect(r" 301 alice carol :at lunch$")
    bob.expect("brb")
    bob.send("USERHOST carol")
    bob.expect(r" 302 bob :carol=-user@127\.0\.0\.1$")
    carol.send("AWAY")
    carol.send("PRIVMSG #lobby :back")
    alice.expect("back")
    alice.send("WHOIS carol")
    assert not any(" 301 " in line for line in alice.sync())


def test_an_operator_and_an_invisible_user_are_seen_as_such_from_other_nodes(start_node, client):
    """User modes reach the other nodes: WHOIS shows 313 for an operator (RFC 2812 4.2.2 "RPL_WHOISOPERATOR"),
    WHO marks it `*`, and an invisible (+i) user who shares no channel is left out of WHO there as here."""
    from tests.server.test_accounts import OPER_PASSWORD, oper_flag

    n1 = start_node("n1", *oper_flag())
    n2 = start_node("n2", *oper_flag())
    asker = client(n2).register("asker")
    boss = client(n1).register("boss")
    shy = client(n1).register("shy")
    asker.expect(rf"^:shy{PREFIX} JOIN #lobby$")
    boss.send(f"OPER admin {OPER_PASSWORD}")
    boss.expect(r" 381 ")
    shy.send("MODE shy +i", "PART #lobby")
    shy.expect(r" PART #lobby")
    boss.send("PRIVMSG #lobby :modes set")  # lines after a change arrive after it: the mirrors are updated
    asker.expect("modes set")
    asker.send("WHOIS boss")
    assert asker.expect(r" 313 ") == ":n2.test 313 asker boss :is an IRC operator"
    asker.send("WHO boss")
    assert asker.expect(r" 352 ").split()[8] == "H*"
    asker.send("WHO shy")
    asker.expect(r" 315 ")
    assert not any(" 352 asker * user 127.0.0.1 n1.test shy " in line for line in asker.seen), (
        "an invisible user in no shared channel is not listed")
    boss.send("WHO shy")
    boss.expect(r" 315 ")
    assert any(" 352 boss * user 127.0.0.1 n1.test shy " in line for line in boss.seen), "operators see everyone"


def test_each_senders_order_is_kept_everywhere(three):
    nodes, alice, bob, carol = three
    for i in range(60):
        alice.send(f"PRIVMSG #lobby :m{i}", f"PRIVMSG carol :p{i}")
    carol.expect(r":p59$", timeout=20)
    got = [l.rsplit(":", 1)[1] for l in carol.seen if l.startswith(":alice!") and " PRIVMSG " in l]
    assert got == [x for i in range(60) for x in (f"m{i}", f"p{i}")]


def test_a_nick_raced_on_two_nodes_goes_to_exactly_one(start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    for round_ in range(8):
        nick = f"race{round_}"
        a, b = client(n1), client(n2)
        # rfc1459: race0[ and RACE0{ are the same nick
        wanted = (f"{nick}[", f"{nick.upper()}{{")
        barrier = threading.Barrier(2)

        def go(c, n):
            barrier.wait()
            c.send(f"NICK {n}", "USER u 0 * :u")

        threads = [threading.Thread(target=go, args=(c, n)) for c, n in zip((a, b), wanted)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outcomes = [c.expect(r" (001|433) ").split()[1] for c in (a, b)]
        assert sorted(outcomes) == ["001", "433"], (round_, outcomes)
        a.close()
        b.close()


def test_killed_node_users_quit_with_netsplit_reason_and_nicks_are_freed(start_node, client):
    n1, n2, n3 = start_node("n1"), start_node("n2"), start_node("n3")
    alice = client(n1).register("alice")
    carol = client(n3).register("carol")
    client(n2).register("bob")
    alice.expect(rf"^:bob{PREFIX} JOIN")
    carol.expect(rf"^:bob{PREFIX} JOIN")
    killed_at = time.monotonic()
    n2.stop(signal.SIGKILL)
    bound = float(NODE_TIMEOUT) * 1.25 + 1.5  # the documented bound, plus slack for a loaded machine
    assert alice.expect(r"QUIT", timeout=bound) == ":bob!user@127.0.0.1 QUIT :n1.test n2"
    assert carol.expect(r"QUIT", timeout=bound) == ":bob!user@127.0.0.1 QUIT :n3.test n2"
    assert time.monotonic() - killed_at < bound
    again = client(n3)
    deadline = time.monotonic() + bound
    while True:  # the nick is free within the bound (the reaper may be a moment behind the QUIT)
        again.send("NICK bob")
        if not any(" 433 " in line for line in again.sync()):
            break
        assert time.monotonic() < deadline, "bob's nick was never freed"
        time.sleep(0.1)
    again.send("USER u 0 * :u")
    again.expect(r" 001 bob ")
    alice.expect(r"^:bob!u@127\.0\.0\.1 JOIN")


def test_redis_restart_chat_resumes_and_nicks_stay(redis_server, start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    alice = client(n1).register("alice")
    bob = client(n2).register("bob")
    alice.expect(rf"^:bob{PREFIX} JOIN")
    redis_server.stop()
    alice.send("PRIVMSG #lobby :while Redis is away")  # local chat goes on
    n1.wait_log(r"Redis at .* unreachable")
    late = client(n1).register("dave")  # registering still works, checked locally
    alice.expect(rf"^:dave{PREFIX} JOIN")
    redis_server.restart()
    n1.wait_log(r"Redis at .* is back")
    n2.wait_log(r"Redis at .* is back")
    bob.expect(rf"^:dave{PREFIX} JOIN")  # dave is announced once the nodes meet again
    bob.send("PRIVMSG #lobby :back")
    assert alice.expect("PRIVMSG #lobby :back") == ":bob!user@127.0.0.1 PRIVMSG #lobby :back"
    assert late.expect("PRIVMSG") == ":bob!user@127.0.0.1 PRIVMSG #lobby :back"
    third = client(n2)
    third.send("NICK alice", "USER u 0 * :u")
    third.expect(r" 433 \* alice ")  # re-claimed in the new Redis
    for c in (alice, bob):
        assert not any("QUIT" in l for l in c.sync())  # nobody was dropped or split
    for node in (n1, n2):
        assert len([l for l in node.log if "unreachable" in l]) == 1  # said once


def test_a_node_stopped_with_sigterm_says_goodbye_and_frees_its_nicks(start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    alice = client(n1).register("alice")
    client(n2).register("bob")
    alice.expect(rf"^:bob{PREFIX} JOIN")
    assert n2.stop() == 0
    assert alice.expect("QUIT") == ":bob!user@127.0.0.1 QUIT :Server shutting down"
    client(n1).register("bob")  # free at once, not after the node timeout


def test_a_node_starts_while_redis_is_down_and_joins_when_it_is_up(redis_server, start_node, client):
    n1 = start_node("n1")
    redis_server.stop()
    from tests.redis.conftest import FAST
    from tests.support.server import start_server
    n2 = start_server("--redis", redis_server.url, "--node-name", "n2", *FAST, "--redis-join-wait", "0.3",
                      server_name="n2.test")
    try:
        n2.wait_log(r"Redis at .* does not answer yet: serving this node's users alone")
        bob = client(n2).register("bob")  # serves its own clients meanwhile
        redis_server.restart()
        n2.wait_log(r"node n2 joined the network")
        n1.wait_log(r"Redis at .* is back")
        alice = client(n1).register("alice")
        bob.expect(rf"^:alice{PREFIX} JOIN")
        deadline = time.monotonic() + 5
        while True:  # n1 reads n2's hello on its own time: wait for it, boundedly
            alice.send("WHOIS bob")
            if any(" 312 alice bob n2.test " in line for line in alice.sync()):
                break
            assert time.monotonic() < deadline, "n1 never learned of bob"
            time.sleep(0.05)
    finally:
        n2.stop()


def test_a_user_who_reconnects_at_once_gets_its_nick_back(start_node, client):
    """The quit's release waits in the node's outbox to Redis behind a busy lobby
    while the same nick is claimed again: the claim must not lose to its own past."""
    node = start_node("n1", "--max-per-ip", "100", "--flood-burst", "100000", "--flood-backlog", "100000")
    chatter = client(node).register("chatter")
    burst = b"".join(b"PRIVMSG #lobby :filler %d\r\n" % i for i in range(3000))
    for round_ in range(5):
        first = client(node)
        first.send(f"NICK back{round_}", "USER u 0 * :u")
        first.expect(r" 366 ")
        chatter.send_raw(burst)
        first.send("QUIT :brb")
        first.read_until_closed()
        again = client(node)
        again.send(f"NICK back{round_}", "USER u 0 * :u")
        assert again.expect(r" (001|433) ").split()[1] == "001", round_
        chatter.sync()
