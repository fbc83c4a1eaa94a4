"""A channel's state as plain data: how Redis holds it, and its changes as ops.

A change travels as a list of ops, each an absolute assignment ("bob's
status is now `o`", "the key is now none", "this ban mask is on the list"),
never a toggle: applied in the network's order, the same ops give the same
channel in Redis and on every node, whichever node made them, and applying
one twice changes nothing. Membership ops (`join`, `part`) carry what a
node that never heard of the channel needs to make it.

In Redis (keys.py) a channel is a `cstate` hash of `fields()`, a `clists`
hash of `list_fields()`, a `cinvite` hash, a `cmembers` hash and a
`cstatus` hash; `to_redis` turns ops into the APPEND script's ops
(scripts.py), and `overwrite` puts what Redis holds (`Stored`) into a
node's copy. Every value is written, a removal too ("0", ""): a node's
hello fills in only what Redis has no value for, so it never undoes a
change made since.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..core.channels import FLAG_MODES, LIST_MODES, NEW_CHANNEL_MODES, Channel, ListEntry
from ..protocol.names import casefold
from .keys import Keys

Op = list
"""One change, as JSON: `[kind, ...]` (see `apply_op`)."""


@dataclass(frozen=True, slots=True)
class State:
    """What a channel is apart from who is in it: what changes are read off (see `diff`)."""

    modes: frozenset[str] = frozenset(NEW_CHANNEL_MODES)
    key: str | None = None
    limit: int | None = None
    topic: tuple[str, str, float] = ("", "", 0.0)
    lists: tuple[tuple[str, str, str, float], ...] = ()  # (mode, mask, by, at)
    invited: frozenset[str] = frozenset()
    status: dict[str, str] = field(default_factory=dict)


DEFAULT = State()
"""A channel as `cjoin` makes one that did not exist: +nt, nothing else."""


def state_of(channel: Channel) -> State:
    return State(
        frozenset(channel.modes), channel.key, channel.limit, (channel.topic, channel.topic_by, channel.topic_at),
        tuple((mode, e.mask, e.set_by, e.set_at) for mode in LIST_MODES for e in channel.lists[mode]),
        frozenset(channel.invited), dict(channel.status),
    )


def join_op(channel: Channel, uid: str) -> Op:
    return ["join", uid, channel.status.get(uid, ""), channel.name, channel.created, int(channel.permanent)]


def diff(before: State, after: State, members: set[str]) -> list[Op]:
    """The ops that turn `before` into `after`; `members` whose join or part says it all are left out."""
    ops: list[Op] = [["flag", mode, 1] for mode in sorted(after.modes - before.modes)]
    ops += [["flag", mode, 0] for mode in sorted(before.modes - after.modes)]
    if after.key != before.key:
        ops.append(["key", after.key])
    if after.limit != before.limit:
        ops.append(["limit", after.limit])
    if after.topic != before.topic:
        ops.append(["topic", *after.topic])
    old = {(mode, casefold(mask)): entry for mode, mask, *entry in before.lists}
    new = {(mode, casefold(mask)): (mode, mask, *entry) for mode, mask, *entry in after.lists}
    ops += [["list", *entry] for key, entry in new.items() if key not in old]
    ops += [["unlist", mode, folded] for (mode, folded) in old if (mode, folded) not in new]
    ops += [["invite", uid, 1] for uid in sorted(after.invited - before.invited) if uid not in members]
    ops += [["invite", uid, 0] for uid in sorted(before.invited - after.invited) if uid not in members]
    for uid in sorted((before.status.keys() | after.status.keys()) - members):
        if before.status.get(uid, "") != after.status.get(uid, ""):
            ops.append(["status", uid, after.status.get(uid, "")])
    return ops


def apply_op(channel: Channel, op: Op) -> None:
    """One state op (not `join` or `part`) on a node's copy of the channel."""
    kind = op[0]
    if kind == "flag":
        (channel.modes.add if op[2] else channel.modes.discard)(op[1])
    elif kind == "key":
        channel.key = op[1]
    elif kind == "limit":
        channel.limit = op[1]
    elif kind == "topic":
        channel.topic, channel.topic_by, channel.topic_at = op[1], op[2], float(op[3])
    elif kind == "list":
        entries = channel.lists[op[1]]
        folded = casefold(op[2])
        if not any(casefold(entry.mask) == folded for entry in entries):
            entries.append(ListEntry(op[2], op[3], float(op[4])))
    elif kind == "unlist":
        entries = channel.lists[op[1]]
        entries[:] = [entry for entry in entries if casefold(entry.mask) != casefold(op[2])]
    elif kind == "invite":
        (channel.invited.add if op[2] else channel.invited.discard)(op[1])
    elif kind == "status":
        if op[1] in channel.members:
            if op[2]:
                channel.status[op[1]] = op[2]
            else:
                channel.status.pop(op[1], None)


