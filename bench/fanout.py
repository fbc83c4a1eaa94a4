"""fanout: N clients in the lobby (or spread over channels), S of them talk; a paced phase for latency,
a flat-out one for throughput.

With `channels` the clients JOIN `#chan0`... one after another (the server
runs with `--lobby none`), the senders too, so each message reaches about
clients/channels - 1 members; the paced rate and the flat-out phase's size
follow that, so both phases offer the same deliveries as in the lobby.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from .launcher import Server
from .loadgen import Pool, split
from .measure import Span, latencies, measure, summary_ms


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
    channels: int = 0  # 0: everyone in the lobby; N: each client JOINs one of #chan0..#chan{N-1}

    def recipients(self) -> float:
        """Members a message reaches (on average, with channels)."""
        return self.clients / max(1, self.channels) - 1

    def paced_rate(self) -> float:
        if self.rate is not None:
            return self.rate
        return max(1.0, round(20000 / max(1.0, self.recipients()), 1))


def rooms(s: FanoutSettings) -> list[str]:
    """Where each sender talks. Client j of worker w is client j * workers + w of all (and JOINs
    #chanK, K that number modulo `channels`); the senders are clients 0 .. S-1, so they spread over
    the workers and the channels alike."""
    count = min(s.senders, s.clients)
    return [f"#chan{g % s.channels}" if s.channels else "#lobby" for g in range(count)]


def totals(s: FanoutSettings, per_sender: int) -> dict[str, int]:
    """Messages a phase sends to each channel."""
    return {room: n * per_sender for room, n in Counter(rooms(s)).items()}


def join(pool: Pool, server: Server, s: FanoutSettings, workers: int) -> Span:
    """Register every client (into its channel, with `channels`), then the barrier; the registration span."""
    shares = split(s.clients, workers)
    probes = split(min(s.probes, s.clients), workers)
    reg = measure(pool, server, "connect", [
        {"count": n, "prefix": "f", "probes": p, "join": s.join, "channels": s.channels, "stride": workers}
        for n, p in zip(shares, probes)])
    registered = reg.total("registered")
    if registered != s.clients:
        raise RuntimeError(f"only {registered} of {s.clients} clients registered with {server.name}")
    voices = split(min(max(1, s.channels), s.clients), workers)  # the first client of each channel
    sync = pool.run("sync", [{"token": "sync-fanout", "senders": n} for n in voices])
    if not all(r["ok"] for r in sync):
        raise RuntimeError(f"{server.name}: the room did not settle after registration")
    return reg


def phase(pool: Pool, server: Server, s: FanoutSettings, tag: str, rate: float | None,
          per_sender: int, workers: int) -> dict[str, Any]:
    """One phase: every sender says `per_sender` messages, paced at `rate` msg/s in all or flat out."""
    senders = split(min(s.senders, s.clients), workers)
    talking = sum(senders)
    total = per_sender * talking
    timeout = 120.0 if rate is None else total / rate + 60.0
    sent = totals(s, per_sender)
    kwargs = [{"tag": tag, "senders": n, "per_sender": per_sender, "totals": sent,
               "rate": None if rate is None else rate * n / talking, "pad": s.pad, "timeout": timeout}
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
    with Pool(server.host, server.port, workers, gen_cpus, server.tls, server.websocket) as pool:
        reg = join(pool, server, s, workers)
        rate = s.paced_rate()
        talking = min(s.senders, s.clients)
        paced_n = max(1, math.ceil(max(rate * s.paced_seconds, s.paced_min_messages) / talking))
        flat_n = max(1, math.ceil(s.flat_deliveries / max(1.0, s.recipients()) / talking))
        paced = phase(pool, server, s, "Pz1", rate, paced_n, workers)
        paced["rate"] = rate
        flat = phase(pool, server, s, "Fz2", None, flat_n, workers)
        pool.run("close", {})
    return {"server": server.name, "settings": asdict(s), "register_seconds": reg.wall,
            "rss_kib": server.rss(), "paced": paced, "flat": flat}
