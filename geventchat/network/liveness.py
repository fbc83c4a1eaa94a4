"""Node liveness: a heartbeat key with a TTL, and what survivors do when one lapses.

Every node refreshes `alive:<node>` four times per --node-timeout, with the
timeout as its TTL. A node whose key is gone has sent no heartbeat for a
whole timeout and is dead, unless this node (re)connected less than a
timeout ago: after a Redis restart every key is gone and the others need
their reconnect backoff to write theirs again. Each survivor announces a
dead node's users as QUIT with the netsplit-style reason `<our server>
<dead node>`; the one survivor that wins `reap:<node>` frees its nicks and
directory in Redis. A dead node is noticed within 1.25 timeouts of its last
heartbeat.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import gevent
from redis.exceptions import RedisError

from . import announce
from . import envelope as E
from .records import uid_prefix

if TYPE_CHECKING:
    from .node import NetworkNode

log = logging.getLogger("geventchat")


class Liveness:
    def __init__(self, node: NetworkNode) -> None:
        self.node = node
        self.timeout = node.config.network.node_timeout
        self.interval = self.timeout / 4

    def run(self) -> None:
        link = self.node.link
        while True:
            gevent.sleep(self.interval)
            if not link.connected:
                continue
            try:
                self.beat(time.time())
            except RedisError as error:
                link.lost(error)
            except Exception:
                log.exception("bug in the node heartbeat")

    def beat_now(self, pipe) -> None:
        """Add our heartbeat to a pipeline."""
        node = self.node
        pipe.set(node.keys.alive(node.name), node.config.server.name, px=int(self.timeout * 1000))
        pipe.sadd(node.keys.nodes, node.name)

    def beat(self, now: float) -> None:
        node, keys = self.node, self.node.keys
        pipe = node.link.redis.pipeline(transaction=False)
        self.beat_now(pipe)
        pipe.smembers(keys.nodes)
        members = pipe.execute()[-1]
        others = sorted(({m.decode() for m in members} | node.registry.remote_nodes()) - {node.name})
        if not others:
            node.registry.live_nodes = set()
            return
        pipe = node.link.redis.pipeline(transaction=False)
        for other in others:
            pipe.exists(keys.alive(other))
        since_connect = node.link.connected_since
        alive = dict(zip(others, pipe.execute()))
        node.registry.live_nodes = {other for other, up in alive.items() if up}
        for other, up in alive.items():
            if not up and now - since_connect >= self.timeout:
                self.declare_dead(other)

    def declare_dead(self, dead: str) -> None:
        node, keys = self.node, self.node.keys
        users = node.registry.drop_node(dead)
        log.warning("node %s missed its heartbeat for %gs: %d users split off", dead, self.timeout, len(users))
        announce.quits(node.chat, users, f"{node.config.server.name} {dead}")
        redis = node.link.redis
        if not redis.set(keys.reap(dead), node.name, nx=True, px=int(self.timeout * 1000)):
            return  # another survivor frees its state
        freed = node.link.reap_script(
            keys=[keys.held(dead), keys.users(dead), keys.nodes],
            args=[keys.nick(""), uid_prefix(dead), dead],
        )
        node.link.send(keys.broadcast, E.encode(node.name, E.DEAD, {"node": dead}))
        log.info("freed %s nicks of dead node %s", freed, dead)
