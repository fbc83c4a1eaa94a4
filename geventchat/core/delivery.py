"""One relayed line for many recipients: its routing, its stamps, and its bytes once per view.

The outbox builds a Delivery; the bus carries it (across nodes as plain data)
and asks it for the bytes of each view present among the recipients.
"""

from __future__ import annotations

import time

from ..protocol.message import format_tags
from ..protocol.websocket import OPCODE_BINARY, OPCODE_TEXT, frame_line
from .caps import EXTENDED_JOIN, FRAMING, TAG_BITS, TAGS, TIME, WS_BINARY


def server_time(stamp: float) -> str:
    """`2026-11-30T11:42:05.123Z`: the server-time format, UTC, milliseconds."""
    millis = round(stamp * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + f".{millis % 1000:03d}Z"


class Delivery:
    """One relayed line for many recipients: routing, and the line once per view.

    `plain` is the line as a client with no capabilities gets it. A view
    (see caps.py) gets the tags it may see in front of `extended` (the
    extended-join form of a JOIN) or `plain`, framed as a WebSocket message
    for a WebSocket view; a line that `needs` view bits goes only to views
    that have them all. Lines are built lazily, once per view, so a channel
    of plain clients costs what it always cost.
    """

    __slots__ = ("plain", "tags", "time", "channels", "uid", "uids", "skip", "needs", "extended", "_lines")

    def __init__(
        self,
        plain: bytes,
        tags: dict[str, str] | None = None,
        time: float = 0.0,
        channels: tuple[str, ...] = (),
        uid: str | None = None,
        uids: tuple[str, ...] = (),
        skip: str | None = None,
        needs: int = 0,
        extended: bytes | None = None,
    ) -> None:
        self.plain = plain
        self.tags = tags
        self.time = time
        self.channels = channels  # folded channel names: every member of these, once ...
        self.uid = uid  # ... or this one user ...
        self.uids = uids  # ... or these few (a channel's operators)
        self.skip = skip  # uid left out (the sender)
        self.needs = needs
        self.extended = extended
        self._lines: dict[int, bytes | None] | None = None

    def line(self, view: int) -> bytes | None:
        """The bytes for clients of this view; None when they are not to get it."""
        if not view:
            return None if self.needs else self.plain
        lines = self._lines
        if lines is None:
            lines = self._lines = {}
        elif view in lines:
            return lines[view]
        if (view & self.needs) != self.needs:
            line = None
        else:
            body = self.extended if self.extended is not None and view & EXTENDED_JOIN else self.plain
            line = format_tags(self.tags_for(view)) + body
            if view & FRAMING:
                line = frame_line(line, OPCODE_BINARY if view & WS_BINARY else OPCODE_TEXT)
        lines[view] = line
        return line

    def tags_for(self, view: int) -> dict[str, str]:
        tags: dict[str, str] = {}
        if view & TIME and self.time:
            tags["time"] = server_time(self.time)
        if self.tags:
            for key, value in self.tags.items():
                if view & TAG_BITS.get(key, TAGS):
                    tags[key] = value
        return tags

    def body_for(self, view: int) -> bytes:
        return self.extended if self.extended is not None and view & EXTENDED_JOIN else self.plain
