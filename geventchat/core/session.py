"""One client's protocol state, from connect to close."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from .flood import TokenBucket
from .state import User


@dataclass(frozen=True, slots=True)
class TransportInfo:
    """What a handler may need to know about the connection under a client."""

    kind: str = "tcp"  # "tcp", "tls", "ws", "wss"
    secure: bool = False  # TLS under it: WHOIS 671, sts, SASL EXTERNAL
    certfp: str | None = None  # SHA-256 of the client's TLS certificate, lower-case hex
    ip: str = ""  # the peer's address (behind a trusted proxy: the client's own)
    framing: int = 0  # view bits (caps.FRAMING) for a transport that frames each line (WebSocket)


PLAIN_TCP = TransportInfo()


def _no_limit(size: int) -> None:
    """The default for a session whose queue need not know its longest line."""


@dataclass(slots=True, eq=False)
class Session:
    uid: str
    host: str
    send: Callable[[bytes], None]  # queue a CRLF-ended line for this client (framed if its transport frames); never blocks
    hang_up: Callable[[], None]  # the client is leaving: flush what is queued, then close
    connected_at: float
    flood: TokenBucket
    ping_flood: TokenBucket  # PING and PONG have a budget of their own
    transport: TransportInfo = PLAIN_TCP
    set_line_limit: Callable[[int], None] = _no_limit  # the longest line this client may now be sent
    deliver: Callable[[bytes], None] | None = None  # queue bytes already in this client's view (the bus's lines)
    nick: str | None = None  # claimed, registered or not
    username: str | None = None
    realname: str = ""
    cap_negotiating: bool = False
    cap_version: int = 0  # 302 once the client said `CAP LS 302`
    caps: set[str] = field(default_factory=set)
    view: int = 0  # the caps that change how relayed lines look to it (caps.py)
    user: User | None = None  # set once registered
    last_seen: float = 0.0
    ping_sent_at: float | None = None
    closed: str | None = None  # the quit reason, once the client is leaving
    inbox: deque = field(default_factory=deque)  # received lines not yet run (flood control)
    held: object = None  # the line whose delay is being waited out; its token is paid
    response: list | None = None  # one command's replies, held for labeled-response
    read_markers: dict[str, float] = field(default_factory=dict)  # MARKREAD without an account: this connection's
    account: str | None = None  # the account it is logged in to (its User's too, once registered)
    sasl: object = None  # the SASL exchange in progress (sasl.Exchange)
    password_ok: bool = False  # gave the server password (--password)
    oper: str | None = None  # the operator it has become with OPER

    @property
    def registered(self) -> bool:
        return self.user is not None

    @property
    def name(self) -> str:
        """How replies address this client: its nick, or `*` before it has one."""
        return self.nick or "*"
