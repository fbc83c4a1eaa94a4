"""bin/bench fanout|connect|churn|history: measure geventchat (or --connect any IRC server) against the bare relay."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from . import churn, connect, fanout, history, launcher, procstat, report, seed, setups

REFERENCE = "relay"
COMPARED = (("geventchat", "relay"), ("server", "relay"), ("geventchat", "baseline"),
            ("geventchat-tls", "geventchat"), ("geventchat-tls", "baseline-tls"))
"""The ratios the tables show, mine/theirs, for the servers an invocation measures."""
Starter = Callable[[], launcher.Server]


class Parser(argparse.ArgumentParser):
    """Bad input is one line on stderr (status 2), not the usage text and then the error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"bench: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="bench", description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("scenario", choices=("fanout", "connect", "churn", "history"))
    p.add_argument("--connect", metavar="HOST:PORT", help="measure this running server (loopback) instead of geventchat")
    p.add_argument("--server-pid", type=_pids, default=[], metavar="PID[,PID...]",
                   help="pids of the --connect server (all its processes, summed), for its CPU and RSS")
    p.add_argument("--no-relay", action="store_true", help="skip the bare gevent relay reference")
    p.add_argument("--baseline", metavar="PATH",
                   help="also measure the geventchat of this checkout (an earlier revision), run by the same "
                        "Python with PYTHONPATH pointing there; ratios geventchat/baseline")
    p.add_argument("--server-args", metavar="ARGS", default="",
                   help="more flags for this checkout's geventchat, in one string (e.g. \"--history none\")")
    p.add_argument("--baseline-args", metavar="ARGS", default="",
                   help="more flags for the --baseline checkout's geventchat (e.g. the same --redis URL with "
                        "another --network, to compare two revisions of the network mode in one run)")
    p.add_argument("--variant", metavar="NAME=FLAGS", action="append", type=setups.variant, default=[],
                   help="also measure this checkout's geventchat with FLAGS added, in the tables as NAME, with "
                        "ratios NAME/geventchat (e.g. metrics=\"--metrics-port 0\"); repeatable")
    p.add_argument("--websocket", action="store_true",
                   help="also measure geventchat with its clients speaking IRC over WebSocket to its web "
                        "listener; ratios geventchat-ws/geventchat")
    p.add_argument("--channels", type=int, metavar="N",
                   help="fanout: also measure geventchat with --lobby none and its clients (senders too) spread "
                        "over N channels; ratios geventchat-Nch/geventchat")
    p.add_argument("--tls", action="store_true",
                   help="also measure geventchat with its clients on TLS (a throwaway certificate); "
                        "ratios TLS/plain")
    p.add_argument("--workers", type=int, default=2, help="load generator processes")
    p.add_argument("--json", metavar="FILE", help="write every figure as JSON")
    p.add_argument("--repeat", type=int, default=1, help="runs per server on fresh servers; figures are medians")
    p.add_argument("--join", action="store_true", help="send JOIN #lobby after 001 (servers without auto-join)")
    p.add_argument("--clients", help="fanout: room sizes, comma separated (default 100,1000); connect: count (10000)")
    p.add_argument("--senders", type=int, default=10, help="fanout: clients that talk")
    p.add_argument("--rate", type=float, help="fanout: paced msg/s (default: 20,000 deliveries/s, 200 msg/s at 100)")
    p.add_argument("--paced-seconds", type=float, default=5.0, help="fanout: length of the paced phase")
    p.add_argument("--flat-deliveries", type=int, default=5_000_000, help="fanout: lines in the flat-out phase")
    p.add_argument("--idle", type=float, default=20.0, help="connect: idle seconds before the alive check")
    p.add_argument("--cycles", type=int, default=20_000, help="churn: connect/QUIT cycles")
    p.add_argument("--rounds", type=int, default=10, help="churn: rounds (RSS read after each)")
    p.add_argument("--concurrency", type=int, default=100, help="churn: cycles in flight")
    p.add_argument("--history-lines", type=int, default=1_000_000,
                   help="history: lines in the lobby's history before the server starts")
    p.add_argument("--queries", type=int, default=300, help="history: CHATHISTORY requests of each kind")
    p.add_argument("--query-limit", type=int, default=100, help="history: lines each request asks for")
    p.add_argument("--load-clients", type=int, default=100,
                   help="history: clients in the lobby while the requests run; they talk at the fanout's paced rate")
    return p


def _pids(text: str) -> list[int]:
    try:
        return [int(pid) for pid in text.split(",") if pid]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of pids: {text!r}") from None


