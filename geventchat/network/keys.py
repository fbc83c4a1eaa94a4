"""Redis key and channel names: one namespace per network name.

Each piece has one owner: a node writes only its own `users`, `held` and
`alive` keys; a nick key belongs to the node in its value's uid. The only
writes to another node's keys are by the one survivor that wins `reap:<node>`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str

    def nick(self, folded: str) -> str:
        """string: uid holding this (rfc1459-folded) nick."""
        return f"{self.prefix}:nick:{folded}"

    def held(self, node: str) -> str:
        """set: folded nicks a node holds, so a reaper can free them all."""
        return f"{self.prefix}:held:{node}"

    def users(self, node: str) -> str:
        """hash: uid -> JSON user record, the node's part of the directory."""
        return f"{self.prefix}:users:{node}"

    def alive(self, node: str) -> str:
        """string with a TTL: the node's heartbeat."""
        return f"{self.prefix}:alive:{node}"

    def reap(self, node: str) -> str:
        """string with a TTL: which survivor frees a dead node's state."""
        return f"{self.prefix}:reap:{node}"

    @property
    def nodes(self) -> str:
        """set: node names that may hold state."""
        return f"{self.prefix}:nodes"

    @property
    def broadcast(self) -> str:
        """channel every node reads: room lines and directory changes."""
        return f"{self.prefix}:all"

    def inbox(self, node: str) -> str:
        """channel only that node reads: private lines for its users."""
        return f"{self.prefix}:to:{node}"
