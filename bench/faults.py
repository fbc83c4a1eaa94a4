"""python -m bench.faults SCENARIO: a network of nodes under one fault, counted per receiver.

Starts a redis-server and three nodes (`python -m geventchat --redis ...`,
default network timings, flood and per-address limits raised) on loopback,
registers --clients IRC clients spread over the nodes, and has --senders of
them say numbered lines in the lobby at --rate lines a second in all. At
--fault-at seconds the fault is made; the traffic goes on until --seconds,
then every receiver's lines are counted against what was sent: lost,
duplicated and reordered (a line arriving after a later one from the same
sender), summed over receivers. Everything it starts it stops, by pid.

Scenarios (a number after the colon is the fault's length in seconds):
  baseline         no fault
  redis-restart:N  Redis killed, started again N s later on the same port (empty)
  redis-pause:N    Redis SIGSTOPped for N s
  node-pause:N     node n2 SIGSTOPped for N s (its users: what they missed once it rejoined)
  node-kill        node n2 killed (-9): time until its users' QUITs, NICK refusals (433) after a QUIT
  twin             a fourth node started with n1's name: refused, how fast
"""

from __future__ import annotations

import argparse
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

LISTENING = re.compile(r"listening on [^ ]+:(\d+)")
LINE = re.compile(rb"^:(\S+?)!\S+ PRIVMSG #lobby :\S+ (\d+)$")
NODE_FLAGS = ("--flood-burst", "1000000", "--flood-rate", "1000000", "--flood-backlog", "1000000",
              "--max-per-ip", "1000000", "--sendq", str(16 * 1024 * 1024))
"""Limits a public server needs but a load test would trip over; the network's timings stay the defaults."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    name: str
    proc: subprocess.Popen
    port: int = 0
    log: list[str] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_redis(port: int, directory: str) -> Process:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", directory, "--loglevel", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return Process("redis", proc, port)
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def start_node(name: str, redis_port: int, *extra: str, wait: bool = True) -> Process:
    argv = [sys.executable, "-m", "geventchat", "--host", "127.0.0.1", "--port", "0", "--server-name",
            f"{name}.test", "--redis", f"redis://127.0.0.1:{redis_port}/0", "--node-name", name, *NODE_FLAGS, *extra]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    node = Process(name, proc)
    found = threading.Event()

    def drain() -> None:
        for line in proc.stderr:
            node.log.append(line.rstrip("\n"))
            match = LISTENING.search(line)
            if match and not node.port:
                node.port = int(match.group(1))
                found.set()
        found.set()

    threading.Thread(target=drain, daemon=True).start()
    if wait and (not found.wait(30) or not node.port):
        node.stop()
        raise RuntimeError(f"node {name} did not start:\n" + "\n".join(node.log[-20:]))
    return node


class Client:
    """One raw IRC connection: what it sent, what it received of each sender's numbered lines."""

    def __init__(self, nick: str, node: int, port: int) -> None:
        self.nick = nick
        self.node = node
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.buffer = b""
        self.out = bytearray()
        self.registered = False
        self.closed = False
        self.got: dict[bytes, list[int]] = {}
        self.events: list[tuple[float, bytes]] = []  # (when, line) for QUIT, JOIN, NICK, NOTICE, 433
        self.sent = 0

    def send(self, data: bytes) -> None:
        self.out += data
        self.flush()

    def flush(self) -> None:
        if self.out and not self.closed:
            try:
                self.out = self.out[self.sock.send(self.out):]
            except BlockingIOError:
                pass
            except OSError:
                self.closed = True

    def read(self, now: float) -> None:
        try:
            data = self.sock.recv(262144)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        lines = (self.buffer + data).split(b"\r\n")
        self.buffer = lines.pop()
        for line in lines:
            match = LINE.match(line)
            if match:
                self.got.setdefault(match.group(1), []).append(int(match.group(2)))
            elif b" 001 " in line[:40]:
                self.registered = True
            elif line.startswith(b"PING"):
                self.send(b"PONG" + line[4:] + b"\r\n")
            elif any(word in line for word in (b" QUIT ", b" JOIN ", b" NICK ", b" NOTICE ", b" 433 ")):
                self.events.append((now, line))


