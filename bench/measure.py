"""Running one command on every worker while watching the server: wall, CPU on both sides, RSS."""

from __future__ import annotations

import time
from array import array
from dataclasses import dataclass
from typing import Any

from .launcher import Server
from .loadgen import Pool


@dataclass
class Span:
    """One measured stretch: worker answers plus what the server and the generator spent."""

    results: list[dict[str, Any]]
    wall: float
    server_cpu: float | None  # seconds, from /proc
    generator_cpu: float  # seconds, summed over workers

    def total(self, key: str) -> int:
        return sum(r[key] for r in self.results)

    @property
    def generator_load(self) -> float:
        """The generator's CPU as a share of one core over the span (1.0: a full core)."""
        return self.generator_cpu / self.wall if self.wall else 0.0

    @property
    def server_load(self) -> float | None:
        return self.server_cpu / self.wall if self.server_cpu is not None and self.wall else None


def measure(pool: Pool, server: Server, command: str, kwargs: list[dict[str, Any]] | dict[str, Any]) -> Span:
    cpu = server.cpu()
    started = time.monotonic()
    results = pool.run(command, kwargs)
    wall = time.monotonic() - started
    after = server.cpu()
    used = after - cpu if cpu is not None and after is not None else None
    return Span(results, wall, used, sum(r["cpu"] for r in results))


def latencies(span: Span) -> array:
    merged = array("q")
    for result in span.results:
        merged.frombytes(result["latencies"])
    return merged


def percentile(values: list[int], fraction: float) -> float | None:
    """Nearest-rank percentile of sorted `values`."""
    if not values:
        return None
    rank = min(len(values) - 1, max(0, int(round(fraction * len(values) + 0.5)) - 1))
    return float(values[rank])


def summary_ms(samples: array) -> dict[str, float | None]:
    ordered = sorted(samples)
    def ms(v: float | None) -> float | None:
        return None if v is None else v / 1000.0
    return {"p50_ms": ms(percentile(ordered, 0.50)), "p99_ms": ms(percentile(ordered, 0.99)),
            "max_ms": ms(float(ordered[-1]) if ordered else None), "samples": len(ordered)}
