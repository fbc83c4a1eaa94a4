"""bin/bench fanout|connect|churn: measure geventchat (or --connect any IRC server) against the bare relay."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import tempfile
from typing import Any, Callable

from . import churn, connect, fanout, launcher, procstat, report

REFERENCE = "relay"
COMPARED = (("geventchat", "relay"), ("server", "relay"), ("geventchat", "baseline"),
            ("geventchat-tls", "geventchat"), ("geventchat-tls", "baseline-tls"))
"""The ratios the tables show, mine/theirs, for the servers an invocation measures."""
Starter = Callable[[], launcher.Server]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench", description=__doc__,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("scenario", choices=("fanout", "connect", "churn"))
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
    return p


def _pids(text: str) -> list[int]:
    try:
        return [int(pid) for pid in text.split(",") if pid]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of pids: {text!r}") from None


def _servers(args: argparse.Namespace, cpus: set[int], max_clients: int, extra: tuple[str, ...],
             checkouts: list[launcher.Checkout], tls: launcher.TlsSetup | None) -> list[Starter]:
    """How to start each server this invocation measures, in table order: relay, baseline, ours."""
    starters: list[Starter] = []
    if not args.no_relay:
        starters.append(lambda: launcher.start_relay(cpus))
    if args.connect:
        starters.append(lambda: launcher.external(args.connect, args.server_pid))
        return starters
    for checkout in checkouts:
        starters.append(lambda c=checkout: launcher.start_geventchat(cpus, max_clients, extra, c))
        if tls is not None and "--tls-port" in checkout.flags:
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


def _ratios(runs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    names = {r["server"] for r in runs}
    return [(mine, theirs) for mine, theirs in COMPARED if mine in names and theirs in names]


def _checkouts(args: argparse.Namespace) -> list[launcher.Checkout]:
    """The geventchat checkouts to run: the baseline first (if any), then this one."""
    if args.connect:
        return []
    checkouts = [launcher.this_checkout()]
    if args.server_args:
        checkouts[0] = dataclasses.replace(checkouts[0], args=tuple(shlex.split(args.server_args)))
    if args.baseline:
        baseline = launcher.Checkout.load(args.baseline, "baseline")
        checkouts.insert(0, dataclasses.replace(baseline, args=tuple(shlex.split(args.baseline_args))))
    return checkouts


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.connect and (args.baseline or args.tls or args.server_args):
        parser.error("--baseline, --tls and --server-args start geventchat here; they do not go with --connect")
    if args.baseline_args and not args.baseline:
        parser.error("--baseline-args are flags for the --baseline checkout: give --baseline PATH too")
    checkouts = _checkouts(args)  # a bad --baseline is one error line before anything runs
    with tempfile.TemporaryDirectory(prefix="bench-tls-") as folder:
        tls = launcher.TlsSetup.make(folder) if args.tls else None
        return _measure(args, checkouts, tls)


def _measure(args: argparse.Namespace, checkouts: list[launcher.Checkout], tls: launcher.TlsSetup | None) -> int:
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

    if args.scenario == "fanout":
        sizes = [int(x) for x in (args.clients or "100,1000").split(",")]
        launcher.raise_fd_limit(max(sizes) + 1000)
        for size in sizes:
            s = fanout.FanoutSettings(clients=size, senders=args.senders, rate=args.rate,
                                      paced_seconds=args.paced_seconds, flat_deliveries=args.flat_deliveries,
                                      workers=args.workers, join=args.join)
            runs = _runs(servers(size + 100), lambda srv: fanout.run(srv, s, gen_cpus), args.repeat)
            out["runs"].extend(runs)
            print()
            print(report.table(f"fanout, {size} clients, {min(size, args.senders)} senders", report.FANOUT_ROWS,
                               runs, _ratios(runs)))
            headlines.append(_fanout_headline(runs, size, ours))
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
        elif theirs == ours and numerator == ours + "-tls":
            label, value, base = "over TLS", get(named[numerator]), mine
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
