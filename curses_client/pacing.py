"""Outgoing lines kept within the server's flood budget: a burst, then a steady rate.

Servers delay or disconnect a client that sends faster than they allow
(geventchat: 10 lines at once, then 1 a second; 20 held back and it closes
the link with `Excess flood`). The client keeps its own token bucket with
the same shape, so a big paste leaves at the server's pace instead of
getting its sender kicked. What waits is counted, and the line it echoed on
screen is marked until it leaves. PING and PONG never wait (they keep the
connection alive) and QUIT does not either (leaving is immediate); the
session sends those directly.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .state import Line

UNPACED = frozenset({"PING", "PONG", "QUIT"})


@dataclass
class Outgoing:
    """One message to send, and the line on screen that stands for it (if any)."""

    reply: tuple[str, ...]
    line: Line | None = None


class Pacer:
    def __init__(self, burst: int, rate: float) -> None:
        self.burst = float(max(1, burst))
        self.rate = rate
        self.tokens = self.burst
        self.stamp: float | None = None
        self.queue: deque[Outgoing] = deque()

    def reset(self, now: float) -> None:
        """A new connection: the server's budget starts full again."""
        self.tokens = self.burst
        self.stamp = now

    def push(self, item: Outgoing) -> None:
        self.queue.append(item)

    def due(self, now: float) -> list[Outgoing]:
        """The lines the budget lets go now, oldest first."""
        self._refill(now)
        out: list[Outgoing] = []
        while self.queue and self.tokens >= 1.0:
            self.tokens -= 1.0
            out.append(self.queue.popleft())
        return out

    def next_at(self, now: float) -> float | None:
        """When the next waiting line may go (None: nothing waits)."""
        if not self.queue:
            return None
        self._refill(now)
        if self.tokens >= 1.0:
            return now
        return now + (1.0 - self.tokens) / self.rate

    def drop(self) -> list[Outgoing]:
        """Empty the queue (the connection is gone, or we are leaving); return what never went."""
        dropped = list(self.queue)
        self.queue.clear()
        return dropped

    def __len__(self) -> int:
        return len(self.queue)

    def _refill(self, now: float) -> None:
        if self.stamp is None:
            self.stamp = now
        elapsed = now - self.stamp
        if elapsed > 0:  # a clock stepped back is not a debt
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.stamp = now
