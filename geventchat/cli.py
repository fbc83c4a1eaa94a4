"""chat-server: command line and config file -> Config, logging, signals, run until told to stop."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import signal
import sys
from pathlib import Path
from typing import NoReturn

from . import __version__, argtypes, config_text, logs
from .config import Config, flag_of, sections_of
from .config_file import ConfigError, Source
from .core.chat import read_motd

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
    config = p.add_argument_group("Configuration file (each flag below is a key of its section; flags win)")
    config.add_argument("--config", metavar="PATH", help="read settings from this TOML file (again on SIGHUP)")
    config.add_argument("--check-config", action="store_true",
                        help="check the file and the flags (and the files they name), say what is wrong, exit")
    config.add_argument("--print-config", action="store_true",
                        help="print the effective configuration as TOML, secrets masked, and exit")
    config.add_argument("--print-example-config", action="store_true",
                        help="print an example config file with every key, commented, and exit")
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


OWN_OPTIONS = ("config", "check_config", "print_config", "print_example_config")
"""Options of the command line itself, not settings."""


def parse(argv: list[str] | None = None) -> tuple[argparse.ArgumentParser, argparse.Namespace, Source]:
    """The command line, and where the settings come from: the --config file and the flags given."""
    parser = build_parser()
    args = parser.parse_args(argv)
    flags = {}  # only what was given (every setting's default is SUPPRESS): the rest is the file's or Config's
    for key, value in vars(args).items():
        if key not in OWN_OPTIONS:
            flags[key] = tuple(value) if isinstance(value, list) else value
    return parser, args, Source(args.config, flags)


def config_from_args(argv: list[str] | None = None) -> Config:
    """Flags (and the --config file) -> Config; a usage error (exit 2) for anything wrong."""
    parser, _, source = parse(argv)
    return _load(parser, source)


def _load(parser: argparse.ArgumentParser, source: Source) -> Config:
    try:
        return source.load()
    except ConfigError as error:
        _fail(parser, source, error.problems)


def _fail(parser: argparse.ArgumentParser, source: Source, problems: list[str]) -> NoReturn:
    """Exit 2 saying what is wrong: a usage error for flags; for a file, its problems without the usage wall."""
    if not source.path:
        parser.error("\n".join(problems))
    for problem in problems:
        print(f"chat-server: {problem}", file=sys.stderr)
    sys.exit(2)


def check_files(config: Config) -> list[str]:
    """What --check-config adds to loading: the files the settings name can be used."""
    problems = []
    motd = config.server.motd_file
    if motd:
        try:
            read_motd(motd)
        except OSError as error:
            problems.append(f"cannot read MOTD file {motd}: {error.strerror or error}")
    listeners = config.listeners
    if listeners.tls_cert:
        try:
            from .transports.tls import server_context

            server_context(listeners.tls_cert, listeners.tls_key)
        except (ValueError, OSError) as error:
            problems.append(str(error))
    return problems


def mkpasswd(argv: list[str]) -> int:
    """chat-server mkpasswd [flags]: a password from standard input, or asked for twice at a terminal,
    printed as its argon2id hash (with the --argon2-* costs given) for --oper NAME:HASH or --password."""
    config = config_from_args(argv)
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("chat-server mkpasswd: the two passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("chat-server mkpasswd: no password given (on standard input, or typed at the prompt)", file=sys.stderr)
        return 2
    from .passwords import Argon2Hasher

    print(Argon2Hasher(config.accounts).hash(password))
    return 0


def main(argv: list[str] | None = None) -> int:
    args_given = list(sys.argv[1:] if argv is None else argv)
    if args_given[:1] == ["mkpasswd"]:
        return mkpasswd(args_given[1:])
    parser, args, source = parse(argv)
    if args.print_example_config:
        sys.stdout.write(config_text.example())
        return 0
    config = _load(parser, source)
    if args.check_config:
        problems = check_files(config)
        if problems:
            _fail(parser, source, problems)
        print(f"chat-server: {source.path or 'the command line'}: configuration OK")
        return 0
    if args.print_config:
        sys.stdout.write(config_text.effective(config))
        return 0
    network = config.network
    if network.redis and network.workers == 1:
        # redis-py does blocking socket I/O: patched, its waits yield to the other
        # greenlets. Done first, before logging and redis-py create locks and sockets.
        from gevent import monkey

        monkey.patch_all()
    logs.configure(config.server.log_level, config.server.log_format)
    if network.workers > 1:
        from .network.workers import supervise

        return supervise(config, list(sys.argv[1:] if argv is None else argv))
    import gevent  # imported here: `--help` and usage errors need no gevent

    # The stores' and the password hashes' threads hand the interpreter back to the event loop
    # this often: at Python's 5 ms a CHATHISTORY answer could wait behind a batch of writes.
    sys.setswitchinterval(config.server.thread_switch_interval)

    from .server import ChatServer, ListenError

    from .core.chat import Chat
    from .core.history import StoreError
    from .passwords import Argon2Hasher
    from .store.worker import DataDirInUse, StoreWorker, claim_data_dir, open_sqlite_accounts, open_sqlite_history

    worker = StoreWorker()
    hashing = StoreWorker(config.accounts.password_threads, nice=min(config.accounts.password_nice, 19))
    hasher = Argon2Hasher(config.accounts, run=hashing.run)
    history = accounts = None
    if config.history_store == "sqlite":
        try:
            claim_data_dir(Path(config.server.data_dir).expanduser())
            history = open_sqlite_history(config, worker)
        except DataDirInUse as error:
            print(f"chat-server: the data directory {error}", file=sys.stderr)
            return 1
        except (OSError, StoreError) as error:
            print(f"chat-server: cannot keep history in {config.server.data_dir}: {error}", file=sys.stderr)
            return 1
    if not network.redis:  # a network keeps its accounts in Redis
        try:
            accounts = open_sqlite_accounts(config, worker)
        except (OSError, StoreError) as error:
            print(f"chat-server: cannot keep accounts in {config.server.data_dir}: {error}", file=sys.stderr)
            return 1
    node = None
    if network.redis:
        try:
            from .network.node import NetworkNode
        except ImportError as error:
            print(f"chat-server: --redis needs redis-py ({error}); install geventchat[redis]", file=sys.stderr)
            return 2
        node = NetworkNode(config, history=history, hasher=hasher)
        # Join before listening: a node (a restarted worker too) takes connections
        # only once it checks nicks against the whole network.
        refused = node.start(network.redis_join_wait)
        if refused is not None:
            node.stop()
            if history is not None:
                history.close()
            worker.stop()
            hashing.stop()
            print(f"chat-server: {refused}", file=sys.stderr)
            return 1
    try:
        chat = node.chat if node else Chat(config, history=history, accounts=accounts, bans=accounts, hasher=hasher)
        server = ChatServer(config, chat=chat, source=source, node=node, history=history)
        worker.metrics = server.chat.metrics  # history latency, when the metrics port is on
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
    gevent.signal_handler(signal.SIGHUP, server.reload)  # run in a greenlet of its own
    if node is not None:
        node.on_fatal = fatal
    server.serve_forever()
    if stopping:
        stopping[0].join()
    if node is not None:
        node.stop()
    if history is not None:
        history.close()
    if accounts is not None:
        accounts.close()
    worker.stop()
    hashing.stop()
    return status[0]


if __name__ == "__main__":
    sys.exit(main())