def to_redis(keys: Keys, folded: str, ops: Iterable[Op]) -> tuple[tuple, int]:
    """The APPEND script's ops for these changes: (flat arguments, how many ops).

    State is written as values, a removal too ("0", ""), never deleted: a node's hello only fills
    what Redis has no value for, so a change made since (while Redis was away, say) is never undone.
    """
    state, lists = keys.channel_state(folded), keys.channel_lists(folded)
    out: list = []
    count = 0
    for op in ops:
        kind = op[0]
        command: tuple = ()
        if kind == "join":
            out += ("cjoin", folded, op[1], op[2], op[3], repr(float(op[4])), str(op[5]))
        elif kind == "part":
            out += ("cpart", folded, op[1])
        elif kind == "status":
            command = ("HSET", keys.channel_status(folded), op[1], op[2])
        elif kind == "flag":
            command = ("HSET", state, f"flag:{op[1]}", "1" if op[2] else "0")
        elif kind in ("key", "limit"):
            command = ("HSET", state, kind, "" if op[1] is None else str(op[1]))
        elif kind == "topic":
            command = ("HSET", state, "topic", op[1], "topic_by", op[2], "topic_at", repr(float(op[3])))
        elif kind == "list":
            command = ("HSET", lists, f"{op[1]} {casefold(op[2])}", json.dumps(op[2:]))
        elif kind == "unlist":
            command = ("HSET", lists, f"{op[1]} {casefold(op[2])}", "")
        elif kind == "invite":
            command = ("HSET", keys.channel_invites(folded), op[1], "1" if op[2] else "")
        else:
            continue
        if command:
            out += ("cmd", len(command), *command)
        count += 1
    return tuple(out), count


def fields(channel: Channel) -> list[str]:
    """The `cstate` hash of a channel, flat, every value given: what a hello fills in."""
    out = ["name", channel.name, "created", repr(float(channel.created))]
    if channel.permanent:
        out += ("perm", "1")
    for mode in FLAG_MODES:
        out += (f"flag:{mode}", "1" if mode in channel.modes else "0")
    out += ("key", channel.key or "", "limit", "" if channel.limit is None else str(channel.limit),
            "topic", channel.topic, "topic_by", channel.topic_by, "topic_at", repr(float(channel.topic_at)))
    return out


def list_fields(channel: Channel) -> list[str]:
    """The `clists` hash of a channel, flat."""
    out: list[str] = []
    for mode in LIST_MODES:
        for entry in channel.lists[mode]:
            out += (f"{mode} {casefold(entry.mask)}", json.dumps([entry.mask, entry.set_by, entry.set_at]))
    return out


def pairs(flat: list) -> dict[str, str]:
    """A flat HGETALL reply (bytes or str) as a dict of str."""
    text = [item.decode() if isinstance(item, bytes) else item for item in flat]
    return dict(zip(text[0::2], text[1::2]))


@dataclass
class Stored:
    """A channel as Redis holds it (or a node's hello says it): values as written, removals ignored."""

    state: dict[str, str]
    members: dict[str, str]  # uid -> status
    lists: dict[str, str]  # `<mode> <folded mask>` -> JSON [mask, by, at]
    invited: set[str]

    @classmethod
    def read(cls, state: list, members: list, statuses: list, lists: list, invites: list) -> Stored:
        """From the HGETALL replies of a channel's keys."""
        status = pairs(statuses)
        return cls(pairs(state), {uid: status.get(uid, "") for uid in pairs(members)},
                   {name: value for name, value in pairs(lists).items() if value},
                   {uid for uid, value in pairs(invites).items() if value == "1"})

    @classmethod
    def hello(cls, state: list, lists: list, invited: list) -> Stored:
        """From a record of a node's hello (flat lists of str)."""
        return cls(pairs(state), {}, pairs(lists), set(invited))

    def canonical(self) -> tuple:
        """What the channel is, members apart, in one comparable form (missing flags are a new channel's)."""
        state = self.state
        modes = frozenset(m for m in FLAG_MODES if state.get(f"flag:{m}", "1" if m in NEW_CHANNEL_MODES else "0")
                          == "1")
        entries = []
        for name, value in self.lists.items():
            mask, by, at = json.loads(value)
            entries.append((name[:1], mask, by, float(at)))
        return (state.get("name", ""), float(state.get("created", 0.0)), modes, state.get("key") or None,
                int(state["limit"]) if state.get("limit") else None,
                (state.get("topic", ""), state.get("topic_by", ""), float(state.get("topic_at", 0.0))),
                frozenset(entries), frozenset(self.invited))


def canonical_of(channel: Channel) -> tuple:
    return (channel.name, float(channel.created), frozenset(channel.modes), channel.key, channel.limit,
            (channel.topic, channel.topic_by, float(channel.topic_at)),
            frozenset((mode, e.mask, e.set_by, float(e.set_at)) for mode in LIST_MODES for e in channel.lists[mode]),
            frozenset(channel.invited))


def overwrite(channel: Channel, stored: Stored) -> None:
    """Make a node's copy of the channel what Redis (or a node's hello) holds, members apart."""
    name, created, modes, key, limit, topic, entries, invited = stored.canonical()
    channel.name = name or channel.name
    channel.created = created or channel.created
    channel.modes = set(modes)
    channel.key, channel.limit = key, limit
    channel.topic, channel.topic_by, channel.topic_at = topic
    lists: dict[str, list[ListEntry]] = {mode: [] for mode in LIST_MODES}
    for mode, mask, by, at in sorted(entries, key=lambda entry: (entry[3], entry[1])):
        if mode in lists:
            lists[mode].append(ListEntry(mask, by, at))
    channel.lists = lists
    channel.invited = set(invited)


def same(channel: Channel, stored: Stored) -> bool:
    """Whether a node's copy already is what Redis holds (members apart)."""
    return canonical_of(channel) == stored.canonical()
