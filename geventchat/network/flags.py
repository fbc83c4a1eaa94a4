"""The command-line flags of a network node, and their usage errors.

Imports nothing heavy: `chat-server --help` must work without redis-py.
"""

from __future__ import annotations

import argparse

from ..argtypes import positive
from ..config import Config
from .records import NODE_NAME


def _node_name(text: str) -> str:
    if not NODE_NAME.match(text):
        raise argparse.ArgumentTypeError(f"node names use letters, digits, '.', '_' and '-': {text!r}")
    return text


def add_flags(p: argparse.ArgumentParser, d: Config) -> None:
    g = p.add_argument_group("network (several processes or machines as one chat, over Redis)")
    g.add_argument("--redis", metavar="URL", default=None,
                   help="be a node of the chat shared through this Redis, e.g. redis://127.0.0.1:6379/0")
    g.add_argument("--node-name", type=_node_name, default=None, metavar="NAME",
                   help="this node's name in uids, keys and netsplit reasons; unset: SERVER_NAME-PID")
    g.add_argument("--node-timeout", type=positive(float), metavar="SECONDS", default=d.node_timeout,
                   help="seconds without a heartbeat before a node's users are announced as split off")
    g.add_argument("--redis-retry-max", type=positive(float), metavar="SECONDS", default=d.redis_retry_max,
                   help="longest pause between attempts to reconnect to Redis")
    g.add_argument("--workers", type=positive(int), metavar="N", default=d.workers,
                   help="processes sharing the port with SO_REUSEPORT (above 1 needs --redis)")
    g.add_argument("--reuse-port", action="store_true", help="set SO_REUSEPORT on the listening socket")


def check(p: argparse.ArgumentParser, values: dict) -> None:
    """Usage errors that involve more than one flag (exit 2 with the usage line)."""
    if values["workers"] > 1 and not values["redis"]:
        p.error("--workers above 1 needs --redis URL: the workers share one chat through Redis")
    if values["node_timeout"] < 2 * values["redis_retry_max"]:
        p.error("--node-timeout must be at least twice --redis-retry-max, or a Redis restart would split live nodes")
    if values["redis"] and not values["redis"].startswith(("redis://", "rediss://", "unix://")):
        p.error(f"--redis takes a URL like redis://HOST:PORT/DB, not {values['redis']!r}")
