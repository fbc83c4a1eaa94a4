"""Channels are one truth across nodes: real node processes on a real redis-server.

Who is in a channel and with what status, its modes, key, lists, topic and
invitations are the same on every node: the first joiner anywhere is its one
operator, a ban or a kick made on one node holds on the others, and a node's
death, a pause or a Redis restart leaves every channel consistent.
"""

from __future__ import annotations

import os
import re
import signal
import threading

from tests.redis.test_faults import no_repairs_needed, until
from tests.support.client import IrcClient

PREFIX = r"!user@127\.0\.0\.1"


def names(client: IrcClient, channel: str) -> list[str]:
    """NAMES as this client's node answers it: nicks with their @ and +, sorted."""
    client.send(f"NAMES {channel}")
    return sorted(n for line in client.sync() if " 353 " in line for n in line.rsplit(":", 1)[1].split())


def answer(client: IrcClient, command: str, *numerics: str) -> list[str]:
    """The numerics this client's node answers a query with, without the server and the asker's nick."""
    client.send(command)
    wanted = re.compile(rf"^:\S+ ({'|'.join(numerics)}) {re.escape(client.nick)} ")
    return [wanted.sub(r"\1 ", line) for line in client.sync() if wanted.match(line)]


def agree(clients: list[IrcClient], ask, what: str):
    """Wait (boundedly) until every client's node gives the same answer; return it."""
    last: list = []

    def same():
        last[:] = [ask(c) for c in clients]
        return all(answer == last[0] for answer in last)

    try:
        until(same, what=what)
    except AssertionError as error:
        raise AssertionError(f"{error}: {last}") from None
    return last[0]


