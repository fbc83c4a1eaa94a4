"""History on a network: kept in Redis with the lines, the same answer from every node.

Two nodes on one real redis-server: a line said on one is in the history the
other serves, with the same msgid and time; a redaction on one is gone on both;
playback on joining a node includes what was said on the other.
"""

from __future__ import annotations

import re

from tests.server.test_history import latest

HISTORY_CAPS = "draft/chathistory batch server-time message-tags draft/message-redaction echo-message"


def reader(client, node, nick: str):
    c = client(node)
    c.send(f"CAP REQ :{HISTORY_CAPS}", f"NICK {nick}", f"USER {nick} 0 * :Reader", "CAP END")
    c.expect(r" 366 ")
    return c


def test_both_nodes_answer_the_same_history(start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    alice = reader(client, n1, "alice")
    bob = reader(client, n2, "bob")
    alice.send("PRIVMSG #lobby :said on n1")
    bob.expect(r"said on n1")
    bob.send("PRIVMSG #lobby :said on n2")
    alice.expect(r"said on n2")
    on_n1, on_n2 = latest(alice), latest(bob)
    assert [text for _, _, text in on_n1] == ["said on n1", "said on n2"]
    assert on_n1 == on_n2  # the same msgids and times


def test_a_redaction_on_one_node_leaves_the_history_of_both(start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    alice = reader(client, n1, "alice")
    bob = reader(client, n2, "bob")
    alice.send("PRIVMSG #lobby :oops")
    msgid = re.search(r"msgid=([^; ]+)", alice.expect(r"PRIVMSG #lobby :oops")).group(1)
    bob.expect(r"oops")
    alice.send(f"REDACT #lobby {msgid}")
    assert bob.expect(r" REDACT ").endswith(f"REDACT #lobby {msgid}")
    assert latest(bob) == [] and latest(alice) == []


def test_playback_on_joining_one_node_shows_what_was_said_on_the_other(start_node, client):
    n1, n2 = start_node("n1"), start_node("n2")
    alice = client(n1).register("alice")
    alice.send("PRIVMSG #lobby :before you came")
    alice.sync()
    late = client(n2).register("late")
    line = late.expect(r"before you came")
    assert re.fullmatch(r":alice!user@127\.0\.0\.1 PRIVMSG #lobby :\[\d\d:\d\d\] before you came", line)
