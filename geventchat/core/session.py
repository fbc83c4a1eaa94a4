"""One client's protocol state, from connect to close."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .flood import TokenBucket
from .state import User


@dataclass(slots=True, eq=False)
class Session:
    uid: str
    host: str
    send: Callable[[bytes], None]  # queue bytes for this client; never blocks
    hang_up: Callable[[], None]  # the client is leaving: flush what is queued, then close
    connected_at: float
    flood: TokenBucket
    nick: str | None = None  # claimed, registered or not
    username: str | None = None
    realname: str = ""
    cap_negotiating: bool = False
    user: User | None = None  # set once registered
    last_seen: float = 0.0
    ping_sent_at: float | None = None
    closed: str | None = None  # the quit reason, once the client is leaving

    @property
    def registered(self) -> bool:
        return self.user is not None

    @property
    def name(self) -> str:
        """How replies address this client: its nick, or `*` before it has one."""
        return self.nick or "*"
