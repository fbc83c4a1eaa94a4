"""RedisChannels: the Channels seam for a network of nodes.

Every node keeps a copy of every channel: its members with their status,
modes, key, limit, topic, ban/exception/invite lists, invitations and
creation time, so NAMES, WHO, LIST, TOPIC, MODE and WHOIS answer from
memory, and JOIN and PRIVMSG check +i +k +l +b +n +m here. A change a
command makes is read off the channel (`changed`), sent to every node as
ops in a directory entry (chanstate.py) and applied to Redis in the same
fenced step; every node applies the others' entries in the network's order.

Our own entries come back too, and their state ops are applied again at
their place in that order: two operators setting the limit at the same
instant on two nodes end with the same limit everywhere, the one written
last. The members of this node are its own to say (its users join and
part here), except when a command on another node kicks one of them.

The first to join a channel that exists nowhere becomes its operator: an
atomic check-and-set in Redis (`claim`), like a nick claim. When the
channel exists already but is not known here yet (its creator's entry is
on its way), what Redis holds is loaded first, so the joiner is checked
against its modes and lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..core.channels import NEW_CHANNEL_MODES, Channel, Channels
from ..core.state import User
from ..protocol.names import casefold
from . import envelope as E
from .backlog import Item
from .chanstate import (
    DEFAULT, Op, State, Stored, apply_op, diff, fields, join_op, list_fields, overwrite, pairs, same, state_of,
    to_redis,
)
from .records import node_of

if TYPE_CHECKING:
    from .link import RedisLink
    from .redis_registry import RedisRegistry

Move = tuple[Channel, User, bool]
"""A user of another node found in (True) or out of (False) a channel where this node's copy said otherwise."""


