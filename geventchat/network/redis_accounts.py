"""Accounts and K-lines in Redis: the AccountStore and BanStore of a network of nodes.

Plain hashes, so an account registered on one node logs in on every node:
`accounts` (folded name -> JSON record), `certfps` (fingerprint -> folded
name), `klines` (mask -> JSON record). Creating an account or claiming a
certificate is one HSETNX, atomic across nodes. A Redis that cannot be
reached is StoreUnavailable to the core: logins fail with "try again later",
and the chat goes on.

What must change on every node at once (a K-line to apply, a KILL of a user
on another node, an account logged out) travels as a `control` envelope on
the broadcast channel, in the same ordered outbox as every other line.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Callable, TypeVar

from redis.exceptions import RedisError, WatchError

from ..core.accounts import Account, StoreUnavailable
from ..core.opers import Ban
from ..protocol.names import casefold

T = TypeVar("T")


def _always() -> bool:
    return True


def _record(account: Account) -> str:
    return json.dumps({"name": account.name, "hash": account.password_hash, "registered": account.registered,
                       "certfps": list(account.certfps)}, separators=(",", ":"))


def _account(raw: bytes) -> Account:
    record = json.loads(raw)
    return Account(record["name"], record["hash"], float(record["registered"]), tuple(record.get("certfps", ())))


class RedisAccounts:
    def __init__(self, redis, prefix: str, online: Callable[[], bool] = _always) -> None:
        """`redis`: a redis-py client (the node's command pool); `prefix`: the network's key namespace;
        `online`: whether the node's link has Redis now (while it has not, fail at once, not after a timeout)."""
        self.redis = redis
        self.online = online
        self.accounts_key = f"{prefix}:accounts"
        self.certfps_key = f"{prefix}:certfps"
        self.klines_key = f"{prefix}:klines"

    def _guarded(self, work: Callable[[], T]) -> T:
        if not self.online():
            raise StoreUnavailable("Redis is away")
        try:
            return work()
        except RedisError as error:
            raise StoreUnavailable(str(error)) from None

    # --- accounts ----------------------------------------------------------------

    def exists(self, name: str) -> bool:
        return self._guarded(lambda: bool(self.redis.hexists(self.accounts_key, casefold(name))))

    def get(self, name: str) -> Account | None:
        raw = self._guarded(lambda: self.redis.hget(self.accounts_key, casefold(name)))
        return _account(raw) if raw else None

    def create(self, account: Account) -> bool:
        return self._guarded(lambda: bool(self.redis.hsetnx(self.accounts_key, casefold(account.name), _record(account))))

    def set_password(self, name: str, password_hash: str) -> None:
        self._update(name, lambda account: replace(account, password_hash=password_hash))

    def add_certfp(self, name: str, certfp: str) -> bool:
        folded = casefold(name)
        if not self._guarded(lambda: self.redis.hsetnx(self.certfps_key, certfp, folded)):
            owner = self._guarded(lambda: self.redis.hget(self.certfps_key, certfp))
            return owner is not None and owner.decode() == folded
        if self._update(name, lambda a: replace(a, certfps=tuple(sorted({*a.certfps, certfp})))) is None:
            self._guarded(lambda: self.redis.hdel(self.certfps_key, certfp))
            return False
        return True

    def remove_certfp(self, name: str, certfp: str) -> bool:
        account = self.get(name)
        if account is None or certfp not in account.certfps:
            return False
        self._update(name, lambda a: replace(a, certfps=tuple(fp for fp in a.certfps if fp != certfp)))
        self._guarded(lambda: self.redis.hdel(self.certfps_key, certfp))
        return True

    def by_certfp(self, certfp: str) -> str | None:
        folded = self._guarded(lambda: self.redis.hget(self.certfps_key, certfp))
        account = self.get(folded.decode()) if folded else None
        return account.name if account else None

    def delete(self, name: str) -> bool:
        account = self.get(name)
        if account is None:
            return False

        def work() -> bool:
            pipe = self.redis.pipeline(transaction=True)
            pipe.hdel(self.accounts_key, casefold(name))
            if account.certfps:
                pipe.hdel(self.certfps_key, *account.certfps)
            return bool(pipe.execute()[0])

        return self._guarded(work)

    def _update(self, name: str, change: Callable[[Account], Account]) -> Account | None:
        """Read, change and write one account's record, again if another node wrote it meanwhile."""
        folded = casefold(name)

        def work() -> Account | None:
            with self.redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        pipe.watch(self.accounts_key)
                        raw = pipe.hget(self.accounts_key, folded)
                        if not raw:
                            pipe.unwatch()
                            return None
                        account = change(_account(raw))
                        pipe.multi()
                        pipe.hset(self.accounts_key, folded, _record(account))
                        pipe.execute()
                        return account
                    except WatchError:  # another node wrote it first: read it again
                        continue

        return self._guarded(work)

    # --- K-lines -------------------------------------------------------------------

    def bans(self) -> list[Ban]:
        records = self._guarded(lambda: self.redis.hgetall(self.klines_key))
        return [Ban.from_record(json.loads(raw)) for raw in records.values()]

    def add_ban(self, ban: Ban) -> None:
        self._guarded(lambda: self.redis.hset(self.klines_key, ban.mask, json.dumps(ban.record(), separators=(",", ":"))))

    def remove_ban(self, mask: str) -> bool:
        return self._guarded(lambda: bool(self.redis.hdel(self.klines_key, mask)))
