"""The network's pure pieces without Redis: the envelope, records, the stream
order, the backlog's bounds, and the registry's mirror and offline claims
(against a stand-in link that records what would be written)."""

from __future__ import annotations

from geventchat.config import Config
from geventchat.core.state import User
from geventchat.network import envelope as E
from geventchat.network.backlog import Backlog, Item
from geventchat.network.keys import Keys
from geventchat.network.reader import MESSAGE, StreamOrder
from geventchat.network.records import default_node_name, from_record, node_of, to_record, uid_prefix
from geventchat.network.redis_registry import RedisRegistry


def user(uid: str, nick: str, signon: float = 1.0) -> User:
    return User(uid=uid, nick=nick, user="u", host="h", realname="R N", server="s.test", signon=signon)


def test_envelope_round_trip_keeps_the_line_bytes_exactly():
    line = b":a!u@h PRIVMSG #lobby :caf\xc3\xa9 \xff\n{\"k\":1}\r\n"
    env = E.decode(E.encode(E.CHANNELS, {"c": ["#lobby"], "s": "n1/x.3"}, line))
    assert (env.kind, env.fields, env.line) == (E.CHANNELS, {"c": ["#lobby"], "s": "n1/x.3"}, line)
    assert E.command_of(line) == b"PRIVMSG"


def test_a_delivery_crosses_with_its_tags_time_and_routing():
    from geventchat.core.caps import TAGS, TIME
    from geventchat.core.outbox import Delivery

    sent = Delivery(b":a!u@h TAGMSG #lobby\r\n", tags={"msgid": "n1~x~1", "+typing": "active"}, time=1.5,
                    channels=("#lobby",), skip="n1/x.3", needs=TAGS)
    got = E.to_delivery(E.decode(E.encode(E.CHANNELS, E.delivery_fields(sent), sent.plain)))
    assert (got.channels, got.skip, got.needs) == (("#lobby",), "n1/x.3", TAGS)
    assert got.line(0) is None  # TAGMSG: never to a client without message-tags
    assert got.line(TAGS | TIME) == sent.line(TAGS | TIME) == (
        b"@time=1970-01-01T00:00:01.500Z;msgid=n1~x~1;+typing=active :a!u@h TAGMSG #lobby\r\n")


def test_records_and_uids():
    u = user("irc.a-12/k3x.7", "Bob[")
    assert from_record(to_record(u)).prefix == u.prefix
    assert node_of(u.uid) == "irc.a-12"
    assert uid_prefix("n1", "k3x") == "n1/k3x."
    assert default_node_name("irc.example.org") == "irc.example.org"  # no PID: the same after a restart
    assert default_node_name("we:ird/name") == "we_ird_name"


def entry(origin: bytes, epoch: bytes, seq: int, text: bytes) -> list:
    """An entry's fields as XREAD gives them: a flat list, in the order the APPEND script writes them."""
    return [b"o", origin, b"e", epoch, b"q", str(seq).encode(), b"m", text]


def test_streams_merge_back_into_the_order_redis_wrote_them_in():
    """A sender's channel line and private line, read from two streams, come out in its order."""
    order = StreamOrder()
    order.watch([b"chan", b"inbox"])
    reply = [
        [b"chan", [(b"100-0", entry(b"n1", b"e", 1, b"m0")), (b"100-2", entry(b"n1", b"e", 2, b"m1"))]],
        [b"inbox", [(b"100-1", entry(b"n1", b"e", 1, b"p0")), (b"101-0", entry(b"n1", b"e", 2, b"p1"))]],
    ]
    entries, whole = order.order(reply, count=10)
    assert [e.fields[MESSAGE] for e in entries] == [b"m0", b"p0", b"m1", b"p1"] and whole
    assert order.positions == {b"chan": b"100-2", b"inbox": b"101-0"}


