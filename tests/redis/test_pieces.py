"""The network's pure pieces without Redis: the envelope, records, and the
registry's mirror and offline claims (against a fake link)."""

from __future__ import annotations

from geventchat.core.state import User
from geventchat.network import envelope as E
from geventchat.network.records import default_node_name, from_record, node_of, to_record
from geventchat.network.redis_registry import RedisRegistry


def user(uid: str, nick: str, signon: float = 1.0) -> User:
    return User(uid=uid, nick=nick, user="u", host="h", realname="R N", server="s.test", signon=signon)


def test_envelope_round_trip_keeps_the_line_bytes_exactly():
    line = b":a!u@h PRIVMSG #lobby :caf\xc3\xa9 \xff\n{\"k\":1}\r\n"
    data = E.encode("n1", E.CHANNELS, {"c": ["#lobby"], "s": "n1/3"}, line)
    assert E.origin_of(data) == b"n1"
    env = E.decode(data)
    assert (env.origin, env.kind, env.fields, env.line) == ("n1", E.CHANNELS, {"c": ["#lobby"], "s": "n1/3"}, line)


def test_a_delivery_crosses_with_its_tags_time_and_routing():
    from geventchat.core.caps import TAGS, TIME
    from geventchat.core.outbox import Delivery

    sent = Delivery(b":a!u@h TAGMSG #lobby\r\n", tags={"msgid": "n1~x~1", "+typing": "active"}, time=1.5,
                    channels=("#lobby",), skip="n1/3", needs=TAGS)
    env = E.decode(E.encode("n1", E.CHANNELS, E.delivery_fields(sent), sent.plain))
    got = E.to_delivery(env)
    assert (got.channels, got.skip, got.needs) == (("#lobby",), "n1/3", TAGS)
    assert got.line(0) is None  # TAGMSG: never to a client without message-tags
    assert got.line(TAGS | TIME) == sent.line(TAGS | TIME) == (
        b"@time=1970-01-01T00:00:01.500Z;msgid=n1~x~1;+typing=active :a!u@h TAGMSG #lobby\r\n")


def test_records_and_uids():
    u = user("irc.a-12/7", "Bob[")
    assert from_record(to_record(u)).prefix == u.prefix
    assert node_of(u.uid) == "irc.a-12"
    assert default_node_name("irc.example.org", 42) == "irc.example.org-42"
    assert default_node_name("we:ird/name", 1) == "we_ird_name-1"


class FakeLink:
    def __init__(self) -> None:
        self.connected = True
        self.owners: dict[str, str] = {}
        self.sent: list[tuple] = []

    def claim(self, folded: str, uid: str) -> str:
        return self.owners.setdefault(folded, uid)

    def release(self, folded: str, uid: str) -> None:
        if self.owners.get(folded) == uid:
            del self.owners[folded]

    def user_changed(self, u: User, kind: str = E.ADD) -> None:
        self.sent.append((kind, u.nick))

    def user_gone(self, u: User) -> None:
        self.sent.append(("del", u.nick))


def test_claims_go_to_redis_under_rfc1459_folding():
    link = FakeLink()
    reg = RedisRegistry(link, "n1")
    link.owners["bob{"] = "n2/1"  # held on another node
    assert not reg.claim_nick("BOB[", "n1/1")
    assert reg.claim_nick("alice", "n1/1")
    assert link.owners["alice"] == "n1/1"
    reg.release_nick("Alice", "n1/1")
    assert "alice" not in link.owners


def test_offline_claims_check_the_mirror():
    link = FakeLink()
    reg = RedisRegistry(link, "n1")
    reg.remote_add(user("n2/1", "bob"))
    link.connected = False
    assert not reg.claim_nick("Bob", "n1/1")
    assert reg.claim_nick("carol", "n1/1")
    assert reg.held == {"carol": "n1/1"}  # re-claimed when Redis is back