def _servers(args: argparse.Namespace, cpus: set[int], max_clients: int, extra: tuple[str, ...],
             checkouts: list[launcher.Checkout], tls: launcher.TlsSetup | None) -> list[Starter]:
    """How to start each server this invocation measures, in table order: relay, baseline, ours, variants."""
    starters: list[Starter] = []
    if not args.no_relay:
        starters.append(lambda: launcher.start_relay(cpus))
    if args.connect:
        starters.append(lambda: launcher.external(args.connect, args.server_pid))
        return starters
    for checkout in checkouts:
        starters.append(lambda c=checkout: launcher.start_geventchat(cpus, max_clients, extra, c))
        if tls is not None and "--tls-port" in checkout.flags and checkout.versus is None:
            starters.append(lambda c=checkout: launcher.start_geventchat(cpus, max_clients, extra, c, tls))
    return starters


def _run_once(starter: Starter, job: Callable[[launcher.Server], dict[str, Any]]) -> dict[str, Any]:
    server = starter()
    try:
        result = job(server)
        result["pinned"] = server.pinned
        return result
    finally:
        server.stop()


def _runs(starters: list[Starter], job: Callable[[launcher.Server], dict[str, Any]],
          repeat: int) -> list[dict[str, Any]]:
    """Each server `repeat` times, alternating, on a fresh server each time; medians per server."""
    results: list[list[dict[str, Any]]] = [[] for _ in starters]
    for _ in range(max(1, repeat)):
        for index, start in enumerate(starters):
            results[index].append(_run_once(start, job))
    return [report.median_run(runs) for runs in results]


PAIRS: list[tuple[str, str]] = []
"""This invocation's ratios besides COMPARED: each variant to what it varies (set by main)."""