class RedisChannels(Channels):
    def __init__(self, link: RedisLink, registry: RedisRegistry, node: str) -> None:
        super().__init__()
        self.link = link
        self.keys = link.keys
        self.registry = registry
        self.node = node
        self.part_here: Callable[[str, str], None] = lambda uid, folded: None  # the bus: a member of ours kicked
        self._shadow: dict[str, tuple[Channel, State]] = {}  # each channel as last sent or applied
        self._made = 0  # our changes, numbered
        self._back = 0  # the last of them read back at its place in the order
        self._touched: dict[str, int] = {}  # channel -> our last change to it
        self._joins: dict[tuple[str, str], int] = {}  # (channel, our uid) -> the change that joined it

    def mine(self, uid: str) -> bool:
        return node_of(uid) == self.node

    # --- the seam the core calls ------------------------------------------

    def claim(self, name: str, uid: str, now: float) -> bool:
        if not self.link.online:
            return True  # Redis away: decided here, and told when it is back (hello)
        folded = casefold(name)
        reply = self.link.claim_channel(folded, name, uid, now)
        if reply is not None and reply[0] == b"exists":
            members = pairs(reply[2])
            if members and all(self.mine(member) for member in members):
                # only users of ours, who have left here: their parts are still on their way to Redis
                self.link.flush(self.link.settings.redis_release_wait)
                reply = self.link.claim_channel(folded, name, uid, now)
        if reply is None or reply[0] == b"created":
            return True
        self._load(folded, Stored.read(*reply[1:6]))
        return False

    def _load(self, folded: str, stored: Stored) -> None:
        """A channel Redis has and this copy has not yet: as Redis holds it, with the members known here.

        With none known yet (its creator's arrival is still on its way) it has no member until the
        joiner is let in, which the core does at once, or forgets it if the joiner is refused.
        """
        channel = self._channels.get(folded)
        if channel is None:
            channel = self.create(stored.state.get("name", folded), 0.0, permanent="perm" in stored.state)
        overwrite(channel, stored)
        for uid, status in stored.members.items():
            user = None if self.mine(uid) else self.registry.remote_user(uid)
            if user is not None:
                self._put(channel, user, status)
        self._shadow[folded] = (channel, state_of(channel))

    def settle_permanent(self, channel: Channel) -> None:
        """On joining: the lobby as the network made it (each node made its own on starting), or ours,
        made in Redis now if no node did before."""
        reply = self.link.claim_channel(channel.folded, channel.name, "", channel.created, permanent=True)
        if reply is not None and reply[0] == b"exists":
            overwrite(channel, Stored.read(*reply[1:6]))
            self._settle(channel.folded)

    def changed(self, channel: Channel, joined: str | None = None, left: str | None = None) -> None:
        folded = channel.folded
        ops: list[Op] = []
        if joined is not None:
            ops.append(join_op(channel, joined))
        if left is not None:
            ops.append(["part", left])
        if self._channels.get(folded) is channel:
            shadow = self._shadow.get(folded)
            after = state_of(channel)
            ops += diff(shadow[1] if shadow is not None and shadow[0] is channel else DEFAULT, after,
                        {uid for uid in (joined, left) if uid is not None})
            self._shadow[folded] = (channel, after)
        else:
            self._shadow.pop(folded, None)  # it ceased to exist with its last member
        if ops:
            self._send(folded, ops, joined)

    def _send(self, folded: str, ops: list[Op], joined: str | None) -> None:
        self._made += 1
        number = self._made
        self._touched[folded] = number
        if joined is not None and self.mine(joined):
            self._joins[(folded, joined)] = number
        args, count = to_redis(self.keys, folded, ops)
        message = E.encode(E.CSTATE, {"c": folded, "ops": ops, "n": number})
        self.link.append(Item((self.keys.directory,), message, args, count, replay_ops=False))

    # --- other nodes' changes, and ours coming back --------------------------

    def apply(self, entry: dict, own: bool) -> None:
        """A CSTATE entry, in the network's order."""
        folded = entry["c"]
        for op in entry["ops"]:
            kind = op[0]
            if kind == "join":
                if not self.mine(op[1]):  # our users join here, never by another node's word
                    self._joined(folded, op)
            elif kind == "part":
                uid = op[1]
                channel = self._channels.get(folded)
                if not self.mine(uid):
                    if channel is not None and uid in channel.members:
                        self.remove(channel, uid)
                elif not own and not self._joining(folded, uid):
                    self._kicked(channel, uid)
            elif kind == "status" and self.mine(op[1]) and self._joining(folded, op[1]):
                continue  # about an earlier stay: our user joined again since
            else:
                channel = self._channels.get(folded)
                if channel is not None:
                    apply_op(channel, op)
        if own:
            number = entry.get("n", 0)
            self._back = max(self._back, number)
            if self._touched.get(folded) == number:
                del self._touched[folded]
            for op in entry["ops"]:
                if op[0] == "join" and self._joins.get((folded, op[1])) == number:
                    del self._joins[(folded, op[1])]
        self._settle(folded)

    def _joined(self, folded: str, op: Op) -> None:
        uid, status, name, created, permanent = op[1:6]
        user = self.registry.remote_user(uid)
        if user is None:
            return
        channel = self._channels.get(folded)
        if channel is None:
            channel = self.create(name, float(created), permanent=bool(permanent))
            channel.modes.update(NEW_CHANNEL_MODES)
        self._put(channel, user, status)

    def _kicked(self, channel: Channel | None, uid: str) -> None:
        """A command on another node took one of our users out: it reads no more of that channel."""
        if channel is not None and uid in channel.members:
            self.remove(channel, uid)
            self.part_here(uid, channel.folded)

    def _dirty(self, folded: str) -> bool:
        """A change of ours to this channel has not come back yet (Redis may not have it)."""
        return self._touched.get(folded, 0) > self._back

    def _joining(self, folded: str, uid: str) -> bool:
        """Our user's latest join of this channel has not come back yet: what comes before it is older news."""
        return self._joins.get((folded, uid), 0) > self._back

    def _put(self, channel: Channel, user: User, status: str) -> None:
        self.add(channel, user, status)
        if not status:
            channel.status.pop(user.uid, None)

    def _settle(self, folded: str) -> None:
        """The channel as it now is becomes what our next change is read against."""
        channel = self._channels.get(folded)
        if channel is None:
            self._shadow.pop(folded, None)
        elif not channel.members and not channel.permanent:
            del self._channels[folded]  # none of its members is known here
            self._shadow.pop(folded, None)
        else:
            self._shadow[folded] = (channel, state_of(channel))

    # --- hello: every channel our users are in, said again ------------------------

    def hello(self) -> tuple[dict, tuple]:
        """Our users' channels and their state, for our HELLO entry (fields) and its `chello` op (arguments)."""
        self._made += 1
        number = self._made
        records = []
        args: list = ["chello", 0]
        for channel in list(self._channels.values()):
            members = [[uid, channel.status.get(uid, "")] for uid in channel.members if self.mine(uid)]
            if not members:
                continue
            state, lists, invited = fields(channel), list_fields(channel), sorted(channel.invited)
            records.append([channel.folded, state, lists, invited, members])
            args += (channel.folded, len(state) // 2, *state, len(lists) // 2, *lists, len(invited), *invited,
                     len(members), *(x for member in members for x in member))
            self._touched[channel.folded] = number
        args[1] = len(records)
        return {"ch": records, "n": number}, tuple(args)

    def hello_from(self, node: str, records: list, own: bool = False, number: int = 0) -> list[Move]:
        """A node's hello: its users are in exactly these channels. A channel this copy lacks is made
        as the hello says it; one it has keeps its state, as Redis keeps its values (a hello fills in
        only what is missing there), and so does a member's status.

        Our own hello coming back only says which of our changes have come back.
        """
        if own:
            self._back = max(self._back, number)
            self._touched = {f: n for f, n in self._touched.items() if n > number}
            self._joins = {key: n for key, n in self._joins.items() if n > number}
            return []
        moves: list[Move] = []
        wanted: dict[str, dict[str, str]] = {}
        for folded, state, lists, invited, members in records:
            if folded not in self._channels:
                stored = Stored.hello(state, lists, invited)
                channel = self.create(stored.state.get("name", folded), 0.0, permanent="perm" in stored.state)
                overwrite(channel, stored)
            for uid, status in members:
                wanted.setdefault(uid, {})[folded] = status
        for user in self.registry.remote_users(node):
            moves += self._place(user, wanted.get(user.uid, {}))
        for folded, *_ in records:
            self._settle(folded)
        return moves

    def _place(self, user: User, wanted: dict[str, str]) -> list[Move]:
        """Put a user of another node in exactly these channels, with these statuses."""
        moves: list[Move] = []
        for channel in self.channels_of(user.uid):
            if channel.folded not in wanted:
                self.remove(channel, user.uid)
                moves.append((channel, user, False))
        for folded, status in wanted.items():
            channel = self._channels.get(folded)
            if channel is not None and not channel.has(user.uid):
                moves.append((channel, user, True))
                self._put(channel, user, status)
        return moves

    # --- what Redis holds at one point of the order --------------------------------

    def sync(self, snapshot: list, trusted: Callable[[str], bool], compare: bool) -> tuple[list[Move], int]:
        """Make this copy what a snapshot says, for the members of `trusted` nodes; returns the moves and how
        many differences there were.

        `compare` (the repair pass): a channel with a change of ours still on its way is left for next time,
        and a channel's state is checked only where every node with members there is trusted; on joining,
        every channel is taken as Redis holds it.
        """
        moves: list[Move] = []
        differences = 0
        seen = set()
        for folded, *keys in snapshot:
            folded = folded.decode() if isinstance(folded, bytes) else folded
            seen.add(folded)
            if compare and self._dirty(folded):
                continue  # a change of ours to it is still on its way: compared next time
            stored = Stored.read(*keys)
            members = stored.members
            channel = self._channels.get(folded)
            theirs = {uid: status for uid, status in members.items() if not self.mine(uid) and trusted(node_of(uid))}
            if channel is None:
                if not any(self.registry.remote_user(uid) for uid in theirs) and "perm" not in stored.state:
                    continue  # being made: its first member's entry is on its way
                channel = self.create(stored.state.get("name", folded), 0.0, permanent="perm" in stored.state)
            nodes = {node_of(uid) for uid in (*members, *channel.members) if not self.mine(uid)}
            if not compare or all(map(trusted, nodes)):
                if not same(channel, stored):
                    differences += 1
                    overwrite(channel, stored)
            for uid in [uid for uid in channel.members if not self.mine(uid) and trusted(node_of(uid))]:
                if uid not in theirs:
                    moves.append((channel, channel.members[uid], False))
                    self.remove(channel, uid)
            for uid, status in theirs.items():
                user = self.registry.remote_user(uid)
                if user is None:
                    continue
                if not channel.has(uid):
                    moves.append((channel, user, True))
                elif channel.status.get(uid, "") != status:
                    differences += 1
                self._put(channel, user, status)
            self._settle(folded)
        for channel in [c for f, c in self._channels.items() if f not in seen and not (compare and self._dirty(f))]:
            for uid in [uid for uid in channel.members if not self.mine(uid) and trusted(node_of(uid))]:
                moves.append((channel, channel.members[uid], False))
                self.remove(channel, uid)
            self._settle(channel.folded)
        return moves, (differences + len(moves)) if compare else 0
