"""chat-server: command line -> Config, logging, signals, run until told to stop."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sqlite3
import sys

from . import __version__, argtypes
from .config import Config, flag_of, sections_of
from .network import flags as network_flags

_METAVARS = {argtypes.count: "N", argtypes.seconds: "SECONDS"}


def _help(f: dataclasses.Field) -> str:
    """The field's help with its default, said once (argparse's own default display would say None)."""
    meta = f.metadata
    shown = meta.get("shown")
    if shown is None and f.default is not dataclasses.MISSING and f.default not in (None, False, ()):
        shown = str(f.default)
    return f"{meta['help']} (default: {shown})" if shown else meta["help"]


def build_parser() -> argparse.ArgumentParser:
    """Every flag comes from a Config field: its name, type, help and default are written there."""
    p = argparse.ArgumentParser(
        prog="chat-server",
        description="geventchat: an IRC chat server where everyone meets in one lobby.",
    )
    p.add_argument("--version", action="version", version=f"geventchat {__version__}")
    for _, kind, fields in sections_of():
        group = p.add_argument_group(kind.__doc__.splitlines()[0].rstrip("."))
        for f, dest in fields:
            meta = f.metadata
            options = {"dest": dest, "default": argparse.SUPPRESS, "help": _help(f)}
            if f.type in ("bool", bool):
                options["action"] = "store_false" if f.default else "store_true"
            else:
                if str(f.type).startswith("tuple"):
                    options["action"] = "append"
                options["type"] = meta.get("parse") or str
                options["metavar"] = meta.get("metavar") or _METAVARS.get(options["type"], dest.upper())
            group.add_argument(flag_of(f), **options)
    return p


def config_from_args(argv: list[str] | None = None) -> Config:
    """Flags -> Config; a usage error (exit 2) for bad values and bad combinations."""
    parser = build_parser()
    values = vars(parser.parse_args(argv))  # only what was given: every default is Config's
    for key, value in values.items():
        if isinstance(value, list):
            values[key] = tuple(value)
    config = Config.from_flags(**values)
    for problem in usage_problems(config):
        parser.error(problem)
    return config


def usage_problems(config: Config) -> list[str]:
    """Settings that cannot go together, each said with what to do instead."""
    problems = network_flags.problems(config)
    listeners = config.listeners
    if listeners.tls_port is not None and not listeners.tls_cert:
        problems.append(
            "--tls-port needs --tls-cert PATH (and --tls-key PATH unless the key is in that file); "
            "to make a self-signed pair for a test: openssl req -x509 -newkey rsa:2048 -nodes -days 365 "
            "-subj /CN=localhost -keyout key.pem -out cert.pem"
        )
    if listeners.tls_key and not listeners.tls_cert:
        problems.append("--tls-key needs --tls-cert PATH")
    if config.history.history == "redis" and not config.network.redis:
        problems.append("--history redis needs --redis URL (a single process keeps history with sqlite)")
    return problems


def main(argv: list[str] | None = None) -> int:
    config = config_from_args(argv)
    network = config.network
    if network.redis and network.workers == 1:
        # redis-py does blocking socket I/O: patched, its waits yield to the other
        # greenlets. Done first, before logging and redis-py create locks and sockets.
        from gevent import monkey

        monkey.patch_all()
    logging.basicConfig(
        level=config.server.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    if network.workers > 1:
        from .network.workers import supervise

        return supervise(config, list(sys.argv[1:] if argv is None else argv))
    import gevent  # imported here: `--help` and usage errors need no gevent

    from .server import ChatServer, ListenError

    from .store.worker import StoreWorker, open_sqlite_history

    worker = StoreWorker()
    history = None
    if config.history_store == "sqlite":
        try:
            history = open_sqlite_history(config, worker)
        except (OSError, sqlite3.Error) as error:
            print(f"chat-server: cannot keep history in {config.server.data_dir}: {error}", file=sys.stderr)
            return 1
    node = None
    if network.redis:
        try:
            from .network.node import NetworkNode
        except ImportError as error:
            print(f"chat-server: --redis needs redis-py ({error}); install geventchat[redis]", file=sys.stderr)
            return 2
        node = NetworkNode(config, history=history)
        # Join before listening: a node (a restarted worker too) takes connections
        # only once it checks nicks against the whole network.
        refused = node.start(network.redis_join_wait)
        if refused is not None:
            node.stop()
            if history is not None:
                history.close()
            worker.stop()
            print(f"chat-server: {refused}", file=sys.stderr)
            return 1
    try:
        server = ChatServer(config, chat=node.chat if node else None, history=history)
        server.start()
    except (ValueError, ListenError) as error:  # a TLS certificate or key that cannot be used; a port taken
        if node is not None:
            node.stop()
        print(f"chat-server: {error}", file=sys.stderr)
        return 1
    stopping = []
    status = [0]

    def stop() -> None:
        if not stopping:
            stopping.append(gevent.spawn(server.shutdown))

    def fatal(reason: str) -> None:
        status[0] = 1
        stop()

    gevent.signal_handler(signal.SIGTERM, stop)
    gevent.signal_handler(signal.SIGINT, stop)
    gevent.signal_handler(signal.SIGHUP, server.reload_tls)
    if node is not None:
        node.on_fatal = fatal
    server.serve_forever()
    if stopping:
        stopping[0].join()
    if node is not None:
        node.stop()
    if history is not None:
        history.close()
    worker.stop()
    return status[0]


if __name__ == "__main__":
    sys.exit(main())
