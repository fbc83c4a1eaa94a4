"""Redis key names: one namespace per network name (`geventchat:<network>`).

Each piece has one owner: a node writes only its own `users`, `held`,
`alive` and `node` keys, and a nick key belongs to the node in its value's
uid. The only writes to another node's keys are made by the Lua script that
declares it dead (scripts.py), atomically with the entry that says so.

The Lua scripts build the same names from the prefix (`prefix:kind:name`);
this class is the Python side's spelling of them.
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
        """set: folded nicks a node holds, so they can all be freed when it dies."""
        return f"{self.prefix}:held:{node}"

    def users(self, node: str) -> str:
        """hash: uid -> JSON user record, the node's part of the directory."""
        return f"{self.prefix}:users:{node}"

    def alive(self, node: str) -> str:
        """string with a TTL: the epoch of the run holding this node name (its heartbeat)."""
        return f"{self.prefix}:alive:{node}"

    def record(self, node: str) -> str:
        """hash: the run holding the name (`epoch`, `info` JSON: host, pid, since), `synced` once its
        directory has been written in this Redis."""
        return f"{self.prefix}:node:{node}"

    def tomb(self, node: str) -> str:
        """string: the epoch of this node's run that the network declared dead (that run is fenced)."""
        return f"{self.prefix}:tomb:{node}"

    @property
    def nodes(self) -> str:
        """set: node names that may hold state."""
        return f"{self.prefix}:nodes"

    @property
    def beats(self) -> str:
        """hash: node -> time of its last heartbeat, in ms by Redis's clock."""
        return f"{self.prefix}:beats"

    @property
    def last(self) -> str:
        """string: the last entry id given out, `<ms>-<n>`: one order for every stream below."""
        return f"{self.prefix}:last"

    @property
    def directory(self) -> str:
        """stream: who is where (users arriving, changing, leaving; nodes saying hello, dying)."""
        return f"{self.prefix}:ctl"

    def channel(self, folded: str) -> str:
        """stream: every line to this channel, in order (what a history reads back)."""
        return f"{self.prefix}:chan:{folded}"

    def inbox(self, node: str) -> str:
        """stream: private lines for the users of one node."""
        return f"{self.prefix}:to:{node}"
