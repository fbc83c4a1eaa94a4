"""RedisRegistry: the Registry seam for a network of nodes.

Local users live in the base Registry exactly as in one process. Users on
other nodes are a mirror kept from the directory stream (so WHOIS, NAMES,
ISON... answer from memory, in step with the lines delivered). Nick claims
go to Redis, atomically and fenced; while Redis is away they are checked
against what this node knows and claimed again when it is back.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING

from ..core.state import Registry, User
from ..protocol.names import casefold
from . import envelope as E
from .backlog import Item
from .records import node_of, to_record

if TYPE_CHECKING:
    from .link import RedisLink

log = logging.getLogger("geventchat")


class RedisRegistry(Registry):
    def __init__(self, link: RedisLink, node: str) -> None:
        super().__init__()
        self.link = link
        self.node = node
        self.held: dict[str, str] = {}  # folded nick -> local uid holding it (registered or not)
        self._remote: dict[str, User] = {}  # uid -> user on another node
        self._remote_nicks: dict[str, User] = {}  # folded nick -> user on another node
        self.live_nodes: set[str] = set()  # other nodes with a heartbeat, as last seen
        self.epochs: dict[str, str] = {}  # other node -> the epoch of its run we know
        self.heard: dict[str, float] = {}  # other node -> when it last beat (our clock)
        self.unreachable_after = link.settings.unreachable_after

    # --- the seam the core calls ----------------------------------------

    def claim_nick(self, nick: str, uid: str) -> bool:
        if not super().claim_nick(nick, uid):
            return False
        folded = casefold(nick)
        if self.link.online:
            owner = self.link.claim(folded, uid)
            if owner is not None and owner != uid and node_of(owner) == self.node:
                # Held by one of ours who has since let it go (the local claim
                # above succeeded): the release is still in the ordered backlog.
                # Let it reach Redis, then ask again: a user who reconnects at
                # once keeps the nick, and the backlog's order stays the only order.
                self.link.flush(self.link.settings.redis_release_wait)
                owner = self.link.claim(folded, uid)
            if owner is not None and owner != uid:
                super().release_nick(nick, uid)
                return False
            # owner None: Redis failed mid-claim or refused us; check locally
        if not self.link.online:
            other = self._remote_nicks.get(folded)
            if other is not None:
                super().release_nick(nick, uid)
                return False
        self.held[folded] = uid
        return True

    def release_nick(self, nick: str, uid: str) -> None:
        super().release_nick(nick, uid)
        folded = casefold(nick)
        if self.held.get(folded) == uid:
            del self.held[folded]
            self.link.append(Item((), b"", ("free", folded, uid), 1))

    def add(self, user: User) -> None:
        super().add(user)
        self.max_users = max(self.max_users, len(self))
        self._changed(user, E.encode(E.ADD, {"user": to_record(user)}))

    def remove(self, user: User) -> None:
        super().remove(user)
        self.link.append(Item((self.link.keys.directory,), E.encode(E.DEL, {"u": user.uid}), ("hdel", user.uid), 1,
                              about=user.uid))

    def rename(self, user: User, new_nick: str) -> None:
        super().rename(user, new_nick)
        self._changed(user, E.encode(E.NICK, {"u": user.uid, "n": user.nick}))

    def changed(self, user: User) -> None:
        super().changed(user)
        self._changed(user, E.encode(E.ADD, {"user": to_record(user)}))

    def _changed(self, user: User, message: bytes) -> None:
        """A local user registered or changed: its directory record and every node hear of it."""
        record = json.dumps(to_record(user))
        self.link.append(Item((self.link.keys.directory,), message, ("hset", user.uid, record), 1, about=user.uid))

    def find(self, nick: str) -> User | None:
        return super().find(nick) or self._remote_nicks.get(casefold(nick))

    def users(self) -> list[User]:
        return super().users() + list(self._remote.values())

    def __len__(self) -> int:
        return super().__len__() + len(self._remote)

    def unreachable(self, user: User) -> str | None:
        """Why a private line to this user cannot go now: its node has not been heard from lately."""
        node = node_of(user.uid)
        if node == self.node or not self.link.online:
            return None
        heard = self.heard.get(node)
        if heard is None:
            return None
        silent = time.time() - heard
        if silent <= self.unreachable_after:
            return None
        return f"its server {user.server} has not been heard from for {silent:.0f} s"

    # --- the network side -------------------------------------------------

    def local_users(self) -> list[User]:
        return super().users()

    def local_count(self) -> int:
        return super().__len__()

    def server_count(self) -> int:
        return 1 + len(self.live_nodes | self.remote_nodes())

    def remote_nodes(self) -> set[str]:
        return {node_of(uid) for uid in self._remote}

    def remote_users(self, node: str) -> list[User]:
        return [u for uid, u in self._remote.items() if node_of(uid) == node]

    def remote_add(self, user: User) -> User | None:
        """Mirror a user of another node; returns the previous record of that uid, if any."""
        previous = self._remote.get(user.uid)
        if previous is not None:
            self._unindex(previous)
            user.last_spoke = max(user.last_spoke, previous.last_spoke)
        self._remote[user.uid] = user
        self._remote_nicks[casefold(user.nick)] = user
        self.max_users = max(self.max_users, len(self))
        return previous

    def remote_remove(self, uid: str) -> User | None:
        user = self._remote.pop(uid, None)
        if user is not None:
            self._unindex(user)
        return user

    def remote_rename(self, uid: str, nick: str) -> tuple[User, str] | None:
        """Returns the user and its old prefix, or None for a uid not mirrored."""
        user = self._remote.get(uid)
        if user is None:
            return None
        old_prefix = user.prefix
        self._unindex(user)
        user.nick = nick
        self._remote_nicks[casefold(nick)] = user
        return user, old_prefix

    def remote_spoke(self, uid: str, now: float) -> None:
        """A channel line from this user arrived: its WHOIS idle time starts again."""
        user = self._remote.get(uid)
        if user is not None:
            user.last_spoke = now

    def drop_node(self, node: str) -> list[User]:
        """Forget every user of a node (it died or split); returns them."""
        gone = self.remote_users(node)
        for user in gone:
            self.remote_remove(user.uid)
        self.heard.pop(node, None)
        return gone

    def forced_rename(self, user: User, new_nick: str) -> None:
        """Rename a local user who lost its nick, without a NICK entry: the node's
        HELLO that follows tells every other node, each as its users saw it."""
        Registry.rename(self, user, new_nick)

    def forget_claim(self, nick: str, uid: str) -> None:
        """A registering client's nick was held elsewhere: let it go here, leave Redis alone."""
        Registry.release_nick(self, nick, uid)
        self.held.pop(casefold(nick), None)

    def _unindex(self, user: User) -> None:
        key = casefold(user.nick)
        if self._remote_nicks.get(key) is user:
            del self._remote_nicks[key]
