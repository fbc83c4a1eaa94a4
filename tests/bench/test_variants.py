"""fanout over channels and over WebSocket, --variant, bin/bench history: tiny sizes, exact counts.

No timing is asserted: what is checked is that every line the generator
expects is the line the server was asked to deliver, so the figures printed
at full size count the right thing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import churn, fanout, launcher, seed
from geventchat.core.history import NO_REF, Ref
from geventchat.store.sqlite import SqliteHistory

CPUS = os.sched_getaffinity(0)  # no pinning here: other tests share the machine
ROOT = Path(__file__).resolve().parents[2]
TINY = ("--senders", "2", "--paced-seconds", "0.1", "--flat-deliveries", "200", "--workers", "2", "--rate", "100")


@pytest.fixture
def start():
    started: list[launcher.Server] = []

    def make(**changes) -> launcher.Server:
        checkout = dataclasses.replace(launcher.this_checkout(), **changes)
        server = launcher.start_geventchat(CPUS, 500, (), checkout)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def bench(*argv: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_channels_count_what_each_channel_was_sent(start):
    """10 clients over 3 channels (4, 3, 3 members), 4 senders: #chan0 has two, the others one each."""
    server = start(name="geventchat-3ch", args=("--lobby", "none"), channels=3)
    settings = fanout.FanoutSettings(clients=10, senders=4, channels=3, rate=100.0, paced_seconds=0.1,
                                     paced_min_messages=8, flat_deliveries=300, probes=3)
    assert fanout.rooms(settings) == ["#chan0", "#chan1", "#chan2", "#chan0"]
    result = fanout.run(server, settings, CPUS)
    for phase in (result["paced"], result["flat"]):
        per_sender = phase["messages"] // 4
        # #chan0: 2 senders to 3 others each; #chan1 and #chan2: 1 sender to 2 others
        assert phase["expected"] == per_sender * (2 * 3 + 2 + 2)
        assert phase["received"] == phase["expected"] and phase["loss"] == 0 and phase["closed_by_server"] == 0


def test_websocket_clients_count_every_delivery(start):
    server = start(name="geventchat-ws", websocket=True)
    assert server.websocket
    settings = fanout.FanoutSettings(clients=8, senders=2, rate=100.0, paced_seconds=0.05, paced_min_messages=6,
                                     flat_deliveries=700, probes=2)
    result = fanout.run(server, settings, CPUS)
    paced, flat = result["paced"], result["flat"]
    assert paced["messages"] == 6 and flat["messages"] == 2 * 50
    for phase in (paced, flat):
        assert phase["received"] == phase["expected"] == phase["messages"] * 7 and phase["loss"] == 0
    assert paced["samples"] == 6 * 2


def test_websocket_churn_completes_every_cycle(start):
    result = churn.run(start(name="geventchat-ws", websocket=True),
                       churn.ChurnSettings(cycles=60, rounds=2, concurrency=6), CPUS)
    assert result["completed"] == 60 and result["failed"] == 0


def test_one_run_adds_a_variant_websocket_clients_and_channels(tmp_path):
    out = tmp_path / "figures.json"
    run = bench("fanout", "--clients", "8", *TINY, "--no-relay", "--channels", "2", "--websocket",
                "--variant", "metrics=--metrics-port 0", "--json", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "metrics also runs with --metrics-port 0" in run.stdout.splitlines()
    runs = json.loads(out.read_text())["runs"]
    assert [r["server"] for r in runs] == ["geventchat", "metrics", "geventchat-ws", "geventchat-2ch"]
    for result in runs:
        reach = 3 if result["server"] == "geventchat-2ch" else 7  # 2 channels of 4, or all 8 in the lobby
        for phase in (result["paced"], result["flat"]):
            assert phase["received"] == phase["expected"] == phase["messages"] * reach and phase["loss"] == 0
    header = next(line for line in run.stdout.splitlines() if line.startswith("fanout, 8 clients"))
    assert re.split(r"\s{2,}", header.strip())[1:] == [
        "geventchat", "metrics", "geventchat-ws", "geventchat-2ch",
        "metrics/geventchat", "geventchat-ws/geventchat", "geventchat-2ch/geventchat"]
    headline = run.stdout.splitlines()[-1]
    assert "(metrics " in headline and "; geventchat-ws " in headline and "; geventchat-2ch " in headline


def test_history_asks_over_a_filled_store_and_compares_history_kept_or_not(tmp_path):
    out = tmp_path / "figures.json"
    run = bench("history", "--history-lines", "300", "--queries", "4", "--query-limit", "20", "--load-clients", "4",
                "--clients", "4", *TINY, "--no-relay", "--json", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(out.read_text())
    assert figures["seed"]["lines"] == 300 and figures["seed"]["disk_bytes"] > 0
    (asked,) = figures["history"]
    assert asked["server"] == "geventchat" and asked["requests"] == asked["under_load"] == 8
    for kind in ("latest", "before"):
        assert asked[kind]["requests"] == 4 and asked[kind]["lines_min"] == asked[kind]["lines_max"] == 20
    assert asked["load"]["received"] == asked["load"]["expected"] > 0 and asked["load"]["loss"] == 0
    assert [r["server"] for r in figures["runs"]] == ["history-none", "geventchat"]
    for result in figures["runs"]:
        for phase in (result["paced"], result["flat"]):
            assert phase["received"] == phase["expected"] == phase["messages"] * 3 and phase["loss"] == 0
    assert "geventchat/history-none" in run.stdout
    assert run.stdout.splitlines()[-2].startswith("headline: history 300 lines: CHATHISTORY LATEST * 20 p99 ")


def test_a_filled_store_holds_every_line_in_order_and_msgids_with_enough_before_them(tmp_path):
    filled = seed.fill(tmp_path, 250, samples=5, depth=100)
    assert len(filled.samples) == 5 and filled.bytes_per_line == filled.disk_bytes / 250
    assert sorted(os.listdir(tmp_path)) == ["history.sqlite3"]  # checkpointed: no WAL left
    store = SqliteHistory(tmp_path / seed.FILE, max_age=30 * 86400, max_lines=10**6)
    try:
        latest = store.latest("#lobby", NO_REF, 300)
        assert len(latest) == 250 and [e.time for e in latest] == sorted(e.time for e in latest)
        for msgid in filled.samples:
            assert len(store.before("#lobby", Ref(msgid=msgid), 100)) == 100
    finally:
        store.close()


@pytest.mark.parametrize("argv, error", [
    (["fanout", "--variant", "metrics"], "argument --variant: 'metrics' is not NAME=FLAGS"),
    (["fanout", "--variant", "geventchat=--history none"], "--variant geventchat: the name is taken"),
    (["fanout", "--variant", "m=--no-such-flag 1"], "--variant m: this geventchat does not know --no-such-flag"),
    (["fanout", "--channels", "0"], "--channels must be at least 1, not 0"),
    (["fanout", "--channels", "3", "--clients", "100,4"], "--clients 100,4: each room needs at least 2 clients, so 6"),
    (["connect", "--channels", "2"], "--channels goes with fanout"),
    (["history", "--tls"], "history runs this checkout with and without history; it does not take --tls (fanout"),
    (["fanout", "--connect", "127.0.0.1:1", "--websocket"], "--websocket start geventchat here"),
])
def test_bad_flags_are_one_error_line(argv, error):
    run = bench(*argv, timeout=60)
    assert run.returncode in (1, 2) and run.stdout == ""
    assert run.stderr.startswith(f"bench: error: {error}") and run.stderr.count("\n") == 1, run.stderr
