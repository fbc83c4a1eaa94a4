"""churn: connect/register/QUIT cycles in rounds; the server's RSS after each round shows a leak as growth."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from .launcher import Server
from .loadgen import Pool, split


@dataclass
class ChurnSettings:
    cycles: int = 20_000
    rounds: int = 10
    concurrency: int = 100  # cycles in flight at once, over all workers
    workers: int = 2


def run(server: Server, s: ChurnSettings, gen_cpus: set[int]) -> dict[str, Any]:
    workers = max(1, min(s.workers, s.concurrency))
    per_round = split(s.cycles, s.rounds)
    rss: list[int | None] = []
    completed = failed = 0
    started = time.monotonic()
    cpu = server.cpu()
    with Pool(server.host, server.port, workers, gen_cpus, server.tls, server.websocket) as pool:
        for cycles in per_round:
            results = pool.run("churn", [
                {"cycles": n, "concurrency": max(1, c), "prefix": "q"}
                for n, c in zip(split(cycles, workers), split(s.concurrency, workers))])
            completed += sum(r["completed"] for r in results)
            failed += sum(r["failed"] for r in results)
            time.sleep(0.2)  # let the server finish closing this round's connections
            rss.append(server.rss())
    wall = time.monotonic() - started
    after = server.cpu()
    first, last = rss[0], rss[-1]
    growth = (last - first) / first if first and last is not None else None
    return {
        "server": server.name, "settings": asdict(s), "completed": completed, "failed": failed,
        "seconds": wall, "cycles_per_s": completed / wall if wall else 0.0,
        "server_cpu_s": after - cpu if cpu is not None and after is not None else None,
        "rss_rounds_kib": rss, "rss_growth": growth,
    }
