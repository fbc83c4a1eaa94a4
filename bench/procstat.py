"""CPU time and resident memory of a process, read from /proc (Linux)."""

from __future__ import annotations

import os
import resource

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid`, all threads (from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        text = f.read()
    # the command name is in parentheses and may hold spaces: split after it
    fields = text[text.rindex(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_kib(pid: int) -> int:
    """Resident set size of `pid` in KiB (VmRSS of /proc/PID/status)."""
    with open(f"/proc/{pid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmRSS:"):
                return int(line.split()[1])
    return 0


def own_cpu() -> float:
    """CPU seconds this process has used: the generator reports its own cost."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pin(pid: int, cpus: set[int]) -> bool:
    """Restrict `pid` (0: this process) to `cpus`; False where the OS does not allow it."""
    try:
        os.sched_setaffinity(pid, cpus)
        return True
    except (AttributeError, OSError, ValueError):
        return False


def cpu_split() -> tuple[set[int], set[int]]:
    """(server CPUs, generator CPUs): the first allowed CPU for the server, the rest for load."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except AttributeError:
        allowed = list(range(os.cpu_count() or 1))
    if len(allowed) < 2:
        return set(allowed), set(allowed)
    return {allowed[0]}, set(allowed[1:])