def test_two_clients_joining_a_new_channel_at_once_on_two_nodes_give_one_operator(start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    a, b = client(n1).register("alice"), client(n2).register("bob")
    a.expect(rf"^:bob{PREFIX} JOIN #lobby$")
    for round_ in range(5):
        channel = f"#race{round_}"
        barrier = threading.Barrier(2)

        def go(c: IrcClient) -> None:
            barrier.wait()
            c.send(f"JOIN {channel}")

        threads = [threading.Thread(target=go, args=(c,)) for c in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        own = [c.expect(rf" 353 {c.nick} = {channel} :").rsplit(":", 1)[1].split() for c in (a, b)]
        ops = [c.nick for c, seen in zip((a, b), own) if f"@{c.nick}" in seen]
        assert len(ops) == 1, (round_, own)  # exactly one was made operator on joining
        both = agree([a, b], lambda c: names(c, channel), f"{channel} listed alike on both nodes")
        assert both == sorted([f"@{ops[0]}", "bob" if ops[0] == "alice" else "alice"]), (round_, both)
    no_repairs_needed(n1, n2)


def test_a_ban_set_on_one_node_refuses_a_join_on_the_other_and_an_invitation_lets_in(start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    alice = client(n1).register("alice")
    carol, bob = client(n2).register("carol"), client(n2).register("bob")
    alice.send("JOIN #club")
    alice.expect(r" 366 alice #club ")
    carol.send("JOIN #club")
    alice.expect(rf"^:carol{PREFIX} JOIN #club$")
    alice.send("MODE #club +b bob!*@*")
    carol.expect(rf"^:alice{PREFIX} MODE #club \+b bob!\*@\*$")  # n2 has it by now
    bob.send("JOIN #club")
    bob.expect(r"^:n2\.test 474 bob #club :Cannot join channel \(\+b\)$")
    bob.send("MODE #club +b")
    assert bob.expect(r" 367 ").startswith(":n2.test 367 bob #club bob!*@* alice!user@127.0.0.1 ")
    alice.send("INVITE bob #club")
    bob.expect(rf"^:alice{PREFIX} INVITE bob #club$")  # the invitation reached n2 before the line did
    bob.send("JOIN #club")
    bob.expect(r" 366 bob #club ")
    alice.expect(rf"^:bob{PREFIX} JOIN #club$")
    assert agree([alice, carol], lambda c: names(c, "#club"), "#club alike") == ["@alice", "bob", "carol"]
    no_repairs_needed(n1, n2)


def test_a_kick_and_moderation_made_on_one_node_apply_on_the_other(start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    alice = client(n1).register("alice")
    bob, carol = client(n2).register("bob"), client(n2).register("carol")
    alice.send("JOIN #mod")
    alice.expect(r" 366 alice #mod ")
    for c in (bob, carol):
        c.send("JOIN #mod")
        alice.expect(rf"^:{c.nick}{PREFIX} JOIN #mod$")
    alice.send("KICK #mod bob :out")
    for c in (alice, bob, carol):
        assert c.expect(" KICK ") == ":alice!user@127.0.0.1 KICK #mod bob :out"
    bob.send("PRIVMSG #mod :still here?")
    bob.expect(r"^:n2\.test 404 bob #mod :Cannot send to channel$")  # out, and #mod is +n
    assert names(carol, "#mod") == ["@alice", "carol"]
    bob.send("PART #lobby", "AWAY :gone")  # his record changes after he left: it must not put him back
    bob.expect(" 306 ")
    assert agree([alice, carol], lambda c: names(c, "#lobby"), "the lobby without bob") == ["alice", "carol"]
    alice.send("MODE #mod +m")
    carol.expect(rf"^:alice{PREFIX} MODE #mod \+m$")
    carol.send("PRIVMSG #mod :can I speak?")
    carol.expect(r"^:n2\.test 404 carol #mod :Cannot send to channel$")  # unvoiced on a moderated channel
    alice.send("MODE #mod +v carol")
    carol.expect(rf"^:alice{PREFIX} MODE #mod \+v carol$")
    carol.send("PRIVMSG #mod :now I can")
    assert alice.expect("PRIVMSG") == ":carol!user@127.0.0.1 PRIVMSG #mod :now I can"
    assert not any("can I speak" in line or "still here" in line for line in alice.sync())
    no_repairs_needed(n1, n2)


def test_names_topic_who_list_mode_and_whois_agree_on_every_node(start_node, client):
    nodes = [start_node(f"n{i}") for i in (1, 2, 3)]
    alice, bob, carol = (client(node).register(nick) for node, nick in zip(nodes, ("alice", "bob", "carol")))
    alice.send("JOIN #talk", "TOPIC #talk :the topic", "MODE #talk +l 10")
    alice.expect(r" MODE #talk \+l 10$")
    for c in (bob, carol):
        c.send("JOIN #talk")
        alice.expect(rf"^:{c.nick}{PREFIX} JOIN #talk$")
    alice.send("MODE #talk +v carol")
    everyone = [alice, bob, carol]
    assert agree(everyone, lambda c: names(c, "#talk"), "NAMES alike") == ["+carol", "@alice", "bob"]
    topic = agree(everyone, lambda c: answer(c, "TOPIC #talk", "332", "333"), "TOPIC alike")
    assert topic[0] == "332 #talk :the topic" and topic[1].startswith("333 #talk alice!user@127.0.0.1 ")
    who = agree(everyone, lambda c: sorted(answer(c, "WHO #talk", "352")), "WHO alike")
    assert [line.split()[5:7] for line in who] == [["alice", "H@"], ["bob", "H"], ["carol", "H+"]]
    assert {line.split()[4] for line in who} == {"n1.test", "n2.test", "n3.test"}
    listed = agree(everyone, lambda c: answer(c, "LIST", "322"), "LIST alike")
    assert "322 #talk 3 :[+ntl] the topic" in listed
    modes = agree(everyone, lambda c: answer(c, "MODE #talk", "324", "329"), "MODE alike")
    assert modes[0] == "324 #talk +ntl :10" and modes[1].startswith("329 #talk ")
    assert agree(everyone, lambda c: answer(c, "MODE #lobby", "329"), "the lobby's creation time alike")
    whois = agree(everyone, lambda c: sorted(" ".join(answer(c, "WHOIS carol", "319")).split(":", 1)[-1].split()),
                  "WHOIS alike")
    assert whois == ["#lobby", "+#talk"]
    # NICK and QUIT reach each member that shares a channel once, from whichever node
    bob.send("NICK robert")
    for c in (alice, carol):
        c.expect(rf"^:bob{PREFIX} NICK robert$")
    bob.send("QUIT :bye")
    for c in (alice, carol):
        c.expect(rf"^:robert{PREFIX} QUIT :bye$")
        c.sync()
        assert len([line for line in c.seen if " NICK robert" in line]) == 1
        assert len([line for line in c.seen if " QUIT :bye" in line]) == 1
    assert agree([alice, carol], lambda c: names(c, "#talk"), "NAMES after the quit") == ["+carol", "@alice"]
    no_repairs_needed(*nodes)


def test_a_killed_nodes_users_leave_every_channel_and_its_emptied_channels_cease(start_node, client):
    n1, n2, n3 = (start_node(f"n{i}") for i in (1, 2, 3))
    alice, bob, carol = client(n1).register("alice"), client(n2).register("bob"), client(n3).register("carol")
    alice.send("JOIN #shared")
    alice.expect(r" 366 alice #shared ")
    for c in (bob, carol):
        c.send("JOIN #shared")
        alice.expect(rf"^:{c.nick}{PREFIX} JOIN #shared$")
    bob.send("JOIN #solo")
    bob.expect(r" 366 bob #solo ")
    until(lambda: any(" 322 carol #solo 1 " in line for line in (carol.send("LIST") or carol.sync())),
          what="n3 lists #solo")
    n2.stop(signal.SIGKILL)
    for c in (alice, carol):
        c.expect(rf"^:bob{PREFIX} QUIT :{c.nick[0]}.* n2$|^:bob{PREFIX} QUIT ", timeout=10)
    assert agree([alice, carol], lambda c: names(c, "#shared"), "#shared without bob") == ["@alice", "carol"]
    for c in (alice, carol):
        assert not any("#solo" in line for line in answer(c, "LIST", "322"))
        c.sync()
        assert len([line for line in c.seen if " QUIT " in line]) == 1  # once, though bob shared two channels
    carol.send("JOIN #solo")  # gone from Redis too: a new channel, and carol its operator
    assert carol.expect(r" 353 carol ").endswith(":@carol")
    no_repairs_needed(n1, n3)


def test_channels_are_kept_across_a_redis_restart_and_a_new_node_sees_them(redis_server, start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    alice, bob = client(n1).register("alice"), client(n2).register("bob")
    alice.send("JOIN #vault", "TOPIC #vault :kept", "MODE #vault +k sesame")
    alice.expect(r" MODE #vault \+k sesame$")
    bob.send("JOIN #vault sesame")
    alice.expect(rf"^:bob{PREFIX} JOIN #vault$")
    redis_server.stop()
    n1.wait_log(r"Redis at .* unreachable")
    redis_server.restart()
    for node in (n1, n2):
        node.wait_log(r"Redis at .* is back")
    until(lambda: any("directory repair" in line for line in n1.log) and any(
        "directory repair" in line for line in n2.log), what="both nodes compared with Redis")
    n3 = start_node("n3")  # learns every channel from what the others told the new Redis
    dave = client(n3).register("dave")
    dave.send("JOIN #vault")
    dave.expect(r"^:n3\.test 475 dave #vault :Cannot join channel \(\+k\)$")
    dave.send("JOIN #vault sesame")
    assert dave.expect(r" 332 dave ") == ":n3.test 332 dave #vault :kept"
    assert sorted(dave.expect(r" 353 dave ").rsplit(":", 1)[1].split()) == ["@alice", "bob", "dave"]
    assert agree([alice, bob, dave], lambda c: names(c, "#vault"), "#vault alike") == ["@alice", "bob", "dave"]
    no_repairs_needed(n1, n2, n3)


def test_a_paused_node_comes_back_into_its_channels(start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    alice, bob = client(n1).register("alice"), client(n2).register("bob")
    alice.send("JOIN #wait")
    alice.expect(r" 366 alice #wait ")
    bob.send("JOIN #wait")
    alice.expect(rf"^:bob{PREFIX} JOIN #wait$")
    os.kill(n2.proc.pid, signal.SIGSTOP)
    try:
        alice.expect(rf"^:bob{PREFIX} QUIT :n1\.test n2$", timeout=10)
        assert names(alice, "#wait") == ["@alice"]
        alice.send("TOPIC #wait :while you were out")
        alice.expect(" TOPIC ")
    finally:
        os.kill(n2.proc.pid, signal.SIGCONT)
    bob.expect(rf"^:alice{PREFIX} QUIT :n2\.test n1$", timeout=15)  # the split, as bob saw it
    bob.expect(rf"^:alice{PREFIX} JOIN #wait$", timeout=15)  # and the netjoin
    alice.expect(rf"^:bob{PREFIX} JOIN #wait$", timeout=15)  # bob's node said where its users are
    assert agree([alice, bob], lambda c: names(c, "#wait"), "#wait alike") == ["@alice", "bob"]
    topic = agree([alice, bob], lambda c: answer(c, "TOPIC #wait", "332"), "the topic alike")
    assert topic == ["332 #wait :while you were out"]
    no_repairs_needed(n1, n2)


def test_changes_made_while_redis_is_away_hold_everywhere_once_it_is_back(redis_server, start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    alice, bob = client(n1).register("alice"), client(n2).register("bob")
    alice.send("JOIN #out")
    alice.expect(r" 366 alice #out ")
    bob.send("JOIN #out")
    alice.expect(rf"^:bob{PREFIX} JOIN #out$")
    redis_server.stop()
    for node in (n1, n2):
        node.wait_log(r"Redis at .* unreachable")
    alice.send("TOPIC #out :said while Redis was away", "MODE #out +b carol!*@*")
    alice.expect(r" MODE #out \+b ")
    redis_server.restart()
    for node in (n1, n2):
        node.wait_log(r"Redis at .* is back")
    topic = agree([alice, bob], lambda c: answer(c, "TOPIC #out", "332"), "the topic alike")
    assert topic == ["332 #out :said while Redis was away"]
    bans = agree([alice, bob], lambda c: [line.split()[2] for line in answer(c, "MODE #out +b", "367")], "bans alike")
    assert bans == ["carol!*@*"]
    carol = client(start_node("n3")).register("carol")  # a node that learns the channel from the new Redis
    carol.send("JOIN #out")
    carol.expect(r"^:n3\.test 474 carol #out ")
    assert answer(carol, "TOPIC #out", "332") == ["332 #out :said while Redis was away"]
    no_repairs_needed(n1, n2)