def test_a_stream_cut_by_count_holds_back_what_sorts_after_the_cut():
    order = StreamOrder()
    order.watch([b"a", b"b"])
    reply = [
        [b"a", [(b"1-0", entry(b"n1", b"e", 1, b"a1")), (b"3-0", entry(b"n1", b"e", 2, b"a3"))]],  # cut at 3-0
        [b"b", [(b"2-0", entry(b"n2", b"e", 1, b"b2")), (b"4-0", entry(b"n2", b"e", 2, b"b4"))]],
    ]
    entries, whole = order.order(reply, count=2)
    assert [e.fields[MESSAGE] for e in entries] == [b"a1", b"b2", b"a3"] and not whole
    assert order.positions[b"b"] == b"2-0"  # 4-0 is read again next time, after whatever a holds below it


def test_one_entry_in_two_channel_streams_is_taken_once():
    order = StreamOrder()
    order.watch([b"x", b"y"])
    quit_line = entry(b"n1", b"e", 1, b"QUIT")
    entries, _ = order.order([[b"x", [(b"5-0", quit_line)]], [b"y", [(b"5-0", quit_line)]]], count=10)
    assert len(entries) == 1 and [s for s, _ in entries[0].copies] == [b"x", b"y"]


def test_copies_are_dropped_and_gaps_counted_per_origin_and_stream():
    order = StreamOrder()
    assert order.fresh(b"n1", b"s", b"e1", 1) == (True, 0)
    assert order.fresh(b"n1", b"s", b"e1", 2) == (True, 0)
    assert order.fresh(b"n1", b"s", b"e1", 2) == (False, 0)  # written again after a Redis restart
    assert order.fresh(b"n1", b"s", b"e1", 6) == (True, 3)  # 3, 4, 5 never arrived
    assert order.fresh(b"n1", b"s", b"e2", 1) == (True, 0)  # a new epoch counts from 1
    assert order.fresh(b"n2", b"s", b"f", 9) == (True, 0)  # first seen: nothing to compare
    assert order.fresh(b"*", b"s", b"", 0) == (True, 0)  # the network's own entries


def test_our_own_entries_read_back_only_move_the_positions_on():
    order = StreamOrder()
    order.watch([b"chan"])
    reply = {b"chan": [(b"1-0", entry(b"me", b"e", 1, b"mine")), (b"2-0", entry(b"n2", b"e", 1, b"theirs")),
                       (b"3-0", entry(b"me", b"e", 2, b"mine too"))]}  # a RESP3 reply is a map
    entries, whole = order.order(reply, count=10, ignore=b"me")
    assert [e.fields[MESSAGE] for e in entries] == [b"theirs"] and whole
    assert order.positions[b"chan"] == b"3-0" and order.merged == (3, 0)


def test_a_stream_read_for_the_first_time_starts_at_the_current_point():
    order = StreamOrder()
    order.watch([b"ctl"])
    order.order([[b"ctl", [(b"7-3", entry(b"n1", b"e", 1, b"x"))]]], count=10)
    assert order.watch([b"ctl", b"new"])[b"new"] == b"7-3"


def item(text: bytes, about: str | None = None) -> Item:
    return Item(("s",), text, about=about, size=100)


def test_the_backlog_keeps_lines_while_redis_is_away_within_its_bounds():
    backlog = Backlog(max_bytes=300, max_seconds=10, replay_seconds=1)
    backlog.link_down(0.0)
    assert backlog.add(item(b"1"), 1.0) and backlog.add(item(b"2"), 2.0) and backlog.add(item(b"3"), 3.0)
    assert not backlog.add(item(b"4"), 4.0)  # past the bytes
    assert not backlog.past_bound(4.0) or backlog.dropped == 1
    assert backlog.past_bound(4.0)
    assert Item((), b"", ("free", "bob", "n1/x.1"), 1) and backlog.add(Item((), b"", ("free", "b", "u"), 1), 5.0)
    backlog.link_up()
    assert [i.message for i in backlog.take(10)] == [b"1", b"2", b"3", b""]  # in order, the release kept


def test_the_backlog_stops_keeping_lines_past_its_time_bound():
    backlog = Backlog(max_bytes=10_000, max_seconds=10, replay_seconds=1)
    backlog.link_down(100.0)
    assert backlog.add(item(b"early"), 105.0)
    assert not backlog.past_bound(109.0)
    assert backlog.past_bound(111.0)  # users are told even if nobody is talking
    assert not backlog.add(item(b"late"), 111.0)
    assert backlog.dropped == 1


