"""NetworkNode: this process as one node of a chat shared over Redis.

Wires RedisLink, RedisRegistry and RedisBus under an ordinary Chat, applies
what other nodes send, and rebuilds this node's part of the shared state
whenever the link to Redis is (re)made.
"""

from __future__ import annotations

import json
import logging
import os
import time

import gevent
from redis.exceptions import RedisError

from ..config import Config
from ..core.accounts import Hasher
from ..core.chat import Chat
from ..core.history import HistoryStore
from ..core.state import User
from . import announce
from . import envelope as E
from .keys import Keys
from .link import RedisLink
from .liveness import Liveness
from .records import default_node_name, from_record, node_of, to_record, uid_prefix
from .redis_accounts import RedisAccounts
from .redis_bus import RedisBus
from .redis_registry import RedisRegistry

log = logging.getLogger("geventchat")

class NetworkNode:
    def __init__(self, config: Config, history: HistoryStore | None = None, hasher: Hasher | None = None) -> None:
        assert config.network.redis
        self.config = config
        self.name = config.network.node_name or default_node_name(config.server.name, os.getpid())
        self.keys = Keys(f"geventchat:{config.server.network}")
        self.link = RedisLink(config.network, self.name, self.keys)
        self.registry = RedisRegistry(self.link, self.name)
        self.bus = RedisBus(self.link, self.name)
        accounts = RedisAccounts(self.link.redis, self.keys.prefix, online=lambda: self.link.connected)
        self.chat = Chat(config, bus=self.bus, registry=self.registry, node=uid_prefix(self.name), history=history,
                         accounts=accounts, bans=accounts, hasher=hasher)
        self.chat.broadcast_control = lambda fields: self.link.send(
            self.keys.broadcast, E.encode(self.name, E.CONTROL, fields))
        self.liveness = Liveness(self)
        self.link.on_connected = self.resync
        self.link.on_message = self.receive
        self._origin = self.name.encode()
        self._beat: gevent.Greenlet | None = None

    def start(self) -> None:
        self.link.start()
        self._beat = gevent.spawn(self.liveness.run)

    def stop(self) -> None:
        """Leave the network cleanly: flush what clients' quits sent, free our keys."""
        self.link.flush(self.config.network.redis_flush_on_stop)
        if self._beat is not None:
            self._beat.kill(block=False)
        if self.link.connected:
            keys = self.keys
            try:
                self.link.redis.delete(keys.alive(self.name))
                self.link.reap_script(
                    keys=[keys.held(self.name), keys.users(self.name), keys.nodes],
                    args=[keys.nick(""), uid_prefix(self.name), self.name],
                )
            except RedisError as error:
                log.warning("could not clear this node's keys in Redis: %s", error)
        self.link.close()

    # --- from other nodes ------------------------------------------------

    def receive(self, data: bytes) -> None:
        if E.origin_of(data) == self._origin:
            return
        env = E.decode(data)
        kind, f = env.kind, env.fields
        if kind == E.CHANNELS:
            sender = f.get("s")  # the skipped uid of a channel line is its sender
            if sender is not None:
                self.registry.remote_spoke(sender, time.time())
            self.chat.metrics.delivered(self.bus.deliver_here(E.to_delivery(env)))
        elif kind == E.UID:
            self.chat.metrics.delivered(self.bus.deliver_here(E.to_delivery(env)))
        elif kind == E.ADD:
            user = from_record(f["user"])
            self.registry.remote_add(user)
            self.chat.user_arrived(user)
        elif kind == E.DEL:
            self.registry.remote_remove(f["u"])
            self.chat.user_gone(f["u"])
        elif kind == E.NICK:
            self.registry.remote_rename(f["u"], f["n"])
        elif kind == E.HELLO:
            self.merge(env.origin, [from_record(r) for r in f["users"]])
        elif kind == E.DEAD:
            self._node_dead(f["node"])
        elif kind == E.LOST:
            gevent.spawn(announce.force_rename, self.chat, f["u"], f["n"])
        elif kind == E.CONTROL:
            self.chat.control(f, time.time())

    def _node_dead(self, dead: str) -> None:
        if dead == self.name:
            log.warning("the network counted this node as dead: announcing our users again")
            self.link.restart()
            return
        users = self.registry.drop_node(dead)
        announce.quits(self.chat, users, f"{self.config.server.name} {dead}")

    def merge(self, node: str, users: list[User]) -> None:
        """Make our mirror of `node` equal `users`, telling our clients what changed."""
        seen = set()
        for user in users:
            seen.add(user.uid)
            previous = self.registry.remote_add(user)
            self.chat.user_arrived(user)
            if previous is None:
                announce.join(self.chat, user)
            elif previous.nick != user.nick:
                announce.nick(self.chat, user, previous.prefix)
        gone = [u for u in self.registry.remote_users(node) if u.uid not in seen]
        for user in gone:
            self.registry.remote_remove(user.uid)
        announce.quits(self.chat, gone, f"{self.config.server.name} {node}")

    # --- (re)connected -----------------------------------------------------

    def resync(self) -> None:
        """Runs each time the link is made: re-claim, re-publish, re-read, say hello."""
        link, keys, redis = self.link, self.keys, self.link.redis
        local = self.registry.local_users()
        pipe = redis.pipeline(transaction=True)
        pipe.delete(keys.users(self.name))
        if local:
            pipe.hset(keys.users(self.name), mapping={u.uid: json.dumps(to_record(u)) for u in local})
        self.liveness.beat_now(pipe)
        pipe.smembers(keys.nodes)
        others = sorted({m.decode() for m in pipe.execute()[-1]} - {self.name})
        losers = self._reclaim()  # after our directory is written: rivals compare signons with it
        pipe = redis.pipeline(transaction=False)
        for other in others:
            pipe.hgetall(keys.users(other))
        for other, records in zip(others, pipe.execute()):
            if records:
                self.merge(other, [from_record(json.loads(r)) for r in records.values()])
        link.send(keys.broadcast, E.encode(self.name, E.HELLO, {"users": [to_record(u) for u in local]}))
        self.chat.opers.load(time.time())  # K-lines set while we were away
        for uid, nick in losers:
            gevent.spawn(announce.force_rename, self.chat, uid, nick)

    def _reclaim(self) -> list[tuple[str, str]]:
        """Claim again every nick our users hold; the earlier signon keeps a contested one.

        Returns our (uid, nick) pairs that lost and must be renamed.
        """
        keys, redis, link = self.keys, self.link.redis, self.link
        local = {u.uid: u for u in self.registry.local_users()}
        losers = []
        for stale in {m.decode() for m in redis.smembers(keys.held(self.name))} - set(self.registry.held):
            link.release_now(stale)  # released while Redis was away (it may have kept our keys)
        for folded, uid in list(self.registry.held.items()):
            nick_key, held_key = keys.nick(folded), keys.held(self.name)
            owner = link.claim_or_raise(folded, uid)
            if owner == uid:
                continue
            user = local.get(uid)
            if user is None:
                continue  # still registering: it keeps what it has until it registers
            raw = redis.hget(keys.users(node_of(owner)), owner)
            theirs = json.loads(raw) if raw else None
            if theirs is None or (user.signon, uid) < (float(theirs["signon"]), owner):
                if link.take_over_script(keys=[nick_key, held_key], args=[owner, uid, folded]) == 1:
                    link.send(keys.inbox(node_of(owner)), E.encode(self.name, E.LOST, {"u": owner, "n": user.nick}))
                    continue
            losers.append((uid, user.nick))
        if losers:
            log.warning("nick conflicts after reconnect: %s", ", ".join(n for _, n in losers))
        return losers
