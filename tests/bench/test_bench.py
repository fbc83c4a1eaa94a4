"""Each benchmark scenario at a tiny size against a real server: exact counts, zero loss.

No timing is asserted: these tests check that the generator counts right, so
that the figures it prints at full size can be trusted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import churn, connect, fanout, launcher
from tests.support.needs import missing
from tests.support.client import IrcClient

CPUS = os.sched_getaffinity(0)  # no pinning here: other tests share the machine
ROOT = Path(__file__).resolve().parents[2]
TINY_FANOUT = ("--clients", "6", "--senders", "2", "--paced-seconds", "0.1", "--flat-deliveries", "250",
               "--workers", "1")


@pytest.fixture
def start(tmp_path):
    started: list[launcher.Server] = []

    def make(kind: str, *extra: str) -> launcher.Server:
        if kind == "relay":
            server = launcher.start_relay(CPUS)
        elif kind == "geventchat-tls":
            server = launcher.start_geventchat(CPUS, 500, extra, tls=launcher.TlsSetup.make(str(tmp_path)))
        else:
            server = launcher.start_geventchat(CPUS, 500, extra)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def baseline(tmp_path) -> Path:
    """Another checkout: a copy of this one's server code that says its own version."""
    root = tmp_path / "baseline"
    shutil.copytree(ROOT / "geventchat", root / "geventchat", ignore=shutil.ignore_patterns("__pycache__"))
    init = root / "geventchat" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "0.0.1+baseline-'))
    return root


@pytest.mark.parametrize("kind", ["geventchat", "geventchat-tls", "relay"])
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


@pytest.mark.parametrize("kind", ["geventchat", "geventchat-tls", "relay"])
def test_churn_completes_every_cycle(start, kind):
    server = start(kind)
    result = churn.run(server, churn.ChurnSettings(cycles=300, rounds=3, concurrency=12), CPUS)
    assert result["completed"] == 300 and result["failed"] == 0
    assert len(result["rss_rounds_kib"]) == 3


def test_geventchat_keeps_its_data_in_a_throwaway_directory(start):
    server = start("geventchat")
    assert server.data_dir is not None and os.path.isdir(server.data_dir)
    assert server.child.argv[-2:] == ["--data-dir", server.data_dir]
    server.stop()
    assert not os.path.exists(server.data_dir)


def test_the_baseline_runs_the_other_checkouts_code(baseline):
    checkout = launcher.Checkout.load(str(baseline), "baseline")
    server = launcher.start_geventchat(CPUS, 50, checkout=checkout)
    try:
        client = IrcClient((server.host, server.port)).register("probe")
        assert any(" 002 probe :Your host is geventchat.bench, running version geventchat-0.0.1+baseline-"
                   in line for line in client.seen), client.seen
        client.close()
        result = fanout.run(server, fanout.FanoutSettings(clients=5, senders=2, rate=200.0, paced_seconds=0.05,
                                                          paced_min_messages=4, flat_deliveries=200), CPUS)
        for phase in (result["paced"], result["flat"]):
            assert phase["received"] == phase["expected"] == phase["messages"] * 4 and phase["loss"] == 0
    finally:
        server.stop()


def test_an_older_checkout_runs_without_the_limit_flags_it_does_not_know():
    old = launcher.Checkout("/old", "baseline", frozenset({"--port", "--flood-burst", "--flood-rate",
                                                           "--flood-backlog", "--max-per-ip", "--sendq"}))
    argv, missing = old.limits()
    assert missing == ["--ping-flood-burst", "--ping-flood-rate", "--log-level"]
    assert argv == ["--flood-burst", "1000000", "--flood-rate", "1000000", "--flood-backlog", "1000000",
                    "--max-per-ip", "1000000", "--sendq", str(16 * 1024 * 1024)]


def test_not_a_checkout_is_one_error_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bench", "fanout", "--baseline", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert run.returncode == 1
    assert run.stderr == f"bench: error: {tmp_path} is not a geventchat checkout (no geventchat/__init__.py)\n"


def test_one_run_measures_relay_baseline_and_geventchat_over_plain_and_tls(baseline, tmp_path):
    """bin/bench fanout --baseline PATH --tls: each server, each over TLS where it can, exact counts, the ratios."""
    out = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, "-m", "bench", "fanout", *TINY_FANOUT, "--baseline", str(baseline),
                          "--tls", "--server-args", "--history none", "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "geventchat also runs with --history none" in run.stdout.splitlines()
    runs = json.loads(out.read_text())["runs"]
    assert [r["server"] for r in runs] == ["relay", "baseline", "baseline-tls", "geventchat", "geventchat-tls"]
    for result in runs:
        for phase in (result["paced"], result["flat"]):
            assert phase["received"] == phase["expected"] == phase["messages"] * 5
            assert phase["loss"] == 0 and phase["closed_by_server"] == 0
    header = next(line for line in run.stdout.splitlines() if line.startswith("fanout, 6 clients"))
    assert re.split(r"\s{2,}", header.strip())[1:] == [
        "relay", "baseline", "baseline-tls", "geventchat", "geventchat-tls",
        "geventchat/relay", "geventchat/baseline", "geventchat-tls/geventchat", "geventchat-tls/baseline-tls"]
    headline = run.stdout.splitlines()[-1]
    assert headline.startswith("headline: fanout 6 clients flat out: geventchat ")
    assert "; baseline " in headline and "; over TLS " in headline and "loss 0" in headline


def test_the_baseline_gets_its_own_flags(baseline):
    """--baseline-args reach the baseline alone, --server-args this checkout alone (a network mode
    compared across revisions: the same Redis, one --network each)."""
    from bench import setups
    from bench.__main__ import build_parser

    args = build_parser().parse_args(["fanout", "--baseline", str(baseline), "--baseline-args", "--network before",
                                      "--server-args", "--network after --history none"])
    before, after = setups.checkouts(args)
    assert (before.name, before.args) == ("baseline", ("--network", "before"))
    assert after.args == ("--network", "after", "--history", "none")


def test_faults_tool_counts_every_delivery_across_a_redis_restart():
    """bench/faults.py at a tiny size: three nodes, a Redis restart, exact counts, everything stopped."""
    import re
    import shutil
    import subprocess
    import sys

    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    result = subprocess.run([sys.executable, "-m", "bench.faults", "redis-restart:0.5", "--clients", "9",
                             "--senders", "3", "--seconds", "3", "--fault-at", "1", "--drain", "3"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    figures = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in result.stdout.splitlines())
    assert int(figures["deliveries expected"].replace(",", "")) > 0
    assert (figures["lost"], figures["duplicated"], figures["reordered"]) == ("0", "0", "0")


def test_channels_tool_times_a_change_across_nodes_and_both_kinds_of_join():
    """bench/channels.py at a tiny size: two nodes, every figure printed, everything stopped."""
    import re
    import shutil
    import subprocess
    import sys

    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    result = subprocess.run([sys.executable, "-m", "bench.channels", "--rounds", "5"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if re.search(r"\d+\.\d\d\s+\d+\.\d\d$", line)]
    assert [re.split(r"\s{2,}", row)[0] for row in rows] == [
        "MODE +b/-b on n1: echoed to the operator on n1", "MODE +b/-b on n1: seen by a member on n2",
        "JOIN on n2 of a channel that exists nowhere (claim)", "JOIN on n2 of a channel made on n1 (known there)"]
