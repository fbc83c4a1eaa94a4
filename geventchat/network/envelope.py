"""What a bus stream entry carries, and how a Delivery travels in one.

Every entry of every stream (keys.py) has four fields:

    o  origin: the node that wrote it (`*` for an entry written by the
       network's own scripts, such as a node declared dead)
    e  the origin's epoch (its run of that node name, see identity.py)
    q  the origin's sequence number in this stream, from 1 per epoch: a
       reader drops what it has seen and counts what it missed
    m  the message: `header-json\\nline-bytes`

and its id, `<ms>-<n>`, is given by one counter for the whole network
(scripts.py), so entries of different streams sort into the order Redis
wrote them in. A channel line is the exact plain bytes its sender formatted
once, with its tags (msgid ...), time and routing in the header, so each
node serialises the views its clients need once, and a reader of history
gets the line as it was sent: `decode(fields[b"m"])` then `to_delivery()`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..core.outbox import Delivery

# kinds
CHANNELS = "chan"  # deliver `line` to the local members of channels (delivery fields)
UID = "uid"  # deliver `line` to one local user (delivery fields)
ADD = "add"  # a user registered or changed (user=record)
DEL = "del"  # a user left (u=uid)
NICK = "nick"  # a user changed nick (u=uid, n=new nick)
HELLO = "hello"  # a node (re)joined: its whole user list (users=[records])
DEAD = "dead"  # a node's run was declared dead and its state freed (node=name, e=epoch)
CONTROL = "control"  # a KILL, K-line or logout every node applies (Chat.control's fields)

MESSAGES = frozenset({b"PRIVMSG", b"NOTICE", b"TAGMSG"})
"""Commands of lines a user says, as opposed to events (JOIN, NICK, QUIT ...)."""


@dataclass(frozen=True, slots=True)
class Envelope:
    kind: str
    fields: dict = field(default_factory=dict)
    line: bytes = b""


def encode(kind: str, fields: dict | None = None, line: bytes = b"") -> bytes:
    header = json.dumps({"k": kind, **(fields or {})}, separators=(",", ":"))
    return b"%s\n%s" % (header.encode(), line)


def decode(data: bytes) -> Envelope:
    header, _, line = data.partition(b"\n")
    fields = json.loads(header)
    kind = fields.pop("k")
    return Envelope(kind, fields, line)


def command_of(line: bytes) -> bytes:
    """The command of a formatted line with a prefix (`:nick!u@h CMD ...`)."""
    return line.split(b" ", 2)[1] if line.startswith(b":") else line.split(b" ", 1)[0]


def delivery_fields(delivery: Delivery) -> dict:
    """A Delivery's routing and stamps as header fields (its plain line travels as the body)."""
    fields: dict = {"t": delivery.tags, "ts": delivery.time}
    if delivery.channels:
        fields["c"] = list(delivery.channels)
    if delivery.uid is not None:
        fields["u"] = delivery.uid
    if delivery.uids:
        fields["us"] = list(delivery.uids)
    if delivery.skip is not None:
        fields["s"] = delivery.skip
    if delivery.needs:
        fields["n"] = delivery.needs
    if delivery.extended is not None:
        fields["x"] = delivery.extended.decode()
    return fields


def to_delivery(env: Envelope) -> Delivery:
    f = env.fields
    extended = f.get("x")
    return Delivery(
        env.line, tags=f.get("t"), time=f.get("ts", 0.0), channels=tuple(f.get("c", ())), uid=f.get("u"),
        uids=tuple(f.get("us", ())),
        skip=f.get("s"), needs=f.get("n", 0), extended=extended.encode() if extended is not None else None,
    )
