"""chat-server --workers N: N node processes on one machine sharing one port.

The supervisor holds the port (bound with SO_REUSEPORT, never listening, so
port 0 picks one port for all), starts N ordinary `--redis` nodes with
`--reuse-port` on it, named `NAME-1` ... `NAME-N` whatever their PIDs (a
worker started again takes over its name at once: see identity.py),
forwards SIGTERM/SIGINT (and SIGHUP, reload) to them, and starts again a
worker that died on its own. It imports neither gevent nor redis-py: the
workers do the chatting, Redis joins them into one chat.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import time

from ..config import Config
from ..listener import bind_reuseport

log = logging.getLogger("geventchat")

RESPAWN_PAUSE = 1.0


def reserve_port(host: str, port: int) -> socket.socket:
    """Hold the port (bound, not listening) so that --port 0 names one port for every worker."""
    return bind_reuseport(host, port)


def worker_name(config: Config, index: int) -> str:
    """`NAME-<index>`: the same name for a worker started again, so it takes its predecessor's place
    (and frees its users) at once instead of waiting for the dead name's heartbeat to lapse."""
    from .records import default_node_name

    return f"{config.network.node_name or default_node_name(config.server.name)}-{index}"


def worker_argv(argv: list[str], ports: tuple[int, int | None], index: int, config: Config) -> list[str]:
    """The supervisor's own arguments with the per-worker ones after them (argparse: last wins)."""
    port, tls_port = ports
    extra = ["--workers", "1", "--port", str(port), "--reuse-port"]
    if tls_port is not None:
        extra += ["--tls-port", str(tls_port)]
    extra += ["--node-name", worker_name(config, index)]
    metrics = config.metrics.port
    if metrics:  # one metrics port per worker: the first gets the port given, the next ones the ports after it
        extra += ["--metrics-port", str(metrics + index - 1)]
    return [sys.executable, "-m", "geventchat", *argv, *extra]


def supervise(config: Config, argv: list[str]) -> int:
    host = config.listeners.host
    reserved = []
    try:
        for wanted in (config.listeners.port, config.tls_port):
            if wanted is not None:
                reserved.append(reserve_port(host, wanted))
    except OSError as error:
        for sock in reserved:
            sock.close()
        print(f"chat-server: cannot listen on {host}: {error.strerror or error}", file=sys.stderr)
        return 1
    found = [sock.getsockname()[1] for sock in reserved]
    ports = (found[0], found[1] if len(found) > 1 else None)
    stopping = False

    def start(index: int) -> subprocess.Popen:
        return subprocess.Popen(worker_argv(argv, ports, index, config), stdin=subprocess.DEVNULL)

    workers = config.network.workers
    children = {index: start(index) for index in range(1, workers + 1)}
    log.info("supervising %d workers on %s:%s", workers, host, ports[0])

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    def reload(signum, frame) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGHUP)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)  # each worker reads the config file again
    try:
        while children:
            time.sleep(0.2)
            for index, child in list(children.items()):
                code = child.poll()
                if code is None:
                    continue
                if stopping:
                    del children[index]
                else:
                    log.warning("worker %d (pid %d) exited with %s; starting it again", index, child.pid, code)
                    time.sleep(RESPAWN_PAUSE)
                    children[index] = start(index)
    finally:
        for sock in reserved:
            sock.close()
    return 0
