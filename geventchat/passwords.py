"""Password hashes: argon2id through argon2-cffi, the Hasher the core calls.

argon2id is memory-hard: each hash fills `argon2_memory_cost` KiB, so a
guess costs an attacker's GPU as much memory as it costs us. Its encoded
form carries the algorithm, the costs and the salt, so a hash made under
older settings still verifies (and is made again at the next login).
Verification compares in constant time (the reference C code does).

The work is slow on purpose; the edge hands `run`, which runs it on a
thread of the password pool (the C code lets go of the GIL), so the event
loop never waits on a hash.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from .config import AccountsConfig

T = TypeVar("T")
Run = Callable[[Callable[[], T]], T]

HASH_BYTES = 32
SALT_BYTES = 16


def _call(work: Callable[[], T]) -> T:
    return work()


class Argon2Hasher:
    def __init__(self, settings: AccountsConfig, run: Run = _call) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism, hash_len=HASH_BYTES, salt_len=SALT_BYTES, type=Type.ID,
        )
        self._run = run

    def hash(self, password: str) -> str:
        return self._run(lambda: self._hasher.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        def work() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return self._run(work)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return False
