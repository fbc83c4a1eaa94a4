"""bin/bench fanout|connect|churn: measure geventchat (or --connect any IRC server) against the bare relay."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Callable

from . import churn, connect, fanout, launcher, procstat, report

REFERENCE = "relay"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench", description=__doc__,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("scenario", choices=("fanout", "connect", "churn"))
    p.add_argument("--connect", metavar="HOST:PORT", help="measure this running server (loopback) instead of geventchat")
    p.add_argument("--server-pid", type=_pids, default=[], metavar="PID[,PID...]",
                   help="pids of the --connect server (all its processes, summed), for its CPU and RSS")
    p.add_argument("--no-relay", action="store_true", help="skip the bare gevent relay reference")
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


def _servers(args: argparse.Namespace, cpus: set[int], max_clients: int, extra: tuple[str, ...]
             ) -> list[Callable[[], launcher.Server]]:
    starters: list[Callable[[], launcher.Server]] = []
    if not args.no_relay:
        starters.append(lambda: launcher.start_relay(cpus))
    if args.connect:
        starters.append(lambda: launcher.external(args.connect, args.server_pid))
    else:
        starters.append(lambda: launcher.start_geventchat(cpus, max_clients, extra))
    return starters


def _run_once(starter: Callable[[], launcher.Server], job: Callable[[launcher.Server], dict[str, Any]]
              ) -> dict[str, Any]:
    server = starter()
    try:
        result = job(server)
        result["pinned"] = server.pinned
        return result
    finally:
        server.stop()


def _runs(starters: list[Callable[[], launcher.Server]], job: Callable[[launcher.Server], dict[str, Any]],
          repeat: int) -> list[dict[str, Any]]:
    """Each server `repeat` times, alternating, on a fresh server each time; medians per server."""
    results: list[list[dict[str, Any]]] = [[] for _ in starters]
    for _ in range(max(1, repeat)):
        for index, start in enumerate(starters):
            results[index].append(_run_once(start, job))
    return [report.median_run(runs) for runs in results]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
    out: dict[str, Any] = {"scenario": args.scenario, "machine": info, "note": launcher.FLAGS_NOTE, "runs": []}
    ours = args.connect and "server" or "geventchat"
    headline = ""
    if args.scenario == "fanout":
        sizes = [int(x) for x in (args.clients or "100,1000").split(",")]
        launcher.raise_fd_limit(max(sizes) + 1000)
        for size in sizes:
            s = fanout.FanoutSettings(clients=size, senders=args.senders, rate=args.rate,
                                      paced_seconds=args.paced_seconds, flat_deliveries=args.flat_deliveries,
                                      workers=args.workers, join=args.join)
            runs = _runs(_servers(args, server_cpus, size + 100, ()), lambda srv: fanout.run(srv, s, gen_cpus),
                         args.repeat)
            out["runs"].extend(runs)
            print()
            print(report.table(f"fanout, {size} clients, {min(size, args.senders)} senders", report.FANOUT_ROWS,
                               runs, None if args.no_relay else REFERENCE))
            headline = _fanout_headline(runs, size, ours)
    elif args.scenario == "connect":
        count = int(args.clients or 10_000)
        launcher.raise_fd_limit(count + 1000)
        s = connect.ConnectSettings(clients=count, idle=args.idle, workers=args.workers, join=args.join)
        # PINGs every few seconds, so the idle period has some to answer; a long timeout,
        # since during the ramp a PING waits behind thousands of JOIN lines in each queue
        extra = ("--ping-interval", str(max(2.0, args.idle / 4)), "--ping-timeout", "60")
        if not args.connect:
            print(f"geventchat also runs with {' '.join(extra)}, so the idle period includes PINGs to answer")
        runs = _runs(_servers(args, server_cpus, count + 100, extra), lambda srv: connect.run(srv, s, gen_cpus),
                     args.repeat)
        out["runs"].extend(runs)
        print()
        print(report.table(f"connect, {count} clients, {args.idle:g} s idle", report.CONNECT_ROWS, runs,
                           None if args.no_relay else REFERENCE))
        mine = runs[-1]
        headline = (f"headline: connect {count}: {ours} {_num(mine['rss_per_connection_kib'], '.1f')} KiB RSS "
                    f"per connection{_vs(runs, lambda r: r['rss_per_connection_kib'], '.1f', ' KiB')}, "
                    f"{mine['registrations_per_s']:,.0f} registrations/s, all arrivals delivered in "
                    f"{mine['settled_seconds']:.1f} s, alive after {args.idle:g} s idle: {mine['alive']}/{count}")
    else:
        s = churn.ChurnSettings(cycles=args.cycles, rounds=args.rounds, concurrency=args.concurrency,
                                workers=args.workers)
        launcher.raise_fd_limit(args.concurrency + 1000)
        runs = _runs(_servers(args, server_cpus, args.concurrency + 100, ()), lambda srv: churn.run(srv, s, gen_cpus),
                     args.repeat)
        out["runs"].extend(runs)
        print()
        print(report.table(f"churn, {args.cycles} cycles in {args.rounds} rounds", report.CHURN_ROWS, runs,
                           None if args.no_relay else REFERENCE))
        mine = runs[-1]
        growth = mine["rss_growth"]
        headline = (f"headline: churn {mine['completed']}/{args.cycles} cycles, {ours} RSS growth first->last round "
                    f"{_num(None if growth is None else growth * 100, '+.2f')}%"
                    f"{_vs(runs, lambda r: None if r['rss_growth'] is None else r['rss_growth'] * 100, '+.2f', '%')}")
    if args.json:
        report.write_json(args.json, out)
        print(f"\nfigures written to {args.json}")
    print()
    print(headline)
    return 0


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _vs(runs: list[dict[str, Any]], get: Callable[[dict[str, Any]], float | None], spec: str, unit: str) -> str:
    ref = next((r for r in runs if r["server"] == REFERENCE), None)
    if ref is None or ref is runs[-1]:
        return ""
    mine, base = get(runs[-1]), get(ref)
    ratio = f", {mine / base:.2f}x" if mine is not None and base else ""
    return f" (relay {_num(base, spec)}{unit}{ratio})"


def _fanout_headline(runs: list[dict[str, Any]], size: int, ours: str) -> str:
    mine = runs[-1]["flat"]
    text = (f"headline: fanout {size} clients flat out: {ours} {_num(mine['server_us_per_delivery'], '.3f')} us "
            f"server CPU per delivered line{_vs(runs, lambda r: r['flat']['server_us_per_delivery'], '.3f', ' us')}, "
            f"{mine['deliveries_per_s']:,.0f} deliveries/s")
    ref = next((r for r in runs if r["server"] == REFERENCE), None)
    if ref is not None and ref is not runs[-1] and ref["flat"]["deliveries_per_s"]:
        text += f" ({mine['deliveries_per_s'] / ref['flat']['deliveries_per_s']:.0%} of the relay's)"
    return text + f", loss {mine['loss']}, paced p99 {_num(runs[-1]['paced']['p99_ms'], '.2f')} ms"


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
