"""history: CHATHISTORY latency over a store already holding many lines, while the lobby carries load.

The server starts on a copy of a filled data directory (seed.py); clients
in the lobby talk at the fanout's paced rate, and meanwhile one client with
the capabilities asks `CHATHISTORY LATEST #lobby * N` and `CHATHISTORY
BEFORE #lobby msgid=... N` in turns, on a fixed schedule (chathistory.py),
BEFORE at msgids spread over the whole history. The CPU a delivered line
costs with history kept or not is the fanout's, run by bin/bench on both.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from . import fanout
from .chathistory import Reader, Schedule
from .launcher import Server
from .loadgen import Pool
from .measure import percentile
from .seed import Seeded

KINDS = ("LATEST", "BEFORE")


@dataclass
class HistorySettings:
    queries: int = 300  # requests of each kind
    limit: int = 100  # lines each request asks for
    interval: float = 0.02  # seconds from one request to the next
    load: fanout.FanoutSettings = field(default_factory=lambda: fanout.FanoutSettings(clients=100))

    def requests(self, seeded: Seeded) -> list[tuple[str, bytes]]:
        """LATEST and BEFORE in turns; BEFORE at the seeded msgids (again from the first if too few)."""
        out: list[tuple[str, bytes]] = []
        samples = seeded.samples or [""]
        for index in range(self.queries):
            out.append(("LATEST", b"CHATHISTORY LATEST #lobby * %d" % self.limit))
            out.append(("BEFORE", b"CHATHISTORY BEFORE #lobby msgid=%s %d"
                        % (samples[index % len(samples)].encode(), self.limit)))
        return out


def latency(server: Server, s: HistorySettings, seeded: Seeded, gen_cpus: set[int]) -> dict[str, Any]:
    """One fresh server: the load clients join and talk, the reader asks; latencies by kind."""
    load = s.load
    workers = max(1, min(load.workers, load.clients))
    requests = s.requests(seeded)
    delay = 0.5
    seconds = delay + len(requests) * s.interval + 1.0  # the load outlasts the last request's schedule
    rate = load.paced_rate()
    per_sender = max(1, math.ceil(rate * seconds / min(load.senders, load.clients)))
    with Pool(server.host, server.port, workers, gen_cpus, server.tls, server.websocket) as pool:
        reg = fanout.join(pool, server, load, workers)
        reader = Reader(server.host, server.port)
        try:
            reader.register()
            schedule = Schedule(reader, requests, s.interval)
            schedule.start(delay)
            loaded = fanout.phase(pool, server, load, "Hz3", rate, per_sender, workers)
            loaded["rate"] = rate
            load_ended = time.monotonic()
            schedule.join(timeout=60.0 + len(requests) * 1.0)
        finally:
            reader.close()
        pool.run("close", {})
    if schedule.error is not None:
        raise RuntimeError(f"{server.name}: CHATHISTORY failed: {schedule.error}")
    out: dict[str, Any] = {"server": server.name, "settings": {**asdict(s), "lines": seeded.lines},
                           "register_seconds": reg.wall, "load": loaded, "rss_kib": server.rss(),
                           "requests": len(schedule.answers),
                           "under_load": sum(a.finished <= load_ended for a in schedule.answers)}
    for kind in KINDS:
        answers = [a for a in schedule.answers if a.kind == kind]
        micros = sorted(int(a.seconds * 1e6) for a in answers)
        out[kind.lower()] = {
            "requests": len(answers),
            "lines_min": min((a.lines for a in answers), default=0),
            "lines_max": max((a.lines for a in answers), default=0),
            "p50_ms": _ms(percentile(micros, 0.50)), "p99_ms": _ms(percentile(micros, 0.99)),
            "max_ms": _ms(float(micros[-1]) if micros else None),
        }
    return out


def _ms(micros: float | None) -> float | None:
    return None if micros is None else micros / 1000.0


def rows(limit: int) -> list[tuple[str, Any, str]]:
    """The latency table's rows (report.Row)."""
    out: list[tuple[str, Any, str]] = []
    for kind in KINDS:
        key = kind.lower()
        label = f"{kind} {'*' if kind == 'LATEST' else 'msgid'} {limit}"
        out += [
            (f"{label}: requests", lambda r, k=key: r[k]["requests"], "d"),
            (f"{label}: lines per answer, fewest", lambda r, k=key: r[k]["lines_min"], "d"),
            (f"{label}: latency p50 (ms)", lambda r, k=key: r[k]["p50_ms"], ".2f"),
            (f"{label}: latency p99 (ms)", lambda r, k=key: r[k]["p99_ms"], ".2f"),
            (f"{label}: latency max (ms)", lambda r, k=key: r[k]["max_ms"], ".2f"),
        ]
    out += [
        ("answers while the load ran", lambda r: r["under_load"], "d"),
        ("load: offered msg/s", lambda r: r["load"]["rate"], ".1f"),
        ("load: deliveries", lambda r: r["load"]["received"], "d"),
        ("load: loss", lambda r: r["load"]["loss"], "d"),
        ("load: latency p99 (ms)", lambda r: r["load"]["p99_ms"], ".2f"),
        ("load: server CPU (cores)", lambda r: r["load"]["server_load"], ".2f"),
        ("server RSS after (KiB)", lambda r: r["rss_kib"], "d"),
    ]
    return out
