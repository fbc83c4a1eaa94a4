"""RedisBus: the Bus seam for a network of nodes.

A channel line is delivered here at once (local chat never waits for Redis)
and appended once to each of its channels' streams, where every node with
members there reads it and hands it to its own LocalBus: one formatted line
per node, whatever its member count. A line for one user (or a few, a
channel's operators) goes only to the inbox streams of the nodes holding them.

Another component that must write to Redis in step with the lines (the
history's own indexes, say) adds a writer: `add_writer(writer)`, where
`writer(delivery)` returns Redis commands (tuples of str or bytes). They run
inside the same atomic, fenced append as the line, right after it, so they
land in the same order on every node's view; an argument equal to
`scripts.ENTRY_ID` becomes the id of the line's entry. A line written again
after a Redis restart runs its commands again: make them idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..core.bus import Deliver, LocalBus
from ..core.outbox import Delivery
from . import envelope as E
from .backlog import Item
from .link import RedisLink
from .records import node_of

Writer = Callable[[Delivery], Iterable[Sequence[str | bytes]]]


class RedisBus:
    def __init__(self, link: RedisLink, node: str) -> None:
        self.local = LocalBus()
        self.link = link
        self.node = node
        self.keys = link.keys
        self.writers: list[Writer] = []
        self._streams: dict[tuple[str, ...], tuple[str, ...]] = {}  # channels -> their stream keys

    def add_writer(self, writer: Writer) -> None:
        """Run `writer`'s Redis commands with every line this node publishes (see the module's doc)."""
        self.writers.append(writer)

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
            channels = delivery.channels
            streams = self._streams.get(channels)
            if streams is None:
                if len(self._streams) > 10_000:  # a cache, not a record of every channel ever seen
                    self._streams.clear()
                streams = self._streams[channels] = tuple(self.keys.channel(c) for c in channels)
            kind = E.CHANNELS
        elif delivery.uid is not None:
            node = node_of(delivery.uid)
            if node == self.node:
                return self.local.publish(delivery)
            count = 0
            streams = (self.keys.inbox(node),)
            kind = E.UID
        elif delivery.uids:
            nodes = {node_of(uid) for uid in delivery.uids}
            count = 0
            if self.node in nodes:
                count = self.local.publish(delivery)
                nodes.discard(self.node)
            if not nodes:
                return count
            inbox = self.keys.inbox
            streams = tuple(inbox(node) for node in sorted(nodes))  # one entry, in each node's inbox
            kind = E.UID
        else:
            return 0
        ops: tuple = ()
        op_count = 0
        for writer in self.writers:
            for command in writer(delivery):
                ops += ("cmd", len(command), *command)
                op_count += 1
        message = E.encode(kind, E.delivery_fields(delivery), delivery.plain)
        self.link.append(Item(streams, message, ops, op_count, about=delivery.skip,
                              size=len(message) + 64 * (1 + len(streams))))
        return count

    def deliver_here(self, delivery: Delivery) -> int:
        """The last hop of a line from another node, or one made up here about other nodes' users."""
        return self.local.publish(delivery)

    def stream_keys(self) -> set[str]:
        """The streams this node reads: its inbox, the directory, the channels it has members in."""
        channel = self.keys.channel
        streams = {channel(c) for c in self.local.channels()}
        streams.add(self.keys.inbox(self.node))
        streams.add(self.keys.directory)
        return streams
