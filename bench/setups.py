"""Which geventchat configurations one invocation runs, from its flags, each checked before anything starts.

This checkout's geventchat is always one (with --server-args); --baseline
adds another checkout's (with --baseline-args); --variant NAME=FLAGS, --websocket and --channels
add this checkout again, changed in one respect each, and each is shown as a
ratio to the plain one. `bin/bench history` runs this checkout twice:
with `--history none`, and with history kept on a filled store.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shlex

from . import launcher

NAME = re.compile(r"[a-z][a-z0-9-]*\Z")
TAKEN = ("relay", "server", "baseline", "geventchat", "history-none")
OURS = "geventchat"
NO_HISTORY = "history-none"


def variant(text: str) -> tuple[str, tuple[str, ...]]:
    """`NAME=FLAGS` -> (NAME, the flags split as a shell would); argparse's type for --variant."""
    name, sep, flags = text.partition("=")
    if not sep or not NAME.match(name):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not NAME=FLAGS (a lower-case name, then the flags it adds: metrics=\"--metrics-port 0\")")
    try:
        return name, tuple(shlex.split(flags))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--variant {name}: {error}") from None


def check(args: argparse.Namespace) -> None:
    """Flags that do not go together, as one ValueError line."""
    if args.channels is not None:
        if args.channels < 1:
            raise ValueError(f"--channels must be at least 1, not {args.channels}")
        if args.scenario != "fanout":
            raise ValueError("--channels goes with fanout")
    here = (("--baseline", args.baseline), ("--baseline-args", args.baseline_args), ("--tls", args.tls),
            ("--server-args", args.server_args), ("--variant", args.variant), ("--websocket", args.websocket),
            ("--channels", args.channels))
    if args.baseline_args and not args.baseline:
        raise ValueError("--baseline-args are flags for the --baseline checkout: give --baseline PATH too")
    if args.connect and any(value for _, value in here):
        used = ", ".join(flag for flag, value in here if value)
        raise ValueError(f"{used} start geventchat here; they do not go with --connect")
    if args.scenario == "history":
        odd = [flag for flag, value in here if value and flag != "--server-args"]
        if odd or args.connect:
            raise ValueError(f"history runs this checkout with and without history; it does not take "
                             f"{', '.join(odd or ['--connect'])} (fanout, connect and churn do)")
    names = [name for name, _ in args.variant]
    for name in names:
        if name in TAKEN or name.endswith("-tls") or name.startswith(OURS + "-") or names.count(name) > 1:
            raise ValueError(f"--variant {name}: the name is taken (by another variant or a server the bench "
                             f"names itself: {', '.join(TAKEN)}, geventchat-..., ...-tls)")


def checkouts(args: argparse.Namespace) -> list[launcher.Checkout]:
    """The geventchat configurations to run, in table order; ValueError (one line) for a bad one."""
    if args.connect:
        return []
    ours = dataclasses.replace(launcher.this_checkout(), args=_split(args.server_args, "--server-args"))
    _known(ours, ours.args, "--server-args")
    if args.scenario == "history":
        return [dataclasses.replace(ours, name=NO_HISTORY, args=ours.args + ("--history", "none")),
                dataclasses.replace(ours, versus=NO_HISTORY)]
    out = [ours]
    if args.baseline:
        baseline = launcher.Checkout.load(args.baseline, "baseline")
        out.insert(0, dataclasses.replace(baseline, args=_split(args.baseline_args, "--baseline-args")))
    for name, flags in args.variant:
        _known(ours, flags, f"--variant {name}")
        out.append(dataclasses.replace(ours, name=name, args=ours.args + flags, versus=OURS))
    if args.websocket:
        _known(ours, ("--web-port",), "--websocket")
        out.append(dataclasses.replace(ours, name=OURS + "-ws", websocket=True, versus=OURS))
    if args.channels:
        _known(ours, ("--lobby",), "--channels")
        out.append(dataclasses.replace(ours, name=f"{OURS}-{args.channels}ch", args=ours.args + ("--lobby", "none"),
                                       channels=args.channels, versus=OURS))
    return out


def _split(flags: str, where: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(flags))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _known(checkout: launcher.Checkout, flags: tuple[str, ...], where: str) -> None:
    unknown = checkout.unknown(flags)
    if unknown:
        raise ValueError(f"{where}: this geventchat does not know {', '.join(unknown)} (see bin/chat-server --help)")


def pairs(configs: list[launcher.Checkout]) -> list[tuple[str, str]]:
    """The ratios the variants add: each one to the configuration it varies."""
    return [(c.name, c.versus) for c in configs if c.versus]