def test_the_mirror_answers_find_users_and_len():
    link = FakeLink()
    reg = RedisRegistry(link, "n1")
    mine = user("n1/1", "alice")
    assert reg.claim_nick("alice", mine.uid)
    reg.add(mine)
    reg.remote_add(user("n2/1", "bob"))
    reg.remote_add(user("n3/1", "carol"))
    assert len(reg) == 3 and reg.local_count() == 1 and reg.max_users == 3
    assert reg.find("BOB").uid == "n2/1"
    assert reg.remote_rename("n2/1", "Robert")[1] == "bob!u@h"
    assert reg.find("bob") is None and reg.find("robert").nick == "Robert"
    assert [u.nick for u in reg.drop_node("n3")] == ["carol"]
    assert sorted(u.nick for u in reg.users()) == ["Robert", "alice"]
    assert reg.remote_nodes() == {"n2"}
    reg.remove(mine)
    assert link.sent == [("add", "alice"), ("del", "alice")] and "alice" not in link.owners


def test_chat_uids_carry_the_node_name():
    """The bus routes a private line by the node in the uid: Chat must keep `node` as the uid's head."""
    from geventchat.config import Config
    from geventchat.core.chat import Chat
    from geventchat.network.records import uid_prefix

    chat = Chat(Config.from_flags(server_name="n1.test"), node=uid_prefix("n1.test-77"))
    session = chat.connect("127.0.0.1", lambda data: None, lambda: None, 0.0)
    assert node_of(session.uid) == "n1.test-77"


def test_network_usage_errors():
    import subprocess
    import sys

    for argv, message in (
        (["--redis", "localhost:6379"], "--redis takes a URL like redis://HOST:PORT/DB"),
        (["--redis", "redis://127.0.0.1:1/0", "--node-name", "a/b"], "node names use letters"),
        (["--redis", "redis://127.0.0.1:1/0", "--node-timeout", "1", "--redis-retry-max", "2"],
         "--node-timeout must be at least twice --redis-retry-max"),
    ):
        result = subprocess.run([sys.executable, "-m", "geventchat", *argv], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and message in result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr


def test_bus_publishes_a_room_line_once_and_a_private_line_to_its_node_only():
    from geventchat.core.outbox import Delivery
    from geventchat.network.keys import Keys
    from geventchat.network.redis_bus import RedisBus

    class Link:
        keys = Keys("t")

        def __init__(self) -> None:
            self.sent: list[tuple[str, bytes]] = []

        def send(self, channel: str, data: bytes) -> None:
            self.sent.append((channel, data))

    link = Link()
    bus = RedisBus(link, "n1")
    got: dict[str, list[bytes]] = {"n1/1": [], "n1/2": []}
    for uid in got:
        bus.subscribe(uid, got[uid].append)
        bus.join(uid, "#lobby")
    bus.publish(Delivery(b"room\r\n", channels=("#lobby",), skip="n1/1"))
    bus.publish(Delivery(b"to n1/1\r\n", uid="n1/1"))
    bus.publish(Delivery(b"to n2/7\r\n", uid="n2/7"))
    assert got == {"n1/1": [b"to n1/1\r\n"], "n1/2": [b"room\r\n"]}  # local hop at once
    assert [(ch, E.decode(d).kind, E.decode(d).line) for ch, d in link.sent] == [
        ("t:all", E.CHANNELS, b"room\r\n"),  # once, for every other node
        ("t:to:n2", E.UID, b"to n2/7\r\n"),  # only the node holding the target
    ]


def test_a_client_closed_while_its_claim_waits_leaves_no_nick_behind():
    """A network claim yields to other greenlets; a quit in between must not strand the nick."""
    from geventchat.config import Config
    from geventchat.core.chat import Chat

    link = FakeLink()
    registry = RedisRegistry(link, "n1")
    chat = Chat(Config.from_flags(server_name="n1.test"), registry=registry, node="n1/")
    session = chat.connect("127.0.0.1", lambda data: None, lambda: None, 0.0)
    claim = link.claim

    def slow_claim(folded: str, uid: str) -> str:
        chat.quit(session, "Registration timed out", 1.0)  # what the sweep could do meanwhile
        return claim(folded, uid)

    link.claim = slow_claim
    chat.receive(session, b"NICK zed", 1.0)
    assert "zed" not in link.owners and registry.held == {}
