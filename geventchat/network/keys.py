"""Redis key names: one namespace per network name (`geventchat:<network>`).

Each piece has one owner: a node writes only its own `users`, `held`,
`alive`, `node` and `cusers` keys, and a nick key belongs to the node in its
value's uid. The only writes to another node's keys are made by the Lua
script that declares it dead (scripts.py), atomically with the entry that
says so. A channel's keys (`cstate`, `cmembers`, `cstatus`, `clists`,
`cinvite`) are shared: every change to them runs inside the fenced APPEND
of the directory entry that tells the other nodes, so Redis and every
node's copy see the same changes in the same order (only the first
joiner's claim runs on its own).

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

    @property
    def channels(self) -> str:
        """set: folded names of the channels that exist on the network."""
        return f"{self.prefix}:channels"

    def channel_state(self, folded: str) -> str:
        """hash: a channel's name, creation time, `flag:<m>` (1 or 0; none: a new channel's), key, limit
        (empty: none), topic (by, at); `perm` for the lobby. A channel exists while this has a name."""
        return f"{self.prefix}:cstate:{folded}"

    def channel_members(self, folded: str) -> str:
        """hash: uid -> 1, for each member."""
        return f"{self.prefix}:cmembers:{folded}"

    def channel_status(self, folded: str) -> str:
        """hash: uid -> a member's status (`o`, `v`, `ov` or empty)."""
        return f"{self.prefix}:cstatus:{folded}"

    def channel_lists(self, folded: str) -> str:
        """hash: `<b|e|I> <folded mask>` -> JSON [mask, set by, set at], or empty once taken off."""
        return f"{self.prefix}:clists:{folded}"

    def channel_invites(self, folded: str) -> str:
        """hash: uid -> 1 while invited (since its last join), empty after."""
        return f"{self.prefix}:cinvite:{folded}"

    def user_channels(self, uid: str) -> str:
        """set: folded channels a user is in (or is creating), so a quit or a death takes it out of all."""
        return f"{self.prefix}:uchans:{uid}"

    def channel_users(self, node: str) -> str:
        """set: uids of a node that are in channels (freed with the node)."""
        return f"{self.prefix}:cusers:{node}"
