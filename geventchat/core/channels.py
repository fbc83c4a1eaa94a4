"""Channels: who is in each, with what status, and the modes, lists and topic that govern it.

Plain data and pure rules, no I/O: handlers ask and change; the outbox tells
the members. A channel exists while it has members (the lobby always does);
the first to join a new channel becomes its operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..protocol.names import casefold
from .state import User

CHANNEL_PREFIXES = "#"
LIST_MODES = "beI"  # type A: masks
KEY_MODE = "k"  # type B: a parameter both ways
LIMIT_MODE = "l"  # type C: a parameter when set
FLAG_MODES = "imnst"  # type D
STATUS_MODES = "ov"  # member modes, highest first
STATUS_PREFIX = {"o": "@", "v": "+"}
PREFIX_STATUS = {prefix: mode for mode, prefix in STATUS_PREFIX.items()}
ALL_MODES = LIST_MODES + KEY_MODE + LIMIT_MODE + FLAG_MODES + STATUS_MODES
NEW_CHANNEL_MODES = "nt"
"""A channel someone creates starts +nt: no messages from outside, topic set by operators."""

_BAD_NAME = re.compile(r"[\s,\x07\x00:]")


def valid_name(name: str, channellen: int) -> bool:
    """A channel name: `#`, then up to CHANNELLEN characters in all, no space, comma, bell, NUL or colon."""
    return (len(name) > 1 and name[0] in CHANNEL_PREFIXES and len(name) <= channellen
            and _BAD_NAME.search(name) is None)


@lru_cache(maxsize=4096)
def mask_regex(mask: str) -> re.Pattern[str]:
    """A `nick!user@host` mask with `*` and `?`, matched under rfc1459 casefolding."""
    parts = []
    for char in casefold(mask):
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def normal_mask(mask: str) -> str:
    """Complete a partial mask the way IRC servers do: `bob` -> `bob!*@*`, `*@host` -> `*!*@host`."""
    if "!" not in mask and "@" not in mask:
        return f"{mask}!*@*"
    if "!" not in mask:
        return f"*!{mask}"
    if "@" not in mask:
        return f"{mask}@*"
    return mask


@dataclass
class ListEntry:
    mask: str
    set_by: str
    set_at: float


@dataclass
class Channel:
    name: str  # as first spelt
    created: float
    members: dict[str, User] = field(default_factory=dict)  # uid -> the member
    status: dict[str, str] = field(default_factory=dict)  # uid -> "o", "v" or "ov", for members that have one
    modes: set[str] = field(default_factory=set)  # flag modes
    key: str | None = None
    limit: int | None = None
    lists: dict[str, list[ListEntry]] = field(default_factory=lambda: {m: [] for m in LIST_MODES})
    topic: str = ""
    topic_by: str = ""
    topic_at: float = 0.0
    invited: set[str] = field(default_factory=set)  # uids invited since the last join
    permanent: bool = False  # the lobby: never ceases to exist
    folded: str = ""  # the name under rfc1459 casefolding: the channel's key everywhere

    def __post_init__(self) -> None:
        self.folded = casefold(self.name)

    @property
    def secret(self) -> bool:
        return "s" in self.modes

    def has(self, uid: str) -> bool:
        return uid in self.members

    def is_op(self, uid: str) -> bool:
        return "o" in self.status.get(uid, "")

    def can_speak(self, uid: str, prefix: str) -> bool:
        """+n keeps outsiders out, +m keeps the unvoiced quiet, a ban silences (an exception overrides)."""
        if uid not in self.members:
            if "n" in self.modes:
                return False
        elif self.status.get(uid):  # voiced or operator: always heard in their channel
            return True
        if "m" in self.modes:
            return False
        return not self.lists["b"] or not self.banned(prefix)

    def banned(self, prefix: str) -> bool:
        return self.matches("b", prefix) and not self.matches("e", prefix)

    def matches(self, mode: str, prefix: str) -> bool:
        entries = self.lists[mode]
        if not entries:
            return False
        folded = casefold(prefix)
        return any(mask_regex(entry.mask).match(folded) for entry in entries)

    def mode_string(self, show_key: bool) -> tuple[str, ...]:
        """The channel's modes as 324 shows them: `+flags[kl]` and their parameters."""
        flags = "".join(sorted(self.modes))
        params = []
        if self.key is not None:
            flags += "k"
            params.append(self.key if show_key else "*")
        if self.limit is not None:
            flags += "l"
            params.append(str(self.limit))
        return ("+" + flags, *params)

    def prefixes(self, uid: str, every: bool) -> str:
        """`@`, `+`, or `@+` under multi-prefix: the member's status as NAMES and WHO show it."""
        status = self.status.get(uid, "")
        marks = [STATUS_PREFIX[mode] for mode in STATUS_MODES if mode in status]
        return "".join(marks) if every else "".join(marks[:1])

    def set_status(self, uid: str, mode: str, adding: bool) -> bool:
        """Give or take `o` or `v`; False when it was already so."""
        status = set(self.status.get(uid, ""))
        if (mode in status) == adding:
            return False
        (status.add if adding else status.discard)(mode)
        if status:
            self.status[uid] = "".join(m for m in STATUS_MODES if m in status)
        else:
            self.status.pop(uid, None)
        return True


