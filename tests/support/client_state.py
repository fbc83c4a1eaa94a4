"""The client's model fed server lines without a socket: what its unit tests share."""

from __future__ import annotations

from curses_client.incoming import handle
from curses_client.state import ChatState
from geventchat.protocol.message import parse

NOW = 1_700_000_000.0


def feed(state: ChatState, *lines: str, now: float = NOW) -> list[tuple[str, ...]]:
    """Hand each line to the client's incoming handler, as its loop does; the lines it would send back."""
    replies: list[tuple[str, ...]] = []
    for line in lines:
        replies += handle(state, parse(line), now)
    return replies