class Crowd:
    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.clients: list[Client] = []

    def add(self, client: Client) -> Client:
        self.clients.append(client)
        self.selector.register(client.sock, selectors.EVENT_READ, client)
        return client

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            for key, _ in self.selector.select(min(left, 0.05)):
                client = key.data
                if not client.closed:
                    client.read(time.monotonic())
                    if client.closed:
                        self.selector.unregister(client.sock)
            for client in self.clients:
                if client.out:
                    client.flush()


def tally(numbers: list[int], sent: int) -> tuple[int, int, int]:
    """(lost, duplicated, reordered) in what one receiver got of the numbered lines 0..sent-1 of one sender."""
    seen = set()
    duplicated = reordered = 0
    highest = -1
    for n in numbers:
        if n in seen:
            duplicated += 1
            continue
        seen.add(n)
        if n < highest:
            reordered += 1
        highest = max(highest, n)
    return sent - len(seen & set(range(sent))), duplicated, reordered


def run(args: argparse.Namespace) -> int:
    scenario, _, length = args.scenario.partition(":")
    seconds_down = float(length or 0)
    directory = tempfile.mkdtemp(prefix="faults-")
    redis_port = free_port()
    redis = start_redis(redis_port, directory)
    nodes: list[Process] = []
    extra: list[Process] = []
    crowd = Crowd()
    result: dict[str, object] = {"scenario": args.scenario}
    try:
        nodes = [start_node(f"n{i}", redis_port) for i in (1, 2, 3)]
        for i in range(args.clients):
            client = crowd.add(Client(f"c{i}", i % 3, nodes[i % 3].port))
            client.send(f"NICK c{i}\r\nUSER c{i} 0 * :c{i}\r\n".encode())
            if i % 50 == 49:
                crowd.pump(0.05)
        deadline = time.monotonic() + 60
        while not all(c.registered for c in crowd.clients):
            crowd.pump(0.2)
            if time.monotonic() > deadline:
                raise RuntimeError("not every client registered")
        crowd.pump(2.0)  # the JOIN storm settles
        senders = crowd.clients[: args.senders]
        claimants: list[Client] = []
        if scenario == "node-kill":  # one unregistered connection per nick of n2, on n3, to take it back
            claimants = [crowd.add(Client(c.nick, 2, nodes[2].port)) for c in crowd.clients if c.node == 1]
        interval = args.senders / args.rate
        start = time.monotonic()
        next_send = start
        fault_done = fault_started = False
        down_at = up_at = None
        killed_at = None
        while time.monotonic() - start < args.seconds:
            now = time.monotonic()
            if now >= next_send:
                for sender in senders:
                    if not sender.closed:
                        sender.send(f"PRIVMSG #lobby :{sender.nick} {sender.sent}\r\n".encode())
                        sender.sent += 1
                next_send += interval
            elapsed = now - start
            if not fault_started and elapsed >= args.fault_at:
                fault_started = True
                down_at = time.monotonic()
                if scenario == "redis-restart":
                    redis.stop(signal.SIGKILL)
                elif scenario == "redis-pause":
                    os.kill(redis.proc.pid, signal.SIGSTOP)
                elif scenario == "node-pause":
                    os.kill(nodes[1].proc.pid, signal.SIGSTOP)
                elif scenario == "node-kill":
                    nodes[1].stop(signal.SIGKILL)
                    killed_at = down_at
                    for c in crowd.clients:
                        if c.node == 1 and c not in claimants:
                            c.closed = True
                elif scenario == "twin":
                    twin = start_node("n1", redis_port, wait=False)
                    extra.append(twin)
                    code = twin.proc.wait(30)
                    result["twin exit status"] = code
                    result["twin refused after (s)"] = round(time.monotonic() - down_at, 2)
                    result["twin said"] = next((l for l in twin.log if "held by a live node" in l), "")
            if fault_started and not fault_done and down_at is not None and \
                    time.monotonic() - down_at >= seconds_down:
                fault_done = True
                up_at = time.monotonic()
                if scenario == "redis-restart":
                    redis = start_redis(redis_port, directory)
                elif scenario == "redis-pause":
                    os.kill(redis.proc.pid, signal.SIGCONT)
                elif scenario == "node-pause":
                    os.kill(nodes[1].proc.pid, signal.SIGCONT)
            crowd.pump(min(0.02, max(0.0, next_send - time.monotonic())))
            if killed_at is not None:
                for claimant in claimants:
                    if not claimant.sent and any(
                            line.startswith(f":{claimant.nick}!".encode()) and b" QUIT " in line
                            for c in crowd.clients[:3] if c.node != 1 for _, line in c.events):
                        claimant.send(f"NICK {claimant.nick}\r\n".encode())
                        claimant.sent = 1
        crowd.pump(args.drain)
        receivers = [c for c in crowd.clients if c not in claimants and not (scenario == "node-kill" and c.node == 1)]
        lost = duplicated = reordered = expected = 0
        paused_lost = paused_expected = 0
        for receiver in receivers:
            for sender in senders:
                if sender is receiver or (scenario == "node-kill" and sender.node == 1):
                    continue
                counts = tally(receiver.got.get(sender.nick.encode(), []), sender.sent)
                lost += counts[0]
                duplicated += counts[1]
                reordered += counts[2]
                expected += sender.sent
                if scenario == "node-pause" and receiver.node == 1:
                    paused_lost += counts[0]
                    paused_expected += sender.sent
        result.update({
            "nodes": 3, "clients": args.clients, "senders": args.senders, "rate (msg/s)": args.rate,
            "seconds": args.seconds, "lines sent": sum(s.sent for s in senders),
            "deliveries expected": expected, "lost": lost, "duplicated": duplicated, "reordered": reordered,
        })
        if scenario == "node-pause":
            result["deliveries to the paused node's users"] = paused_expected
            result["missed by them"] = paused_lost
            watcher = crowd.clients[0]
            quits = [t for t, line in watcher.events if b" QUIT " in line and b"n2" in line]
            if quits:
                result["split seen after (s)"] = round(min(quits) - down_at, 2)
        if scenario == "node-kill":
            watcher = next(c for c in crowd.clients if c.node == 0)
            quit_times = [t for t, line in watcher.events if b" QUIT :n1.test n2" in line]
            result["users of the killed node"] = len(claimants)
            result["QUITs seen"] = len(quit_times)
            if quit_times:
                result["first QUIT after (s)"] = round(min(quit_times) - killed_at, 2)
                result["last QUIT after (s)"] = round(max(quit_times) - killed_at, 2)
            result["NICK tried at the QUIT"] = sum(1 for c in claimants if c.sent)
            result["433 after the QUIT"] = sum(1 for c in claimants for _, l in c.events if b" 433 " in l)
        notices = [line for c in crowd.clients for _, line in c.events if b"The link to the rest of the chat" in line]
        result["link notices (all users)"] = len(notices)
        mended = [line for node in nodes for line in node.log if "differences with Redis mended" in line]
        result["directory repairs that mended something"] = len(mended)
        width = max(map(len, result))
        for key, value in result.items():
            print(f"{key:<{width}}  {value:,}" if isinstance(value, int) else f"{key:<{width}}  {value}")
        return 0
    finally:
        for client in crowd.clients:
            client.sock.close()
        for process in [*extra, *nodes]:
            process.stop()
        redis.stop(signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="baseline, redis-restart:N, redis-pause:N, node-pause:N, node-kill, twin")
    p.add_argument("--clients", type=int, default=300)
    p.add_argument("--senders", type=int, default=10)
    p.add_argument("--rate", type=float, default=50.0, help="lines per second, all senders together")
    p.add_argument("--seconds", type=float, default=60.0, help="how long the senders talk")
    p.add_argument("--fault-at", type=float, default=10.0, help="seconds into the talk when the fault is made")
    p.add_argument("--drain", type=float, default=15.0, help="seconds to wait for late lines after the talk")
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
