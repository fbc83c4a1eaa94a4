"""The Lua scripts against a real redis-server, without nodes: fencing, taking a
name, declaring a node dead, one entry order across streams, trimming by age."""

from __future__ import annotations

import pytest

from geventchat.network import scripts as S
from geventchat.network.keys import Keys
from geventchat.network.reader import parse_id

P = "geventchat:test"
KEYS = Keys(P)
TTL = 5000
MAXLEN = 1000
KEEP = 300_000


@pytest.fixture
def r(redis_server):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


def run(r, source: str, *args):
    return r.register_script(source)(args=[P, *args])


def claim_node(r, node: str, epoch: str, known_dead: str = ""):
    return run(r, S.CLAIM_NODE, node, epoch, TTL, '{"pid": 1}', MAXLEN, known_dead)


def append(r, node: str, epoch: str, *items):
    """items: (streams, message, ops...) with sequence number 1 in every stream."""
    args: list = [node, epoch, TTL, MAXLEN, KEEP, len(items)]
    for streams, message, *ops in items:
        args.append(len(streams))
        for stream in streams:
            args += (stream, 1)
        args += (message, len(ops))
        for op in ops:
            args.extend(op)
    return run(r, S.APPEND, *args)


def test_a_live_name_is_refused_and_a_dead_one_is_reaped_before_it_is_taken(r):
    assert claim_node(r, "n1", "a.1")[0] == b"ok"
    assert claim_node(r, "n1", "b.1")[:2] == [b"taken", b"a.1"]  # a twin
    assert run(r, S.CLAIM, "n1", "a.1", TTL, "bob", "n1/a.1")[0] == b"ok"
    taken = claim_node(r, "n1", "b.1", "a.1")  # a.1 is known to be gone: take over at once
    assert taken[0] == b"ok" and r.get(KEYS.nick("bob")) is None  # its nicks freed first
    dead = r.xrange(KEYS.directory)[-1][1]
    assert dead[b"o"] == b"*" and dead[b"m"].startswith(b'{"k":"dead","node":"n1","e":"a.1"}')
    assert append(r, "n1", "a.1", ((KEYS.directory,), b"x")) == [b"taken"]  # the old run is fenced
    assert append(r, "n1", "b.1", ((KEYS.directory,), b"x"))[0] == b"ok"


def test_declaring_dead_frees_the_nicks_and_says_so_in_one_step(r):
    claim_node(r, "n2", "a.1")
    run(r, S.CLAIM, "n2", "a.1", TTL, "carol", "n2/a.1")
    assert run(r, S.REAP, "n2", "a.1", MAXLEN) == 0  # still beating
    r.delete(KEYS.alive("n2"))
    assert run(r, S.REAP, "n2", "a.1", MAXLEN) == 1
    assert run(r, S.REAP, "n2", "a.1", MAXLEN) == 0  # once
    assert r.get(KEYS.nick("carol")) is None and not r.exists(KEYS.users("n2"), KEYS.held("n2"))
    assert run(r, S.BEAT, "n2", "a.1", TTL, "{}")[0] == b"dead"  # the paused run learns it when it wakes
    assert run(r, S.CLAIM, "n2", "a.1", TTL, "carol", "n2/a.1") == [b"fenced", b"dead"]


def test_after_a_redis_restart_a_node_takes_its_name_back_with_its_epoch(r):
    claim_node(r, "n3", "a.1")
    r.flushall()  # what an empty Redis looks like
    assert run(r, S.BEAT, "n3", "a.1", TTL, "{}")[0] == b"ok"
    assert r.get(KEYS.alive("n3")) == b"a.1"


def test_one_order_across_streams_and_a_line_to_two_channels_has_one_id(r):
    claim_node(r, "n1", "a.1")
    lobby, other, inbox = KEYS.channel("#lobby"), KEYS.channel("#x"), KEYS.inbox("n2")
    assert append(r, "n1", "a.1", ((lobby,), b"m0"), ((inbox,), b"p0"), ((lobby, other), b"quit"),
                  ((KEYS.directory,), b"hello", ("hello", 1, "n1/a.1", "{}")))[0] == b"ok"
    ids = {e[1][b"m"]: parse_id(e[0]) for s in (lobby, other, inbox, KEYS.directory) for e in r.xrange(s)}
    assert ids[b"m0"] < ids[b"p0"] < ids[b"quit"] < ids[b"hello"]
    assert [e[0] for e in r.xrange(lobby)][-1] == [e[0] for e in r.xrange(other)][-1]
    assert r.hget(KEYS.record("n1"), "synced")  # a HELLO marks the directory as written in this Redis


def test_hook_commands_run_with_the_line_and_learn_its_id(r):
    claim_node(r, "n1", "a.1")
    lobby = KEYS.channel("#lobby")
    append(r, "n1", "a.1", ((lobby,), b"m", ("cmd", 4, "HSET", f"{P}:index", "msgid-1", S.ENTRY_ID)))
    assert r.hget(f"{P}:index", "msgid-1") == r.xrange(lobby)[-1][0]


def test_streams_keep_entries_by_age(r):
    claim_node(r, "n1", "a.1")
    stream = KEYS.channel("#lobby")
    old = int(r.time()[0]) * 1000 - 400_000
    for n in range(300):  # entries older than the 300 s kept: as if written long ago
        r.xadd(stream, {"m": b"old"}, id=f"{old}-{n}")
    r.set(KEYS.last, f"{old}-300")
    append(r, "n1", "a.1", ((stream,), b"new"))
    left = [e[1][b"m"] for e in r.xrange(stream)]
    assert left[-1] == b"new" and len(left) < 301  # trimmed (by whole nodes: ~ is approximate)
    assert b"new" in left
