"""RedisBus: the Bus seam for a network of nodes.

A room line is delivered here at once (local chat never waits for Redis) and
published once on the broadcast channel, where every other node hands it to
its own LocalBus: one formatted line per node, whatever its member count.
A line for one user goes only to the inbox channel of the node holding it.
"""

from __future__ import annotations

from ..core.bus import Deliver, Delivery, LocalBus
from . import envelope as E
from .link import RedisLink
from .records import node_of


class RedisBus:
    def __init__(self, link: RedisLink, node: str) -> None:
        self.local = LocalBus()
        self.link = link
        self.node = node

    def subscribe(self, uid: str, deliver: Deliver) -> None:
        self.local.subscribe(uid, deliver)

    def unsubscribe(self, uid: str) -> None:
        self.local.unsubscribe(uid)

    def join(self, uid: str, room: str) -> None:
        self.local.join(uid, room)

    def part(self, uid: str, room: str) -> None:
        self.local.part(uid, room)

    def publish(self, delivery: Delivery) -> None:
        if delivery.room is not None:
            self.local.publish(delivery)
            fields = {"r": delivery.room, "s": delivery.skip} if delivery.skip else {"r": delivery.room}
            self.link.send(self.link.keys.broadcast, E.encode(self.node, E.ROOM, fields, delivery.line))
        elif delivery.uid is not None:
            node = node_of(delivery.uid)
            if node == self.node:
                self.local.publish(delivery)
            else:
                self.link.send(self.link.keys.inbox(node), E.encode(self.node, E.UID, {"u": delivery.uid}, delivery.line))

    def deliver_here(self, delivery: Delivery) -> None:
        """The last hop of a line from another node."""
        self.local.publish(delivery)
