"""python -m bench.channels: how soon a channel change made on one node holds on another, and what a JOIN costs.

Starts a redis-server and two nodes (default network timings, flood limits
raised) on loopback, like bench.faults, then measures one request at a time:
- a MODE +b / -b made by a channel operator on n1, until a member on n2 has
  the MODE line (n2 applies a change before the lines that follow it, so
  from then on a JOIN there is checked against the ban), beside the time
  until the operator's own node echoes it;
- a JOIN on n2 until its end of NAMES: of channels that exist nowhere (the
  first joiner's check-and-set in Redis), and of channels n1's user made
  (known to n2 already: no round trip).
Prints the median and the 99th percentile of each, in ms. Everything it
starts it stops, by pid.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time

from .faults import free_port, start_node, start_redis


class Line:
    """A blocking IRC connection that reads up to a line containing a given piece."""

    def __init__(self, port: int, nick: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""
        self.nick = nick
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        self.wait(b" 366 ")

    def send(self, *lines: str) -> None:
        self.sock.sendall("".join(line + "\r\n" for line in lines).encode())

    def wait(self, piece: bytes) -> bytes:
        while True:
            while b"\r\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\r\n", 1)
                if line.startswith(b"PING"):
                    self.send("PONG" + line[4:].decode())
                elif piece in line:
                    return line
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"{self.nick}: connection closed")
            self.buffer += data


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{statistics.median(ordered) * 1000:7.2f} {p99 * 1000:7.2f}"


def run(rounds: int) -> None:
    directory = tempfile.mkdtemp(prefix="bench-channels-")
    redis = start_redis(free_port(), directory)
    nodes = []
    try:
        nodes = [start_node(name, redis.port, "--data-dir", directory, "--history", "none") for name in ("n1", "n2")]
        for node in nodes:
            deadline = time.monotonic() + 30
            while not any("joined the network" in line for line in node.log):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"node {node.name} never joined")
                time.sleep(0.05)
        op, watcher, joiner = Line(nodes[0].port, "op"), Line(nodes[1].port, "watcher"), Line(nodes[1].port, "joiner")
        op.send("JOIN #bench")
        op.wait(b" 366 ")
        watcher.send("JOIN #bench")
        op.wait(b"JOIN #bench")
        local, remote = [], []
        for i in range(rounds):
            change = f"MODE #bench {'+' if i % 2 == 0 else '-'}b mask{i // 2}!*@*"
            start = time.perf_counter()
            op.send(change)
            op.wait(b" MODE #bench ")
            local.append(time.perf_counter() - start)
            watcher.wait(b" MODE #bench ")
            remote.append(time.perf_counter() - start)
        fresh, known = [], []
        for i in range(rounds):
            op.send(f"JOIN #made{i}")
            op.wait(b" 366 ")
            while True:  # until n2 has heard of it (its copy, not Redis, answers MODE)
                joiner.send(f"MODE #made{i}")
                if b" 324 " in joiner.wait(b"#made"):
                    break
            start = time.perf_counter()
            joiner.send(f"JOIN #new{i}")
            joiner.wait(b" 366 ")
            fresh.append(time.perf_counter() - start)
            start = time.perf_counter()
            joiner.send(f"JOIN #made{i}")
            joiner.wait(b" 366 ")
            known.append(time.perf_counter() - start)
            joiner.send(f"PART #new{i},#made{i}")
            op.send(f"PART #made{i}")
        print(f"{rounds} of each, one at a time, two nodes and a redis-server on loopback")
        print(f"{'':55} p50 ms  p99 ms")
        print(f"{'MODE +b/-b on n1: echoed to the operator on n1':55}{figures(local)}")
        print(f"{'MODE +b/-b on n1: seen by a member on n2':55}{figures(remote)}")
        print(f"{'JOIN on n2 of a channel that exists nowhere (claim)':55}{figures(fresh)}")
        print(f"{'JOIN on n2 of a channel made on n1 (known there)':55}{figures(known)}")
    finally:
        for node in nodes:
            node.stop()
        redis.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.channels", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=500, help="changes and joins of each kind")
    run(parser.parse_args(argv).rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
