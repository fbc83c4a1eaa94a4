"""fanout: N clients in the room, S of them talk; a paced phase for latency, a flat-out one for throughput."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .launcher import Server
from .loadgen import Pool, split
from .measure import latencies, measure, summary_ms


@dataclass
class FanoutSettings:
    clients: int = 1000
    senders: int = 10
    rate: float | None = None  # paced msg/s offered; None: 20,000 deliveries/s (200 msg/s at 100 clients)
    paced_seconds: float = 5.0
    paced_min_messages: int = 50
    flat_deliveries: int = 5_000_000  # the flat-out phase sends enough messages for about this many lines
    probes: int = 20  # receivers that read every send time for latency
    pad: int = 16  # bytes of filler text per message
    workers: int = 2
    join: bool = False  # send JOIN #lobby after 001 (servers that do not auto-join)

    def paced_rate(self) -> float:
        if self.rate is not None:
            return self.rate
        return max(1.0, round(20000 / max(1, self.clients - 1), 1))


def _phase(pool: Pool, server: Server, s: FanoutSettings, tag: str, rate: float | None,
           per_sender: int, senders: list[int]) -> dict[str, Any]:
    talkers = sum(senders)
    total = per_sender * talkers
    timeout = 120.0 if rate is None else total / rate + 60.0
    kwargs = [{"tag": tag, "senders": n, "per_sender": per_sender, "total": total,
               "rate": None if rate is None else rate * n / talkers, "pad": s.pad, "timeout": timeout}
              for n in senders]
    span = measure(pool, server, "phase", kwargs)
    expected, received = span.total("expected"), span.total("received")
    out: dict[str, Any] = {
        "messages": total, "expected": expected, "received": received, "loss": expected - received,
        "closed_by_server": span.total("closed"), "seconds": span.wall,
        "deliveries_per_s": received / span.wall if span.wall else 0.0,
        "server_cpu_s": span.server_cpu,
        "server_us_per_delivery": span.server_cpu / received * 1e6 if span.server_cpu is not None and received else None,
        "server_load": span.server_load, "generator_load": span.generator_load,
    }
    out.update(summary_ms(latencies(span)))
    return out


def run(server: Server, s: FanoutSettings, gen_cpus: set[int]) -> dict[str, Any]:
    workers = max(1, min(s.workers, s.clients))
    with Pool(server.host, server.port, workers, gen_cpus, server.tls) as pool:
        shares = split(s.clients, workers)
        probes = split(min(s.probes, s.clients), workers)
        reg = measure(pool, server, "connect", [
            {"count": n, "prefix": "f", "probes": p, "join": s.join} for n, p in zip(shares, probes)])
        registered = reg.total("registered")
        if registered != s.clients:
            raise RuntimeError(f"only {registered} of {s.clients} clients registered with {server.name}")
        sync = pool.run("sync", [{"token": "sync-fanout", "send": i == 0} for i in range(workers)])
        if not all(r["ok"] for r in sync):
            raise RuntimeError(f"{server.name}: the room did not settle after registration")
        senders = split(min(s.senders, s.clients), workers)
        rate = s.paced_rate()
        talkers = sum(senders)
        paced_n = max(1, math.ceil(max(rate * s.paced_seconds, s.paced_min_messages) / talkers))
        flat_n = max(1, math.ceil(s.flat_deliveries / max(1, s.clients - 1) / talkers))
        paced = _phase(pool, server, s, "Pz1", rate, paced_n, senders)
        paced["rate"] = rate
        flat = _phase(pool, server, s, "Fz2", None, flat_n, senders)
        pool.run("close", {})
    return {"server": server.name, "settings": asdict(s), "register_seconds": reg.wall,
            "rss_kib": server.rss(), "paced": paced, "flat": flat}
