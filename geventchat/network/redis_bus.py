"""RedisBus: the Bus seam for a network of nodes.

A channel line is delivered here at once (local chat never waits for Redis)
and published once on the broadcast channel, where every other node hands it
to its own LocalBus: one formatted line per node, whatever its member count.
A line for one user goes only to the inbox channel of the node holding it.
"""

from __future__ import annotations

from ..core.bus import Deliver, LocalBus
from ..core.outbox import Delivery
from . import envelope as E
from .link import RedisLink
from .records import node_of


class RedisBus:
    def __init__(self, link: RedisLink, node: str) -> None:
        self.local = LocalBus()
        self.link = link
        self.node = node

    def subscribe(self, uid: str, deliver: Deliver, view: int = 0) -> None:
        self.local.subscribe(uid, deliver, view)

    def unsubscribe(self, uid: str) -> None:
        self.local.unsubscribe(uid)

    def join(self, uid: str, channel: str) -> None:
        self.local.join(uid, channel)

    def part(self, uid: str, channel: str) -> None:
        self.local.part(uid, channel)

    def publish(self, delivery: Delivery) -> int:
        """Deliver here and send on; return the lines queued here (other nodes count their own)."""
        if delivery.channels:
            count = self.local.publish(delivery)
            data = E.encode(self.node, E.CHANNELS, E.delivery_fields(delivery), delivery.plain)
            self.link.send(self.link.keys.broadcast, data)
            return count
        if delivery.uid is not None:
            node = node_of(delivery.uid)
            if node == self.node:
                return self.local.publish(delivery)
            data = E.encode(self.node, E.UID, E.delivery_fields(delivery), delivery.plain)
            self.link.send(self.link.keys.inbox(node), data)
            return 0
        count = 0
        if delivery.uids:
            nodes = {node_of(uid) for uid in delivery.uids}
            if self.node in nodes:
                count = self.local.publish(delivery)
            for node in nodes - {self.node}:
                data = E.encode(self.node, E.UID, E.delivery_fields(delivery), delivery.plain)
                self.link.send(self.link.keys.inbox(node), data)
        return count

    def deliver_here(self, delivery: Delivery) -> int:
        """The last hop of a line from another node."""
        return self.local.publish(delivery)
