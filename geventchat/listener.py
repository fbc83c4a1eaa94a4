"""A listening socket with SO_REUSEPORT: several processes accept on one port,
and the kernel spreads new connections across them."""

from __future__ import annotations

import socket
from types import ModuleType

def bind_reuseport(host: str, port: int, module: ModuleType = socket) -> socket.socket:
    """A TCP socket bound to (host, port) with SO_REUSEADDR and SO_REUSEPORT, not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = module.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def reuseport_listener(host: str, port: int, backlog: int) -> socket.socket:
    """A gevent listening socket for StreamServer."""
    from gevent import socket as gsocket

    sock = bind_reuseport(host, port, gsocket)
    try:
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
