"""Who is on the chat: users and the nickname index (rfc1459-folded)."""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol.names import casefold


@dataclass(slots=True, eq=False)
class User:
    """A registered user as everyone else sees it: plain data, no connection."""

    uid: str
    nick: str
    user: str
    host: str
    realname: str
    server: str
    signon: float
    modes: str = ""
    away: str | None = None
    last_spoke: float = 0.0  # for WHOIS idle time: PING traffic does not count
    secure: bool = False  # connected over TLS (WHOIS 671)
    account: str | None = None  # the account it is logged in to

    @property
    def prefix(self) -> str:
        return f"{self.nick}!{self.user}@{self.host}"


class Registry:
    """Nick ownership and the directory of registered users.

    Nick uniqueness is a seam (`claim_nick` / `release_nick`): a network of
    servers answers it from shared storage, a single process from this dict.
    A nick is claimed from the first NICK, before registration completes, so
    two clients can never register the same nick.
    """

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}  # folded nick -> uid (registered or not)
        self._users: dict[str, User] = {}  # folded nick -> registered user
        self.max_users = 0

    def claim_nick(self, nick: str, uid: str) -> bool:
        """Take `nick` for `uid`; False if someone else holds it."""
        owner = self._owners.setdefault(casefold(nick), uid)
        return owner == uid

    def release_nick(self, nick: str, uid: str) -> None:
        key = casefold(nick)
        if self._owners.get(key) == uid:
            del self._owners[key]

    def add(self, user: User) -> None:
        self._users[casefold(user.nick)] = user
        self.max_users = max(self.max_users, len(self._users))

    def remove(self, user: User) -> None:
        key = casefold(user.nick)
        if self._users.get(key) is user:
            del self._users[key]
        self.release_nick(user.nick, user.uid)

    def changed(self, user: User) -> None:
        """A registered user's details (AWAY) changed: a network registry tells the other nodes."""

    def rename(self, user: User, new_nick: str) -> None:
        """Move a registered user to a nick it has already claimed."""
        old = user.nick
        self._users.pop(casefold(old), None)
        if casefold(old) != casefold(new_nick):
            self.release_nick(old, user.uid)
        user.nick = new_nick
        self._users[casefold(new_nick)] = user

    def find(self, nick: str) -> User | None:
        return self._users.get(casefold(nick))

    def users(self) -> list[User]:
        return list(self._users.values())

    def __len__(self) -> int:
        return len(self._users)

    def local_count(self) -> int:
        """Users on this server; len() counts the whole network where there is one."""
        return len(self._users)

    def server_count(self) -> int:
        """Servers in the network, this one included."""
        return 1

    def unreachable(self, user: User) -> str | None:
        """Why a private line to `user` cannot be delivered now (its server is silent), or None.

        One process reaches all its users; a network registry answers for users on other nodes.
        """
        return None
