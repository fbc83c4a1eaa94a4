"""The delivery seam: "send this line to user X / to everyone in channels C".

Everything above the bus hands it a Delivery: plain data (routing plus a
line serialised once per view, see outbox.py). LocalBus delivers to this
process's connections; a bus over a shared broker publishes the same
Delivery to other processes, which hand it to their own LocalBus for the
last hop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Callable, Protocol

from .delivery import Delivery

Deliver = Callable[[bytes], None]
"""Queue bytes for one client. Must not block and must not re-enter the bus."""


class Bus(Protocol):
    def subscribe(self, uid: str, deliver: Deliver, view: int = 0) -> None: ...
    def unsubscribe(self, uid: str) -> None: ...
    def join(self, uid: str, channel: str) -> None: ...
    def part(self, uid: str, channel: str) -> None: ...
    def publish(self, delivery: Delivery) -> int:
        """Deliver; return how many lines this process queued (the metrics count them)."""

    def deliver_here(self, delivery: Delivery) -> int: ...


class LocalBus:
    """Delivers within this process: each channel's members, grouped by view.

    Grouping by view keeps the hot loop one loop per view with no branch per
    recipient: the line for a view is built once, then appended to every
    member's queue.
    """

    def __init__(self) -> None:
        self._subscribers: dict[str, tuple[Deliver, int]] = {}  # uid -> (deliver, view)
        self._channels: dict[str, dict[int, dict[str, Deliver]]] = {}  # channel -> view -> uid -> deliver
        self._joined: dict[str, set[str]] = {}  # uid -> its channels

    def subscribe(self, uid: str, deliver: Deliver, view: int = 0) -> None:
        """Add a client, or change how it sees lines (its view) in every channel it is in."""
        self._subscribers[uid] = (deliver, view)
        for channel in self._joined.get(uid, ()):
            self._leave(uid, channel)
            self._enter(uid, channel, deliver, view)

    def unsubscribe(self, uid: str) -> None:
        self._subscribers.pop(uid, None)
        for channel in self._joined.pop(uid, ()):
            self._leave(uid, channel)

    def join(self, uid: str, channel: str) -> None:
        deliver, view = self._subscribers[uid]
        self._joined.setdefault(uid, set()).add(channel)
        self._enter(uid, channel, deliver, view)

    def part(self, uid: str, channel: str) -> None:
        channels = self._joined.get(uid)
        if channels is not None and channel in channels:
            channels.discard(channel)
            self._leave(uid, channel)

    def _enter(self, uid: str, channel: str, deliver: Deliver, view: int) -> None:
        self._channels.setdefault(channel, {}).setdefault(view, {})[uid] = deliver

    def _leave(self, uid: str, channel: str) -> None:
        groups = self._channels.get(channel)
        if groups is None:
            return
        for view, members in list(groups.items()):
            if members.pop(uid, None) is not None and not members:
                del groups[view]
        if not groups:
            del self._channels[channel]

    def publish(self, delivery: Delivery) -> int:
        """Queue the line for its recipients here; return how many got it.

        The count is taken once per view group, outside the per-recipient loop.
        """
        channels = delivery.channels
        if len(channels) == 1:
            groups = self._channels.get(channels[0])
            if not groups:
                return 0
            skip_uid = delivery.skip
            count = 0
            for view, members in groups.items():
                line = delivery.line(view)
                if line is None:
                    continue
                # the hot loop of the server, one call per delivered line and
                # no test per recipient: the sender is taken out for the loop
                # and put back after it (at the end: the order of a channel's
                # members means nothing)
                skip = members.pop(skip_uid, None) if skip_uid is not None else None
                try:
                    for deliver in members.values():
                        deliver(line)
                finally:
                    if skip is not None:
                        members[skip_uid] = skip
                count += len(members) - (skip is not None)  # the sender is back in by now
            return count
        if channels:
            return self._publish_once(delivery)
        if delivery.uid is not None:
            return self._to_one(delivery, delivery.uid)
        count = 0
        for uid in delivery.uids:
            if uid != delivery.skip:
                count += self._to_one(delivery, uid)
        return count

    deliver_here = publish

    def channels(self) -> Iterable[str]:
        """The channels with members here (a network bus reads only those from other nodes)."""
        return self._channels.keys()

    def _to_one(self, delivery: Delivery, uid: str) -> int:
        subscriber = self._subscribers.get(uid)
        if subscriber is not None:
            line = delivery.line(subscriber[1])
            if line is not None:
                subscriber[0](line)
                return 1
        return 0

    def _publish_once(self, delivery: Delivery) -> int:
        """Members of several channels: each gets the line once (a QUIT, a NICK)."""
        count = 0
        by_view: dict[int, dict[str, Deliver]] = {}
        for channel in delivery.channels:
            for view, members in self._channels.get(channel, {}).items():
                by_view.setdefault(view, {}).update(members)
        for view, members in by_view.items():
            line = delivery.line(view)
            if line is None:
                continue
            members.pop(delivery.skip, None)
            for deliver in members.values():
                deliver(line)
            count += len(members)
        return count
