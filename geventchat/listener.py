"""A listening socket with SO_REUSEPORT: several processes accept on one port,
and the kernel spreads new connections across them."""

from __future__ import annotations

import socket

from gevent import socket as gsocket

BACKLOG = 1024


def reuseport_listener(host: str, port: int) -> gsocket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = gsocket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
