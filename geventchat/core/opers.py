"""Operators and K-lines: who may keep order, the bans they set, the ban store seam.

Operators are named in the configuration with the argon2 hash of their
password (never the password). A K-line bans a `user@host` mask, with `*`
and `?` wildcards (or a CIDR for the host), for a while or until removed;
it is kept in the store, so it outlives a restart and holds on every node,
and it is checked when a client registers and applied at once to the
clients already connected. Operators are never K-lined by their own bans.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Protocol

from ..protocol import numerics as N
from ..protocol.names import casefold
from .accounts import StoreUnavailable
from .logins import Verdict, address_of

if TYPE_CHECKING:
    from .chat import Chat
    from .session import Session

log = logging.getLogger("geventchat")

KLINED = "K-lined"


@dataclass(frozen=True, slots=True)
class Ban:
    mask: str  # user@host, lower case
    reason: str
    set_by: str  # the operator's name
    set_at: float
    expires: float | None = None  # None: until UNKLINE

    def record(self) -> dict:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> Ban:
        return cls(record["mask"], record["reason"], record["set_by"], float(record["set_at"]),
                   None if record.get("expires") is None else float(record["expires"]))

    def expired(self, now: float) -> bool:
        return self.expires is not None and now >= self.expires


class BanStore(Protocol):
    def bans(self) -> list[Ban]: ...
    def add_ban(self, ban: Ban) -> None: ...
    def remove_ban(self, mask: str) -> bool: ...


_DURATION = re.compile(r"(\d{1,9})([smhdw]?)\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "": 60}


def parse_duration(text: str) -> float | None:
    """`30` (minutes, as solanum and hybrid read it), `90s`, `30m`, `2h`, `7d`, `1w` -> seconds; else None."""
    match = _DURATION.match(text.lower())
    if match is None or int(match.group(1)) == 0:
        return None
    return float(int(match.group(1)) * _UNITS[match.group(2)])


def parse_mask(text: str) -> str | None:
    """`user@host` (a bare host means `*@host`), lower case; None when it cannot be a mask."""
    if not text or any(char in text for char in " !,\0"):
        return None
    user, at, host = text.rpartition("@")
    if not at:
        user, host = "*", text
    if not user or not host:
        return None
    return f"{user}@{host}".lower()


def _glob(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z")


def mask_matches(mask: str, username: str, host: str, ip: str) -> bool:
    """Whether a client (its username, host name and address) falls under `user@host`."""
    user_part, _, host_part = mask.rpartition("@")
    if not _glob(user_part).match(username.lower()):
        return False
    if "/" in host_part:
        try:
            return ipaddress.ip_address(ip) in ipaddress.ip_network(host_part, strict=False)
        except ValueError:
            return False
    pattern = _glob(host_part)
    return bool(pattern.match(host.lower()) or (ip and pattern.match(ip.lower())))


class Opers:
    def __init__(self, chat: Chat, store: BanStore) -> None:
        self.chat = chat
        self.store = store
        self._bans: dict[str, Ban] = {}

    @property
    def operators(self) -> dict[str, tuple[str, str]]:
        """Folded name -> (name, argon2 hash), read from the settings each time (a reload may change them)."""
        found = {}
        for entry in self.chat.config.opers.oper:
            name, _, hashed = entry.partition(":")
            found[casefold(name)] = (name, hashed)
        return found

    # --- operators -----------------------------------------------------------

    def check(self, session: Session, name: str, password: str, now: float) -> tuple[str | None, Verdict]:
        """OPER: (the operator's name, or None), with a Verdict saying why not; throttled like a login."""
        logins = self.chat.logins
        address = address_of(session)
        wait = logins.by_address.wait(address, now)
        if wait:
            return None, Verdict(wait=wait)
        found = self.operators.get(casefold(name))
        right = logins.hasher.verify(found[1] if found else logins.decoy(), password)
        if found and right:
            return found[0], Verdict()
        logins.failed(address, now, "OPER", what=f"operator {found[0]}" if found else "no such operator")
        return None, Verdict()

    # --- K-lines ---------------------------------------------------------------

    def load(self, now: float) -> None:
        """Read the bans from the store (at start; on a network, whenever Redis is reached again)."""
        bans = {}
        try:
            for ban in self.store.bans():
                if ban.expired(now):
                    self.store.remove_ban(ban.mask)
                else:
                    bans[ban.mask] = ban
        except StoreUnavailable as error:
            # a node starts before its link to Redis is up: it reads them once it is
            log.info("K-lines not read yet (%s): read once the store can be reached", error)
            return
        self._bans = bans

    def bans(self, now: float) -> list[Ban]:
        self._forget_expired(now)
        return sorted(self._bans.values(), key=lambda ban: ban.set_at)

    def banned(self, session: Session, now: float) -> Ban | None:
        """The K-line this client falls under, if any (an operator falls under none)."""
        if not self._bans or session.oper is not None:
            return None
        username = session.username or ""
        for ban in list(self._bans.values()):
            if ban.expired(now):
                self._bans.pop(ban.mask, None)
            elif mask_matches(ban.mask, username, session.host, session.transport.ip):
                return ban
        return None

    def add(self, ban: Ban, now: float) -> int:
        """Keep a K-line, tell the other nodes, and end the clients here that it bans; returns how many."""
        self.store.add_ban(ban)
        self.chat.broadcast_control({"op": "kline", "ban": ban.record()})
        return self.apply(ban, now)

    def apply(self, ban: Ban, now: float) -> int:
        """A K-line set here or on another node: hold it, and end the clients here that fall under it."""
        self._bans[ban.mask] = ban
        ended = 0
        for session in list(self.chat.sessions.values()):
            if session.oper is None and session.closed is None and mask_matches(
                    ban.mask, session.username or "", session.host, session.transport.ip):
                self.chat.outbox.numeric(session, N.ERR_YOUREBANNEDCREEP,
                                         f"You are banned from this server ({ban.reason})")
                self.chat.quit(session, KLINED, now)
                ended += 1
        log.warning("K-line %s (%s) by %s: %d connected client(s) ended", ban.mask, ban.reason, ban.set_by, ended)
        return ended

    def remove(self, mask: str) -> bool:
        """UNKLINE: forget the K-line here, in the store, and on the other nodes."""
        known = self._bans.pop(mask, None) is not None
        removed = self.store.remove_ban(mask) or known
        if removed:
            self.chat.broadcast_control({"op": "unkline", "mask": mask})
        return removed

    def lifted(self, mask: str) -> None:
        """Another node removed a K-line."""
        self._bans.pop(mask, None)

    def _forget_expired(self, now: float) -> None:
        for ban in list(self._bans.values()):
            if ban.expired(now):
                self._bans.pop(ban.mask, None)
