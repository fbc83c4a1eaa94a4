"""The reference: the least work a gevent server does to relay a line to every other client.

StreamServer, a reader greenlet per client and a batching writer greenlet fed
by a list. No IRC beyond answering registration with 001, PING with PONG,
QUIT with ERROR, and prefixing the sender: what any chat server on gevent
must pay at least. Run as `python -m bench.relay --port 0`.
"""

from __future__ import annotations

import argparse
import socket
import sys

import gevent
from gevent.event import Event
from gevent.server import StreamServer

NAME = b"relay.bench"


class Peer:
    __slots__ = ("sock", "items", "wake", "closed")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.items: list[bytes] = []
        self.wake = Event()
        self.closed = False

    def put(self, data: bytes) -> None:
        items = self.items
        items.append(data)
        if len(items) == 1:
            self.wake.set()

    def write_loop(self) -> None:
        """Send everything queued in one call, then wait for more."""
        sendall = self.sock.sendall
        try:
            while True:
                while not self.items:
                    if self.closed:
                        return
                    self.wake.clear()
                    self.wake.wait()
                items, self.items = self.items, []
                sendall(b"".join(items))
        except OSError:
            pass


PEERS: dict[Peer, None] = {}


def handle(sock: socket.socket, address: tuple) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    peer = Peer(sock)
    writer = gevent.spawn(peer.write_loop)
    host = address[0].encode()
    nick, prefix, partial = b"*", b"", b""
    try:
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            lines = (partial + data).split(b"\n")
            partial = lines.pop()
            for line in lines:
                line = line.rstrip(b"\r")
                if not line:
                    continue
                if prefix and not line.startswith((b"PING", b"QUIT")):
                    out = prefix + line + b"\r\n"
                    for other in PEERS:
                        if other is not peer:
                            other.put(out)
                elif line.startswith(b"NICK "):
                    nick = line[5:].strip()
                elif line.startswith(b"USER "):
                    user = line.split()[1]
                    prefix = b":%s!%s@%s " % (nick, user, host)
                    peer.put(b":%s 001 %s :Welcome to the relay\r\n" % (NAME, nick))
                    PEERS[peer] = None
                elif line.startswith(b"PING"):
                    peer.put(b":%s PONG %s :%s\r\n" % (NAME, NAME, line[5:].lstrip(b":")))
                elif line.startswith(b"QUIT"):
                    peer.put(b"ERROR :Closing Link: %s (Quit)\r\n" % host)
                    return
    finally:
        PEERS.pop(peer, None)
        peer.closed = True
        peer.wake.set()
        writer.join(timeout=3)
        writer.kill(block=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.relay", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = StreamServer((args.host, args.port), handle)
    server.backlog = 1024
    server.start()
    host, port = server.address[:2]
    print(f"relay listening on {host}:{port} as {NAME.decode()}", file=sys.stderr, flush=True)
    gevent.signal_handler(15, server.stop)
    gevent.signal_handler(2, server.stop)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
