"""Every setting and limit of the server, one field each, with its default.

The defaults suit a public server (see PROTOCOL.md, Liveness and limits);
each has a command-line flag in cli.py.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field


@dataclass
class Config:
    host: str = "0.0.0.0"
    port: int = 25565
    server_name: str = field(default_factory=socket.gethostname)
    network: str = "geventchat"
    lobby: str = "#lobby"
    motd_file: str | None = None
    nicklen: int = 9
    # liveness
    ping_interval: float = 120.0  # idle seconds before the server sends PING
    ping_timeout: float = 60.0  # seconds after that PING before the client is closed
    registration_timeout: float = 30.0  # from connect, not from the last byte
    # output and input limits
    sendq: int = 256 * 1024  # unsent bytes per client before "SendQ exceeded"
    flood_burst: int = 10  # lines a client may send at once
    flood_rate: float = 1.0  # lines per second after the burst
    flood_backlog: int = 20  # delayed lines waiting before "Excess flood"
    # connection limits
    max_clients: int = 10_000
    max_per_ip: int = 10
    exempt: tuple[str, ...] = ()  # CIDRs free of max_per_ip
    resolve: bool = False  # reverse-DNS the peer address for the host field
    shutdown_grace: float = 3.0  # seconds to flush queues on shutdown
    log_level: str = "INFO"
    # a network of nodes over Redis (geventchat/network/); None: one process alone
    redis: str | None = None  # redis://HOST:PORT/DB
    node_name: str | None = None  # None: server name + pid
    node_timeout: float = 10.0  # seconds without a heartbeat before a node counts as dead
    redis_retry_max: float = 2.0  # longest pause between reconnect attempts to Redis
    workers: int = 1  # processes sharing the port (SO_REUSEPORT); above 1 needs redis
    reuse_port: bool = False  # SO_REUSEPORT on the listening socket

    @property
    def sweep_interval(self) -> float:
        """How often the shared liveness sweep runs: fine enough for the shortest timer."""
        shortest = min(self.ping_interval, self.ping_timeout, self.registration_timeout)
        return max(0.05, min(1.0, shortest / 4))
