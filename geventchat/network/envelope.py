"""What travels on Redis pub/sub: `origin\nheader-json\nline-bytes`.

The line is carried as the exact bytes formatted once by the sender; the
origin comes first so a node drops its own echoes without decoding JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# kinds
ROOM = "room"  # deliver `line` to a room's local members (r=room, s=skip uid)
UID = "uid"  # deliver `line` to one local user (u=uid)
ADD = "add"  # a user registered (user=record)
DEL = "del"  # a user left (u=uid)
NICK = "nick"  # a user changed nick (u=uid, n=new nick)
AWAY = "away"  # a user went away or came back (u=uid, a=message or null)
HELLO = "hello"  # a node (re)joined: its whole user list (users=[records])
DEAD = "dead"  # a node was declared dead and its state freed (node=name)
LOST = "lost"  # your user lost its nick on re-claim (u=uid, n=nick)


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


def decode(data: bytes) -> Envelope:
    origin, header, line = data.split(b"\n", 2)
    fields = json.loads(header)
    kind = fields.pop("k")
    return Envelope(origin.decode(), kind, fields, line)