def test_the_backlog_writes_again_what_redis_may_have_lost():
    backlog = Backlog(max_bytes=10_000, max_seconds=10, replay_seconds=1)
    for text, at in ((b"old", 0.0), (b"recent", 5.5), (b"last", 6.0)):
        backlog.add(item(text), at)
        backlog.written(backlog.take(1), at)
    backlog.add(item(b"pending"), 7.0)
    assert backlog.replay() == 2
    assert [i.message for i in backlog.take(10)] == [b"recent", b"last", b"pending"]


def test_the_backlog_drops_a_users_lines_and_says_whose():
    backlog = Backlog(max_bytes=10_000, max_seconds=10, replay_seconds=1)
    for text, about in ((b"a1", "a"), (b"b1", "b"), (b"a2", "a")):
        backlog.add(item(text, about), 0.0)
    assert backlog.drop(lambda i: i.about == "a") == {"a": 2}
    assert [i.message for i in backlog.pending] == [b"b1"]


class FakeLink:
    """What a registry asks of its link; records what it would write."""

    keys = Keys("t")
    settings = Config.from_flags(redis="redis://127.0.0.1:1/0").network

    def __init__(self) -> None:
        self.online = True
        self.owners: dict[str, str] = {}
        self.items: list[Item] = []

    def claim(self, folded: str, uid: str) -> str:
        return self.owners.setdefault(folded, uid)

    def append(self, item: Item) -> bool:
        self.items.append(item)
        if item.ops[:1] == ("free",):
            _, folded, uid = item.ops
            if self.owners.get(folded) == uid:
                del self.owners[folded]
        return True

    def flush(self, timeout: float) -> None:
        pass

    def written(self) -> list[tuple]:
        return [(E.decode(i.message).kind if i.streams else None, i.ops[0]) for i in self.items]


def test_claims_go_to_redis_under_rfc1459_folding():
    link = FakeLink()
    reg = RedisRegistry(link, "n1")
    link.owners["bob{"] = "n2/x.1"  # held on another node
    assert not reg.claim_nick("BOB[", "n1/x.1")
    assert reg.claim_nick("alice", "n1/x.1")
    assert link.owners["alice"] == "n1/x.1"
    reg.release_nick("Alice", "n1/x.1")
    assert "alice" not in link.owners


def test_offline_claims_check_the_mirror():
    link = FakeLink()
    reg = RedisRegistry(link, "n1")
    reg.remote_add(user("n2/x.1", "bob"))
    link.online = False
    assert not reg.claim_nick("Bob", "n1/x.1")
    assert reg.claim_nick("carol", "n1/x.1")
    assert reg.held == {"carol": "n1/x.1"}  # claimed again when Redis is back


def test_the_mirror_answers_find_users_and_len():
    link = FakeLink()
    reg = RedisRegistry(link, "n1")
    mine = user("n1/x.1", "alice")
    assert reg.claim_nick("alice", mine.uid)
    reg.add(mine)
    reg.remote_add(user("n2/x.1", "bob"))
    reg.remote_add(user("n3/x.1", "carol"))
    assert len(reg) == 3 and reg.local_count() == 1 and reg.max_users == 3
    assert reg.find("BOB").uid == "n2/x.1"
    assert reg.remote_rename("n2/x.1", "Robert")[1] == "bob!u@h"
    assert reg.find("bob") is None and reg.find("robert").nick == "Robert"
    assert [u.nick for u in reg.drop_node("n3")] == ["carol"]
    assert sorted(u.nick for u in reg.users()) == ["Robert", "alice"]
    assert reg.remote_nodes() == {"n2"}
    reg.remove(mine)
    assert link.written() == [(E.ADD, "hset"), (None, "free"), (E.DEL, "hdel")] and "alice" not in link.owners


def test_a_forced_rename_writes_no_nick_entry():
    """The loser's new nick reaches the other nodes in its node's HELLO, never as a NICK entry:
    a node that knew the loser under the contested nick must not read it as the winner's rename."""
    link = FakeLink()
    reg = RedisRegistry(link, "n1")
    zed = user("n1/x.1", "zed")
    reg.claim_nick("zed", zed.uid)
    reg.add(zed)
    link.items.clear()
    assert reg.claim_nick("Guest123", zed.uid)
    reg.forced_rename(zed, "Guest123")
    assert reg.find("guest123") is zed and reg.find("zed") is None
    assert [kind for kind, _ in link.written()] == [None]  # only the release of zed


