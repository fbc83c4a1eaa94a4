"""The delivery seam: "send these bytes to user X / to everyone in room R".

Everything above the bus hands it plain data (routing plus a line serialised
once). LocalBus delivers to this process's connections; a bus over a shared
broker can publish the same Delivery to other processes, which hand it to
their own LocalBus for the last hop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

Deliver = Callable[[bytes], None]
"""Queue bytes for one client. Must not block and must not re-enter the bus."""


@dataclass(frozen=True, slots=True)
class Delivery:
    line: bytes
    room: str | None = None  # every member of this room (folded name) ...
    uid: str | None = None  # ... or this one user
    skip: str | None = None  # uid left out of a room delivery (the sender)


class Bus(Protocol):
    def subscribe(self, uid: str, deliver: Deliver) -> None: ...
    def unsubscribe(self, uid: str) -> None: ...
    def join(self, uid: str, room: str) -> None: ...
    def part(self, uid: str, room: str) -> None: ...
    def publish(self, delivery: Delivery) -> None: ...


class LocalBus:
    """Delivers within this process: a dict of subscribers per room."""

    def __init__(self) -> None:
        self._deliver: dict[str, Deliver] = {}
        self._rooms: dict[str, dict[str, Deliver]] = {}

    def subscribe(self, uid: str, deliver: Deliver) -> None:
        self._deliver[uid] = deliver

    def unsubscribe(self, uid: str) -> None:
        self._deliver.pop(uid, None)
        for members in self._rooms.values():
            members.pop(uid, None)

    def join(self, uid: str, room: str) -> None:
        self._rooms.setdefault(room, {})[uid] = self._deliver[uid]

    def part(self, uid: str, room: str) -> None:
        self._rooms.get(room, {}).pop(uid, None)

    def publish(self, delivery: Delivery) -> None:
        line = delivery.line
        if delivery.room is not None:
            members = self._rooms.get(delivery.room)
            if not members:
                return
            # the hot loop of the server, one call per delivered line: the
            # sender is left out by identity rather than by comparing uids
            skip = members.get(delivery.skip) if delivery.skip is not None else None
            for deliver in members.values():
                if deliver is not skip:
                    deliver(line)
        elif delivery.uid is not None:
            deliver = self._deliver.get(delivery.uid)
            if deliver is not None:
                deliver(line)