def _ratios(runs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    names = {r["server"] for r in runs}
    return [(mine, theirs) for mine, theirs in [*COMPARED, *PAIRS] if mine in names and theirs in names]


def _sizes(args: argparse.Namespace) -> list[int]:
    """--clients as room sizes; ValueError (one line) for what cannot be measured."""
    try:
        sizes = [int(x) for x in (args.clients or "100,1000").split(",")]
    except ValueError:
        raise ValueError(f"--clients takes room sizes separated by commas, not {args.clients!r}") from None
    smallest = 2 * (args.channels or 1)
    if any(size < smallest for size in sizes):
        raise ValueError(f"--clients {args.clients}: each room needs at least 2 clients"
                         + (f", so {smallest} for --channels {args.channels}" if args.channels else ""))
    return sizes


def _check_history(args: argparse.Namespace) -> None:
    if args.history_lines < args.query_limit + 1 or args.queries < 1 or args.query_limit < 1:
        raise ValueError(f"history: --history-lines ({args.history_lines}) must exceed --query-limit "
                         f"({args.query_limit}), and --queries and --query-limit be at least 1")
    if args.load_clients < 2:
        raise ValueError(f"history: --load-clients must be at least 2, not {args.load_clients}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # bad flags are one error line before anything runs
    setups.check(args)
    if args.scenario in ("fanout", "history"):
        _sizes(args)
    if args.scenario == "history":
        _check_history(args)
    checkouts = setups.checkouts(args)
    PAIRS[:] = setups.pairs(checkouts)
    with tempfile.TemporaryDirectory(prefix="bench-files-") as folder:
        tls = launcher.TlsSetup.make(folder) if args.tls else None
        return _measure(args, checkouts, tls, folder)


def _measure(args: argparse.Namespace, checkouts: list[launcher.Checkout], tls: launcher.TlsSetup | None,
             folder: str) -> int:
    server_cpus, gen_cpus = procstat.cpu_split()
    procstat.pin(0, gen_cpus)
    info = report.machine()
    if args.repeat > 1:
        print(f"each server runs {args.repeat} times on a fresh process; figures are medians")
    print(f"machine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}, Python {info['python']}, "
          f"gevent {info['gevent']}; load average {info['loadavg'][0]:.2f}")
    print(f"server pinned to CPU {sorted(server_cpus)}, load generator ({args.workers} processes) "
          f"on CPU {sorted(gen_cpus)}; loopback only")
    if not args.connect:
        print(launcher.FLAGS_NOTE)
    else:
        print(f"{args.connect} is measured as it runs: not pinned, its limits as its operator set them"
              + ("" if args.server_pid else "; no --server-pid, so no server CPU or RSS"))
    for checkout in checkouts:
        if checkout.args:
            print(f"{checkout.name} also runs with {' '.join(checkout.args)}")
        if checkout.websocket:
            print(f"{checkout.name}: its clients speak IRC over WebSocket (text.ircv3.net, masked frames) to its "
                  "web listener")
        if checkout.channels:
            print(f"{checkout.name}: its clients JOIN #chan0..#chan{checkout.channels - 1} one after another, "
                  "the senders too")
        if checkout.name != "geventchat":
            missing = checkout.limits()[1]
            print(f"{checkout.name} is the geventchat in {checkout.root}, run by {sys.executable}"
                  + (f"; it does not know {', '.join(missing)}, so it runs without them" if missing else ""))
            if tls is not None and "--tls-port" not in checkout.flags:
                print(f"{checkout.name} has no TLS listener: measured over plain TCP only")
    if tls is not None:
        print("geventchat-tls: the same server measured through its TLS listener (a throwaway certificate); "
              "the relay stays plain TCP")
    out: dict[str, Any] = {"scenario": args.scenario, "machine": info, "note": launcher.FLAGS_NOTE,
                           "baseline": checkouts[0].root if args.baseline else None, "tls": tls is not None,
                           "runs": []}
    ours = args.connect and "server" or "geventchat"
    headlines: list[str] = []

    def servers(max_clients: int, extra: tuple[str, ...] = ()) -> list[Starter]:
        return _servers(args, server_cpus, max_clients, extra, checkouts, tls)

    def fanouts(configs: list[launcher.Checkout]) -> None:
        sizes = _sizes(args)
        launcher.raise_fd_limit(max(sizes) + 1000)
        for size in sizes:
            s = fanout.FanoutSettings(clients=size, senders=args.senders, rate=args.rate,
                                      paced_seconds=args.paced_seconds, flat_deliveries=args.flat_deliveries,
                                      workers=args.workers, join=args.join)
            runs = _runs(_servers(args, server_cpus, size + 100, (), configs, tls),
                         lambda srv: fanout.run(srv, dataclasses.replace(s, channels=srv.channels), gen_cpus),
                         args.repeat)
            out["runs"].extend(runs)
            print()
            print(report.table(f"fanout, {size} clients, {min(size, args.senders)} senders", report.FANOUT_ROWS,
                               runs, _ratios(runs)))
            headlines.append(_fanout_headline(runs, size, ours))

    if args.scenario == "fanout":
        fanouts(checkouts)
    elif args.scenario == "history":
        seeded = _seed(args, os.path.join(folder, "seed"))
        out["seed"] = seeded.as_dict()
        checkouts = [dataclasses.replace(c, seed=str(seeded.folder),
                                         args=c.args + ("--history-max-lines", str(2 * seeded.lines + 10**6)))
                     if c.name == ours else c for c in checkouts]
        on = next(c for c in checkouts if c.name == ours)
        print(f"{ours} starts on a copy of that data directory, and also runs with --history-max-lines "
              f"{on.args[-1]} (above what it holds, so no prune pass drops the filled lines)")
        hs = history.HistorySettings(queries=args.queries, limit=args.query_limit, load=fanout.FanoutSettings(
            clients=args.load_clients, senders=args.senders, rate=args.rate, workers=args.workers))
        launcher.raise_fd_limit(args.load_clients + 1000)
        runs = _runs([lambda: launcher.start_geventchat(server_cpus, args.load_clients + 100, (), on)],
                     lambda srv: history.latency(srv, hs, seeded, gen_cpus), args.repeat)
        out["history"] = runs
        load = hs.load
        print()
        print(report.table(f"history, CHATHISTORY over {seeded.lines:,} stored lines while {load.clients} clients "
                           f"in #lobby talk ({min(load.senders, load.clients)} senders)",
                           history.rows(args.query_limit), runs, []))
        fanouts(checkouts)
        mine = runs[0]
        headlines.insert(0, f"headline: history {seeded.lines:,} lines: CHATHISTORY LATEST * {args.query_limit} "
                            f"p99 {_num(mine['latest']['p99_ms'], '.2f')} ms (p50 "
                            f"{_num(mine['latest']['p50_ms'], '.2f')}), BEFORE msgid {args.query_limit} p99 "
                            f"{_num(mine['before']['p99_ms'], '.2f')} ms (p50 {_num(mine['before']['p50_ms'], '.2f')})"
                            f" with {load.clients} clients talking; {seeded.bytes_per_line:.0f} bytes on disk "
                            f"per stored line")
    elif args.scenario == "connect":
        count = int(args.clients or 10_000)
        launcher.raise_fd_limit(count + 1000)
        s = connect.ConnectSettings(clients=count, idle=args.idle, workers=args.workers, join=args.join)
        # PINGs every few seconds, so the idle period has some to answer; a long timeout,
        # since during the ramp a PING waits behind thousands of JOIN lines in each queue
        extra = ("--ping-interval", str(max(2.0, args.idle / 4)), "--ping-timeout", "60")
        if not args.connect:
            print(f"geventchat also runs with {' '.join(extra)}, so the idle period includes PINGs to answer")
        runs = _runs(servers(count + 100, extra), lambda srv: connect.run(srv, s, gen_cpus), args.repeat)
        out["runs"].extend(runs)
        print()
        print(report.table(f"connect, {count} clients, {args.idle:g} s idle", report.CONNECT_ROWS, runs,
                           _ratios(runs)))
        mine = _by_name(runs)[ours]
        headlines.append(
            f"headline: connect {count}: {ours} {_num(mine['rss_per_connection_kib'], '.1f')} KiB RSS "
            f"per connection{_versus(runs, ours, lambda r: r['rss_per_connection_kib'], '.1f', ' KiB')}, "
            f"{mine['registrations_per_s']:,.0f} registrations/s, all arrivals delivered in "
            f"{mine['settled_seconds']:.1f} s, alive after {args.idle:g} s idle: {mine['alive']}/{count}")
    else:
        s = churn.ChurnSettings(cycles=args.cycles, rounds=args.rounds, concurrency=args.concurrency,
                                workers=args.workers)
        launcher.raise_fd_limit(args.concurrency + 1000)
        runs = _runs(servers(args.concurrency + 100), lambda srv: churn.run(srv, s, gen_cpus), args.repeat)
        out["runs"].extend(runs)
        print()
        print(report.table(f"churn, {args.cycles} cycles in {args.rounds} rounds", report.CHURN_ROWS, runs,
                           _ratios(runs)))
        mine = _by_name(runs)[ours]

        def growth(r: dict[str, Any]) -> float | None:
            return None if r["rss_growth"] is None else r["rss_growth"] * 100

        headlines.append(
            f"headline: churn {mine['completed']}/{args.cycles} cycles, {ours} RSS growth first->last round "
            f"{_num(growth(mine), '+.2f')}%{_versus(runs, ours, growth, '+.2f', '%', ratio=False)}")
    if args.json:
        report.write_json(args.json, out)
        print(f"\nfigures written to {args.json}")
    print()
    print("\n".join(headlines))
    return 0


def _seed(args: argparse.Namespace, folder: str) -> seed.Seeded:
    """The filled data directory every history-keeping server of this run starts from."""
    print(f"\nfilling #lobby's history with {args.history_lines:,} lines ...", flush=True)
    seeded = seed.fill(Path(folder), args.history_lines, samples=args.queries, depth=args.query_limit,
                       max_lines=2 * args.history_lines + 10**6)
    print(f"history: {seeded.lines:,} lines stored in #lobby before the server starts (written in "
          f"{seeded.seconds:.1f} s through the server's SqliteHistory); {seeded.disk_bytes:,} bytes on disk after "
          f"a checkpoint: {seeded.bytes_per_line:.1f} bytes per stored line, for lines of "
          f"{seeded.line_bytes:.1f} bytes on average as relayed; one prune pass (nothing to drop) took "
          f"{seeded.prune_seconds * 1000:.0f} ms")
    return seeded


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _by_name(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["server"]: r for r in runs}


def _versus(runs: list[dict[str, Any]], ours: str, get: Callable[[dict[str, Any]], float | None], spec: str,
            unit: str, ratio: bool = True) -> str:
    """` (relay 0.126 us: 0.85x; baseline 0.105 us: 1.02x; over TLS 0.210 us: 1.96x)`: ours against the others."""
    named = _by_name(runs)
    mine = get(named[ours])
    parts = []
    for numerator, theirs in _ratios(runs):
        if numerator == ours:
            label, value, base = theirs, mine, get(named[theirs])
            shown = base
        elif theirs == ours:  # a variant of ours: over TLS, over WebSocket, in channels, --variant
            label = "over TLS" if numerator == ours + "-tls" else numerator
            value, base = get(named[numerator]), mine
            shown = value
        else:
            continue
        text = f"{label} {_num(shown, spec)}{unit}"
        if ratio and value is not None and base:
            text += f": {value / base:.2f}x"
        parts.append(text)
    return f" ({'; '.join(parts)})" if parts else ""


def _fanout_headline(runs: list[dict[str, Any]], size: int, ours: str) -> str:
    named = _by_name(runs)
    mine = named[ours]["flat"]
    text = (f"headline: fanout {size} clients flat out: {ours} {_num(mine['server_us_per_delivery'], '.3f')} us "
            f"server CPU per delivered line"
            f"{_versus(runs, ours, lambda r: r['flat']['server_us_per_delivery'], '.3f', ' us')}, "
            f"{mine['deliveries_per_s']:,.0f} deliveries/s")
    ref = named.get(REFERENCE)
    if ref is not None and ref["flat"]["deliveries_per_s"]:
        text += f" ({mine['deliveries_per_s'] / ref['flat']['deliveries_per_s']:.0%} of the relay's)"
    loss = max(r["flat"]["loss"] + r["paced"]["loss"] for r in runs)
    return text + f", loss {loss} (worst of all servers), paced p99 {_num(named[ours]['paced']['p99_ms'], '.2f')} ms"


def run_main() -> int:
    """main() with a measurement that cannot go on (a server that refused clients, died,
    or is not there) reported in one line, not a traceback."""
    try:
        return main()
    except (RuntimeError, OSError, ValueError) as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run_main())
