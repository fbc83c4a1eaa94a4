"""Who this node is: its name, the epoch of this run, and who held the name before.

A node name is taken in Redis atomically (scripts.CLAIM_NODE) and refused
while another live run holds it. Each run has an epoch, `<run>.<n>`: the
process's start time, and how many times this run has had to join again
after the network declared it dead. Everything a node writes carries its
epoch, and Redis refuses writes from any epoch but the name's current one.

A name held by a process that is known to be gone is taken over at once,
its users freed: the holder recorded its host, boot and pid, so a run on
the same machine can see that the pid no longer runs (a worker restarted by
its supervisor, a server restarted after a crash) without waiting for the
heartbeat to lapse.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field

from .records import run_id


def _read(path: str) -> str | None:
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return None


def _boot_id() -> str:
    return _read("/proc/sys/kernel/random/boot_id") or ""


def _start_ticks(pid: int) -> str | None:
    """When a running process started (clock ticks since boot; a pid reused later starts later).

    None when no such process runs: an exited one not yet reaped by its parent counts as gone.
    """
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


@dataclass
class Identity:
    name: str
    server: str
    started: float = field(default_factory=time.time)
    rejoins: int = 1

    @property
    def run(self) -> str:
        return run_id(self.started)

    @property
    def epoch(self) -> str:
        return f"{self.run}.{self.rejoins}"

    def info(self) -> str:
        """What this run records about itself in Redis, for takeovers and error messages."""
        pid = os.getpid()
        return json.dumps({
            "server": self.server, "host": socket.gethostname(), "boot": _boot_id(), "pid": pid,
            "start": _start_ticks(pid), "since": round(self.started, 3),
        }, separators=(",", ":"))


def gone(info: str) -> bool:
    """The run that wrote `info` was a process on this machine that no longer runs."""
    try:
        holder = json.loads(info)
        pid = int(holder["pid"])
    except (ValueError, KeyError, TypeError):
        return False
    boot = _boot_id()
    if not boot or holder.get("host") != socket.gethostname() or holder.get("boot") != boot:
        return False
    if pid == os.getpid():
        return False
    started = _start_ticks(pid)
    return started is None or started != holder.get("start")


def describe(info: str) -> str:
    """A holder's record in words: `pid 123 on host h, up since 12:00:03 UTC`."""
    try:
        holder = json.loads(info)
        since = time.strftime("%H:%M:%S UTC", time.gmtime(float(holder["since"])))
        return f"pid {holder['pid']} on host {holder['host']}, up since {since}"
    except (ValueError, KeyError, TypeError):
        return "a process that left no record"
