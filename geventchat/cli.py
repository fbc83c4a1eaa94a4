"""chat-server: command line -> Config, logging, signals, run until told to stop."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import signal
import sys

from . import __version__
from .argtypes import port, positive, room
from .config import Config
from .network import flags as network_flags

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _server_name(text: str) -> str:
    if not text or len(text) > 63 or any(c in text for c in " !@:*,\r\n\0"):
        raise argparse.ArgumentTypeError(f"not a server name (like irc.example.org): {text!r}")
    return text


def _cidr(text: str) -> str:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an address or CIDR: {text!r}") from None
    return text


def build_parser() -> argparse.ArgumentParser:
    d = Config(server_name="localhost")
    p = argparse.ArgumentParser(
        prog="chat-server",
        description="geventchat: an IRC chat server where everyone is in one lobby.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"geventchat {__version__}")
    p.add_argument("--host", default=d.host, help="address to listen on")
    p.add_argument("--port", type=port(0), default=d.port, help="TCP port (0: any free port)")
    p.add_argument("--server-name", type=_server_name, default=None, help="name in replies (default: host name)")
    p.add_argument("--network", default=d.network, help="network name in 001 and 005")
    p.add_argument("--lobby", type=room("#", "channel"), default=d.lobby, help="the room everyone is in")
    p.add_argument("--motd-file", default=None, help="message of the day, one line per line")
    p.add_argument("--nicklen", type=positive(int), default=d.nicklen, help="longest nickname")
    p.add_argument("--ping-interval", type=positive(float), default=d.ping_interval, help="idle seconds before PING")
    p.add_argument("--ping-timeout", type=positive(float), default=d.ping_timeout, help="seconds to answer a PING")
    p.add_argument(
        "--registration-timeout", type=positive(float), default=d.registration_timeout,
        help="seconds from connect to finish NICK/USER",
    )
    p.add_argument("--sendq", type=positive(int), default=d.sendq, help="unsent bytes per client before it is closed")
    p.add_argument("--flood-burst", type=positive(int), default=d.flood_burst, help="lines a client may send at once")
    p.add_argument("--flood-rate", type=positive(float), default=d.flood_rate, help="lines per second after the burst")
    p.add_argument(
        "--flood-backlog", type=positive(int), default=d.flood_backlog,
        help="delayed lines waiting before 'Excess flood'",
    )
    p.add_argument("--max-clients", type=positive(int), default=d.max_clients, help="clients per process")
    p.add_argument("--max-per-ip", type=positive(int), default=d.max_per_ip, help="connections per address")
    p.add_argument(
        "--exempt", type=_cidr, action="append", default=[], metavar="CIDR",
        help="addresses free of --max-per-ip (repeatable)",
    )
    p.add_argument("--resolve", action="store_true", help="use reverse DNS names as hosts")
    p.add_argument("--shutdown-grace", type=positive(float), default=d.shutdown_grace, help="seconds to flush on exit")
    p.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, default=d.log_level, help="log verbosity")
    network_flags.add_flags(p, d)
    return p


def config_from_args(argv: list[str] | None = None) -> Config:
    parser = build_parser()
    args = parser.parse_args(argv)
    values = vars(args)
    network_flags.check(parser, values)
    values["exempt"] = tuple(values["exempt"])
    if values["server_name"] is None:
        del values["server_name"]
    return Config(**values)


def main(argv: list[str] | None = None) -> int:
    config = config_from_args(argv)
    if config.redis and config.workers == 1:
        # redis-py does blocking socket I/O: patched, its waits yield to the other
        # greenlets. Done first, before logging and redis-py create locks and sockets.
        from gevent import monkey

        monkey.patch_all()
    logging.basicConfig(
        level=config.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    if config.workers > 1:
        from .network.workers import supervise

        return supervise(config, list(sys.argv[1:] if argv is None else argv))
    import gevent  # imported here: `--help` and usage errors need no gevent

    from .server import ChatServer

    node = None
    if config.redis:
        try:
            from .network.node import NetworkNode
        except ImportError as error:
            print(f"chat-server: --redis needs redis-py ({error}); install geventchat[redis]", file=sys.stderr)
            return 2
        node = NetworkNode(config)
    server = ChatServer(config, chat=node.chat if node else None)
    try:
        if config.reuse_port:
            from .listener import reuseport_listener

            server.stream.set_listener(reuseport_listener(config.host, config.port))
        server.start()
    except OSError as error:
        print(f"chat-server: cannot listen on {config.host}:{config.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    stopping = []

    def stop() -> None:
        if not stopping:
            stopping.append(gevent.spawn(server.shutdown))

    gevent.signal_handler(signal.SIGTERM, stop)
    gevent.signal_handler(signal.SIGINT, stop)
    if node is not None:
        node.start()
    server.stream.serve_forever()
    if stopping:
        stopping[0].join()
    if node is not None:
        node.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
