"""Flood control as a token bucket of lines: a burst, then a steady rate.

A line past the budget is not refused: the caller delays the client's own
processing by the returned time (fakelag), so a flooder slows only itself.
"""

from __future__ import annotations

from dataclasses import dataclass

FREE = frozenset({"QUIT"})
"""Commands that never cost a token: leaving must always work."""

LIVENESS = frozenset({"PING", "PONG"})
"""Commands paid from a bucket of their own: a client busy talking can still answer a PING,
yet a PING stream cannot keep the server busy for free."""


@dataclass(slots=True)
class TokenBucket:
    burst: float
    rate: float  # tokens per second
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float) -> float:
        """Spend one token; return how long to wait before the line may run (0: now)."""
        if self.tokens < 0 and self.stamp == 0.0:
            self.tokens, self.stamp = self.burst, now
        elapsed = now - self.stamp
        if elapsed > 0:  # a wall clock stepped back must not read as a debt of hours
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def retune(self, burst: float, rate: float) -> None:
        """New settings (a reload): a smaller burst caps what is saved; a debt stays owed."""
        self.burst, self.rate = burst, rate
        if self.tokens > burst:
            self.tokens = burst