class Channels:
    """Every channel by folded name, and the channels of each member.

    Two seams for a network of servers, no-ops in one process (like the
    Registry's nick claims): `claim` asks whether a channel unknown here is
    new everywhere, and `changed` hears every change a command made, so a
    network can keep every server's copy in step.
    """

    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}
        self._of: dict[str, set[str]] = {}  # uid -> folded names of its channels

    def __len__(self) -> int:
        return len(self._channels)

    def __iter__(self):
        return iter(list(self._channels.values()))

    def find(self, name: str) -> Channel | None:
        return self._channels.get(casefold(name))

    def claim(self, name: str, uid: str, now: float) -> bool:
        """A channel not known here is wanted by `uid`: True when it is new (the joiner becomes its
        operator). One process knows every channel; a network asks the others atomically, and
        when the channel exists elsewhere it is known here before this returns False."""
        return True

    def changed(self, channel: Channel, joined: str | None = None, left: str | None = None) -> None:
        """A command changed `channel`: a member joined or left, or its modes, topic, lists or
        invitations changed. One process has nothing more to do."""

    def create(self, name: str, now: float, permanent: bool = False) -> Channel:
        channel = Channel(name, now, permanent=permanent)
        if not permanent:
            channel.modes.update(NEW_CHANNEL_MODES)
        self._channels[channel.folded] = channel
        return channel

    def add(self, channel: Channel, user: User, status: str = "") -> None:
        channel.members[user.uid] = user
        if status:
            channel.status[user.uid] = status
        channel.invited.discard(user.uid)
        self._of.setdefault(user.uid, set()).add(channel.folded)

    def refresh(self, user: User) -> None:
        """The user's record was replaced (a network node's mirror): its channels hold the new one."""
        for name in self._of.get(user.uid, ()):
            channel = self._channels.get(name)
            if channel is not None and user.uid in channel.members:
                channel.members[user.uid] = user

    def remove(self, channel: Channel, uid: str) -> None:
        """Take a member out; a channel left empty ceases to exist (the lobby stays)."""
        channel.members.pop(uid, None)
        channel.status.pop(uid, None)
        mine = self._of.get(uid)
        if mine is not None:
            mine.discard(channel.folded)
            if not mine:
                del self._of[uid]
        if not channel.members and not channel.permanent:
            self._channels.pop(channel.folded, None)

    def forget(self, uid: str) -> list[Channel]:
        """A user left the chat: out of every channel; returns the channels it was in."""
        left = [self._channels[name] for name in self._of.get(uid, ()) if name in self._channels]
        for channel in left:
            self.remove(channel, uid)
        return left

    def of(self, uid: str) -> set[str]:
        """Folded names of the channels this user is in."""
        return self._of.get(uid, set())

    def channels_of(self, uid: str) -> list[Channel]:
        return [self._channels[name] for name in self._of.get(uid, ()) if name in self._channels]

    def shared(self, a: str, b: str) -> bool:
        return not self.of(a).isdisjoint(self.of(b))
