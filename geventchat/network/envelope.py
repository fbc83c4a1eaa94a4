"""What travels on Redis pub/sub: `origin\nheader-json\nline-bytes`.

The line is carried as the exact plain bytes formatted once by the sender,
with its tags, time and routing in the header, so each node serialises the
views its own clients need once; the origin comes first so a node drops its
own echoes without decoding JSON.
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
DEAD = "dead"  # a node was declared dead and its state freed (node=name)
LOST = "lost"  # your user lost its nick on re-claim (u=uid, n=nick)
CONTROL = "control"  # a KILL, K-line or logout every node applies (Chat.control's fields)


@dataclass(frozen=True, slots=True)
class Envelope:
    origin: str
    kind: str
    fields: dict = field(default_factory=dict)
    line: bytes = b""


def encode(origin: str, kind: str, fields: dict | None = None, line: bytes = b"") -> bytes:
    header = json.dumps({"k": kind, **(fields or {})}, separators=(",", ":"))
    return b"%s\n%s\n%s" % (origin.encode(), header.encode(), line)


def origin_of(data: bytes) -> bytes:
    return data[: data.find(b"\n")]


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


def decode(data: bytes) -> Envelope:
    origin, header, line = data.split(b"\n", 2)
    fields = json.loads(header)
    kind = fields.pop("k")
    return Envelope(origin.decode(), kind, fields, line)
