"""Each benchmark scenario at a tiny size against a real server: exact counts, zero loss.

No timing is asserted: these tests check that the generator counts right, so
that the figures it prints at full size can be trusted.
"""

from __future__ import annotations

import os

import pytest

from bench import churn, connect, fanout, launcher

CPUS = os.sched_getaffinity(0)  # no pinning here: other tests share the machine


@pytest.fixture
def start():
    started: list[launcher.Server] = []

    def make(kind: str, *extra: str) -> launcher.Server:
        if kind == "relay":
            server = launcher.start_relay(CPUS)
        else:
            server = launcher.start_geventchat(CPUS, 500, extra)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.mark.parametrize("kind", ["geventchat", "relay"])
def test_fanout_counts_every_delivery(start, kind):
    server = start(kind)
    settings = fanout.FanoutSettings(clients=12, senders=3, rate=90.0, paced_seconds=0.1,
                                     paced_min_messages=9, flat_deliveries=3000, probes=4)
    result = fanout.run(server, settings, CPUS)
    paced, flat = result["paced"], result["flat"]
    assert paced["messages"] == 9 and flat["messages"] == 3 * 91
    for phase in (paced, flat):
        assert phase["expected"] == phase["messages"] * (12 - 1)
        assert phase["received"] == phase["expected"]
        assert phase["loss"] == 0 and phase["closed_by_server"] == 0
    # every message reaches the four probes, minus those a probe sent itself (probes do not send)
    assert paced["samples"] == 9 * 4


def test_connect_counts_joins_pings_and_survivors(start):
    server = start("geventchat", "--ping-interval", "0.3", "--ping-timeout", "10")
    result = connect.run(server, connect.ConnectSettings(clients=40, idle=1.0), CPUS)
    assert result["registered"] == 40 and result["failed"] == 0
    # each client sees its own JOIN and the JOIN of everyone after it
    assert result["join_lines"] == result["join_lines_expected"] == 40 * 41 // 2
    assert result["pings_answered"] >= 40
    assert result["alive"] == 40


def test_connect_against_the_relay(start):
    result = connect.run(start("relay"), connect.ConnectSettings(clients=40, idle=0.2), CPUS)
    assert result["registered"] == 40 and result["alive"] == 40 and result["join_lines"] == 0


@pytest.mark.parametrize("kind", ["geventchat", "relay"])
def test_churn_completes_every_cycle(start, kind):
    server = start(kind)
    result = churn.run(server, churn.ChurnSettings(cycles=300, rounds=3, concurrency=12), CPUS)
    assert result["completed"] == 300 and result["failed"] == 0
    assert len(result["rss_rounds_kib"]) == 3


def test_faults_tool_counts_every_delivery_across_a_redis_restart():
    """bench/faults.py at a tiny size: three nodes, a Redis restart, exact counts, everything stopped."""
    import re
    import shutil
    import subprocess
    import sys

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    result = subprocess.run([sys.executable, "-m", "bench.faults", "redis-restart:0.5", "--clients", "9",
                             "--senders", "3", "--seconds", "3", "--fault-at", "1", "--drain", "3"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    figures = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in result.stdout.splitlines())
    assert int(figures["deliveries expected"].replace(",", "")) > 0
    assert (figures["lost"], figures["duplicated"], figures["reordered"]) == ("0", "0", "0")
