"""connect: ramp to C registered connections, then idle (answering PINGs) and count who is still alive."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from .launcher import Server
from .loadgen import Pool, split
from .measure import measure


@dataclass
class ConnectSettings:
    clients: int = 10_000
    idle: float = 20.0  # seconds connected and idle before the alive check
    pending: int = 200  # registrations in flight per worker
    workers: int = 2
    join: bool = False


def run(server: Server, s: ConnectSettings, gen_cpus: set[int]) -> dict[str, Any]:
    workers = max(1, min(s.workers, s.clients))
    time.sleep(0.2)
    rss_before = server.rss()
    with Pool(server.host, server.port, workers, gen_cpus, server.tls, server.websocket) as pool:
        ramp = measure(pool, server, "connect", [
            {"count": n, "prefix": "c", "pending": s.pending, "join": s.join} for n in split(s.clients, workers)])
        registered = ramp.total("registered")
        settle = measure(pool, server, "sync",
                         [{"token": "sync-connect", "senders": int(i == 0)} for i in range(workers)])
        joins = settle.total("joins")
        rss_ramped = server.rss()
        idle = measure(pool, server, "idle", {"seconds": s.idle})
        rss_idle = server.rss()
        alive = idle.total("alive")
        pool.run("close", {})
    per_conn = None
    if rss_before is not None and rss_idle is not None and registered:
        per_conn = (rss_idle - rss_before) / registered
    return {
        "server": server.name, "settings": asdict(s),
        "registered": registered, "failed": ramp.total("failed"),
        "register_seconds": ramp.wall, "registrations_per_s": registered / ramp.wall if ramp.wall else 0.0,
        "settled_seconds": ramp.wall + settle.wall, "settled": settle.total("synced") + 1 >= registered,
        "join_lines": joins, "join_lines_expected": registered * (registered + 1) // 2,
        "ramp_server_cpu_s": (ramp.server_cpu or 0.0) + (settle.server_cpu or 0.0)
        if ramp.server_cpu is not None else None,
        "ramp_generator_load": (ramp.generator_cpu + settle.generator_cpu) / (ramp.wall + settle.wall),
        "rss_before_kib": rss_before, "rss_ramped_kib": rss_ramped, "rss_idle_kib": rss_idle,
        "rss_per_connection_kib": per_conn,
        "idle_seconds": s.idle, "alive": alive, "pings_answered": idle.total("pings_answered"),
    }
