"""Node liveness: a fenced heartbeat, and declaring a silent node dead.

Every --heartbeat-interval a node runs the BEAT script: it keeps
`alive:<node>` (TTL --node-timeout) while the name is its run's, stamps its
beat with Redis's clock, and reads everyone else's. A node whose beat is
older than --unreachable-after is unreachable (private lines to its users
are refused with a reason); one whose `alive` key has lapsed is dead,
unless this node (re)connected less than a node timeout ago (after a Redis
restart every key is gone and the others need their reconnect backoff to
write theirs again). The first survivor to run REAP frees the dead run's
nicks and directory and appends its DEAD entry, in one step: every node,
the reaper too, announces the QUITs when it reads that entry, so a nick is
free before anyone is told its holder left. A dead node is declared within
one heartbeat interval of its timeout.

The same loop checks the backlog's bounds, so users hear that lines are
being lost even when nobody is talking.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import gevent
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from .node import NetworkNode

log = logging.getLogger("geventchat")


class Liveness:
    def __init__(self, node: NetworkNode) -> None:
        self.node = node
        settings = node.config.network
        self.timeout = settings.node_timeout
        self.interval = settings.heartbeat_interval

    def run(self) -> None:
        link = self.node.link
        while True:
            gevent.sleep(self.interval)
            now = time.time()
            try:
                self.node.tick(now)
                if link.connected and link.fenced is None and link.ready:
                    self.beat(now)
            except RedisError as error:
                link.lost(error)
            except Exception:
                log.exception("bug in the node heartbeat")

    def beat(self, now: float) -> None:
        node = self.node
        link, registry, identity = node.link, node.registry, node.identity
        mirrored = sorted(registry.remote_nodes())
        epoch = identity.epoch
        result = link.beat_script(args=[link.keys.prefix, identity.name, epoch, link.ttl_ms,
                                        identity.info(), *mirrored])
        status = result[0].decode()
        if status != "ok":
            link.fence(status, epoch)
            return
        redis_now = int(result[1])
        beats = result[2]
        heard = {}
        for i in range(0, len(beats), 2):
            name = beats[i].decode()
            if name != identity.name:
                heard[name] = now - (redis_now - int(beats[i + 1])) / 1000
        registry.heard = heard
        others = result[3]
        alive = set()
        silent = []
        for i in range(0, len(others), 3):
            name, up, epoch = others[i].decode(), others[i + 1], others[i + 2].decode()
            if epoch:
                registry.epochs.setdefault(name, epoch)
            if up:
                alive.add(name)
            else:
                silent.append(name)
        registry.live_nodes = alive
        if now - link.connected_since < self.timeout:
            return
        for name in silent:
            self.declare_dead(name)

    def declare_dead(self, dead: str) -> None:
        node = self.node
        link = node.link
        known = node.registry.epochs.get(dead, "")
        if link.reap_script(args=[link.keys.prefix, dead, known, node.config.network.redis_stream_maxlen]) == 1:
            log.warning("node %s missed its heartbeat for %gs: declared dead, its nicks freed", dead, self.timeout)
