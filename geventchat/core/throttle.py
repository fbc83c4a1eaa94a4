"""Failed attempts per key (an address, an account): a burst is free, then one attempt per interval.

Unlike flood control, a throttled attempt is refused, not delayed: a password
guess that is never checked costs the server nothing. Keys whose budget has
filled up again are forgotten, so memory follows recent failures only.
"""

from __future__ import annotations


class Throttle:
    def __init__(self, burst: int, interval: float) -> None:
        self.burst = burst
        self.interval = interval  # seconds to earn back one attempt
        self._spent: dict[str, tuple[float, float]] = {}  # key -> (attempts spent, when counted)
        self._tidy_at = 1024

    def _spent_now(self, key: str, now: float) -> float:
        entry = self._spent.get(key)
        if entry is None:
            return 0.0
        spent, stamp = entry
        return max(0.0, spent - max(0.0, now - stamp) / self.interval)

    def wait(self, key: str, now: float) -> float:
        """Seconds before `key` may try again; 0 when it may try now."""
        over = self._spent_now(key, now) + 1 - self.burst
        return over * self.interval if over > 0 else 0.0

    def spend(self, key: str, now: float) -> bool:
        """Count one failure (or one costly act) for `key`; True when that used up its burst."""
        spent = self._spent_now(key, now) + 1
        self._spent[key] = (spent, now)
        if len(self._spent) >= self._tidy_at:
            self.tidy(now)
        return spent + 1 > self.burst

    def tidy(self, now: float) -> None:
        """Forget the keys that have earned all their attempts back."""
        self._spent = {key: entry for key, entry in self._spent.items() if self._spent_now(key, now) > 0}
        self._tidy_at = max(1024, 2 * len(self._spent))
