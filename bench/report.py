"""Tables for people, JSON for machines, and one headline line at the end."""

from __future__ import annotations

import json
import os
import platform
from typing import Any, Callable

Row = tuple[str, Callable[[dict[str, Any]], float | None], str]  # label, value getter, number format


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import gevent
        gevent_version = gevent.__version__
    except ImportError:
        gevent_version = None
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release(),
            "python": platform.python_version(), "gevent": gevent_version,
            "loadavg": os.getloadavg()}


def _fmt(value: float | None, spec: str) -> str:
    if value is None:
        return "-"
    return format(value, spec)


def table(title: str, rows: list[Row], runs: list[dict[str, Any]], ratios: list[tuple[str, str]]) -> str:
    """One column per server, then one per ratio `mine/theirs` (server names) asked for."""
    named = {r["server"]: r for r in runs}
    head = [title] + [r["server"] for r in runs] + [f"{mine}/{theirs}" for mine, theirs in ratios]
    body = []
    for label, get, spec in rows:
        line = [label] + [_fmt(get(r), spec) for r in runs]
        for mine, theirs in ratios:
            value, base = get(named[mine]), get(named[theirs])
            line.append(f"{value / base:.2f}x" if value is not None and base else "-")
        body.append(line)
    widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
    out = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
           for row in [head] + body]
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


FANOUT_ROWS: list[Row] = [
    ("register all (s)", lambda r: r["register_seconds"], ".2f"),
    ("paced: offered msg/s", lambda r: r["paced"]["rate"], ".1f"),
    ("paced: deliveries", lambda r: r["paced"]["received"], "d"),
    ("paced: loss", lambda r: r["paced"]["loss"], "d"),
    ("paced: latency p50 (ms)", lambda r: r["paced"]["p50_ms"], ".2f"),
    ("paced: latency p99 (ms)", lambda r: r["paced"]["p99_ms"], ".2f"),
    ("paced: latency max (ms)", lambda r: r["paced"]["max_ms"], ".2f"),
    ("paced: server CPU per delivery (us)", lambda r: r["paced"]["server_us_per_delivery"], ".3f"),
    ("flat: deliveries", lambda r: r["flat"]["received"], "d"),
    ("flat: loss", lambda r: r["flat"]["loss"], "d"),
    ("flat: deliveries/s", lambda r: r["flat"]["deliveries_per_s"], ",.0f"),
    ("flat: server CPU per delivery (us)", lambda r: r["flat"]["server_us_per_delivery"], ".3f"),
    ("flat: server CPU load (cores)", lambda r: r["flat"]["server_load"], ".2f"),
    ("flat: latency p99 (ms)", lambda r: r["flat"]["p99_ms"], ".1f"),
    ("generator CPU paced (cores)", lambda r: r["paced"]["generator_load"], ".2f"),
    ("generator CPU flat (cores)", lambda r: r["flat"]["generator_load"], ".2f"),
    ("server RSS after (KiB)", lambda r: r["rss_kib"], "d"),
]

CONNECT_ROWS: list[Row] = [
    ("registered", lambda r: r["registered"], "d"),
    ("registration time (s)", lambda r: r["register_seconds"], ".2f"),
    ("registrations/s", lambda r: r["registrations_per_s"], ",.0f"),
    ("all arrivals delivered (s)", lambda r: r["settled_seconds"], ".2f"),
    ("JOIN lines delivered", lambda r: r["join_lines"], ",d"),
    ("server CPU for the ramp (s)", lambda r: r["ramp_server_cpu_s"], ".2f"),
    ("generator CPU during ramp (cores)", lambda r: r["ramp_generator_load"], ".2f"),
    ("server RSS idle, no clients (KiB)", lambda r: r["rss_before_kib"], ",d"),
    ("server RSS after idle (KiB)", lambda r: r["rss_idle_kib"], ",d"),
    ("RSS per connection (KiB)", lambda r: r["rss_per_connection_kib"], ".1f"),
    ("server PINGs answered", lambda r: r["pings_answered"], ",d"),
    ("alive after idle", lambda r: r["alive"], ",d"),
]

CHURN_ROWS: list[Row] = [
    ("cycles completed", lambda r: r["completed"], ",d"),
    ("cycles failed", lambda r: r["failed"], "d"),
    ("cycles/s", lambda r: r["cycles_per_s"], ",.0f"),
    ("server CPU per cycle (us)", lambda r: r["server_cpu_s"] / r["completed"] * 1e6
     if r["server_cpu_s"] is not None and r["completed"] else None, ",.0f"),
    ("RSS after first round (KiB)", lambda r: r["rss_rounds_kib"][0], ",d"),
    ("RSS after last round (KiB)", lambda r: r["rss_rounds_kib"][-1], ",d"),
    ("RSS growth first->last (%)", lambda r: None if r["rss_growth"] is None else r["rss_growth"] * 100, "+.2f"),
]


WORST_OF = {"loss", "failed", "closed_by_server"}
"""Counts reported as the worst over repeated runs, not the median."""


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One run whose every number is the median over `runs` (fresh servers, same settings)."""
    first = runs[0]
    if len(runs) == 1:
        return first
    out: dict[str, Any] = {}
    for key, value in first.items():
        values = [r.get(key) for r in runs]
        if isinstance(value, dict):
            out[key] = median_run(values)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and all(
                isinstance(v, (int, float)) for v in values):
            ordered = sorted(values)
            if key in WORST_OF:  # a loss in any run must show
                out[key] = ordered[-1]
                continue
            middle = len(ordered) // 2
            out[key] = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
            if isinstance(value, int) and all(isinstance(v, int) for v in values):
                out[key] = type(value)(out[key])
        elif isinstance(value, list) and value and all(isinstance(v, list) and len(v) == len(value) for v in values):
            out[key] = [median_run([{"v": v[i]} for v in values])["v"] for i in range(len(value))]
        else:
            out[key] = value
    out["repeats"] = len(runs)
    return out


def write_json(path: str, data: dict[str, Any]) -> None:
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