def test_chat_uids_carry_the_node_name_and_run():
    """The bus routes a private line by the node in the uid: Chat must keep `node` as the uid's head."""
    from geventchat.core.chat import Chat

    chat = Chat(Config.from_flags(server_name="n1.test"), node=uid_prefix("n1.test", "k3x"))
    session = chat.connect("127.0.0.1", lambda data: None, lambda: None, 0.0)
    assert node_of(session.uid) == "n1.test" and session.uid.startswith("n1.test/k3x.")


def test_network_usage_errors():
    import subprocess
    import sys

    for argv, message in (
        (["--redis", "localhost:6379"], "--redis takes a URL like redis://HOST:PORT/DB"),
        (["--redis", "redis://127.0.0.1:1/0", "--node-name", "a/b"], "node names use letters"),
        (["--redis", "redis://127.0.0.1:1/0", "--node-timeout", "1", "--redis-retry-max", "2"],
         "--node-timeout must be at least twice --redis-retry-max"),
        (["--redis", "redis://127.0.0.1:1/0", "--node-timeout", "1.5", "--redis-retry-max", "0.3"],
         "--node-timeout must be at least twice --heartbeat-interval"),
        (["--redis", "redis://127.0.0.1:1/0", "--unreachable-after", "20"],
         "--unreachable-after must be longer than --heartbeat-interval and shorter than --node-timeout"),
    ):
        result = subprocess.run([sys.executable, "-m", "geventchat", *argv], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and message in result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr


def test_bus_writes_a_channel_line_once_and_a_private_line_to_its_node_only():
    from geventchat.core.outbox import Delivery
    from geventchat.network.redis_bus import RedisBus

    link = FakeLink()
    bus = RedisBus(link, "n1")  # type: ignore[arg-type]
    got: dict[str, list[bytes]] = {"n1/x.1": [], "n1/x.2": []}
    for uid in got:
        bus.subscribe(uid, got[uid].append)
        bus.join(uid, "#lobby")
    bus.add_writer(lambda delivery: [("HSET", "t:index", "k", "$id")])
    bus.publish(Delivery(b"room\r\n", channels=("#lobby",), skip="n1/x.1"))
    bus.publish(Delivery(b"to n1/x.1\r\n", uid="n1/x.1"))
    bus.publish(Delivery(b"to n2/y.7\r\n", uid="n2/y.7"))
    assert got == {"n1/x.1": [b"to n1/x.1\r\n"], "n1/x.2": [b"room\r\n"]}  # local hop at once
    assert [(i.streams, E.decode(i.message).kind, E.decode(i.message).line, i.about) for i in link.items] == [
        (("t:chan:#lobby",), E.CHANNELS, b"room\r\n", "n1/x.1"),  # once, for every other node
        (("t:to:n2",), E.UID, b"to n2/y.7\r\n", None),  # only the node holding the target
    ]
    assert link.items[0].ops == ("cmd", 4, "HSET", "t:index", "k", "$id") and link.items[0].op_count == 1
    assert bus.stream_keys() == {"t:chan:#lobby", "t:to:n1", "t:ctl"}


def test_a_client_closed_while_its_claim_waits_leaves_no_nick_behind():
    """A network claim yields to other greenlets; a quit in between must not strand the nick."""
    from geventchat.core.chat import Chat

    link = FakeLink()
    registry = RedisRegistry(link, "n1")
    chat = Chat(Config.from_flags(server_name="n1.test"), registry=registry, node="n1/x.")
    session = chat.connect("127.0.0.1", lambda data: None, lambda: None, 0.0)
    claim = link.claim

    def slow_claim(folded: str, uid: str) -> str:
        chat.quit(session, "Registration timed out", 1.0)  # what the sweep could do meanwhile
        return claim(folded, uid)

    link.claim = slow_claim
    chat.receive(session, b"NICK zed", 1.0)
    assert "zed" not in link.owners and registry.held == {}
