"""The load generator: IRC clients on raw non-blocking sockets, one epoll loop per worker process.

The controller drives every worker through a pipe, one command at a time; a
worker runs the command to completion (or to its deadline) and answers with
exact counts and its own CPU time. Receiving is counting: lines are not
parsed, except on a few probe clients that read each message's send time for
latency, so the generator stays cheap next to the server it measures.

With TLS (`bin/bench --tls`) the same clients speak TLS over the same
non-blocking sockets: the handshake advances on socket events, a read
drains what OpenSSL has decrypted (`pending()`), and a write that OpenSSL
could not finish (want-write, or want-read) is retried with the same bytes
once the socket is ready.
"""

from __future__ import annotations

import errno
import multiprocessing
import select
import socket
import ssl
import time
import traceback
from array import array
from dataclasses import dataclass
from typing import Any, Callable

from . import procstat

RECV_SIZE = 65536  # under glibc's mmap threshold: no mmap/munmap per recv
IN, OUT = select.EPOLLIN, select.EPOLLOUT
CONNECTING, REGISTERING, READY, QUITTING, CLOSED, HANDSHAKING = range(6)
QUIET = 30.0
"""Seconds with nothing arriving after which a phase's missing lines count as lost. Long: on a
shared machine a starved server may take seconds for one turn of its loop (each reader relays
a whole read, a few hundred lines to every member, before any flush), and that is slow, not loss."""
TLS_WRITE = 16384  # plaintext per TLS write: one record
TLS_READS = 16  # TLS records read per readable event before epoll is asked again
POLL_MAX = 0.05  # seconds: how often a loop re-checks its deadline
now_ns = time.monotonic_ns
monotonic = time.monotonic


class Client:
    """One IRC connection as the generator sees it: counters, no parsed state."""

    __slots__ = ("sock", "fd", "nick", "state", "partial", "out", "hits", "probe", "synced", "ponged", "retry")

    def __init__(self, sock: socket.socket, nick: bytes, probe: bool) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.nick = nick
        self.state = CONNECTING
        self.partial = b""
        self.out = bytearray()
        self.hits = 0  # phase messages received
        self.probe = probe
        self.synced = False
        self.ponged = False
        self.retry = 0  # TLS: bytes of a write OpenSSL has begun and must be given again


class Worker:
    """One process's share of the clients and the loop that drives them."""

    def __init__(self, index: int, host: str, port: int, tls: ssl.SSLContext | None = None) -> None:
        self.index = index
        self.address = (host, port)
        self.tls = tls
        if tls is not None:
            self._send = self._send_tls
            self._read = self._read_tls
        self.ep = select.epoll()
        self.clients: dict[int, Client] = {}  # fd -> client, every open socket
        self.lobby: list[Client] = []  # registered clients kept for fanout/connect
        self.marker: bytes | None = None  # b" :TAG ": a message of the running phase
        self.sync: bytes | None = None
        self.latencies = array("q")
        self.received = 0
        self.joins = 0
        self.pings = 0
        self.registered = 0
        self.failed = 0
        self.lost = 0  # registered clients the server closed unasked
        self.completed = 0  # churn cycles ended by the server's close after QUIT
        self.on_ready: Callable[[Client], None] | None = None
        self.count_joins = True  # off while a fanout phase runs: only its messages are counted
        self.want_pongs = False  # on during the alive check
        self.serial = 0

    # --- sockets ----------------------------------------------------------
    def _open(self, nick: bytes, probe: bool = False) -> Client | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = sock.connect_ex(self.address)
        if err not in (0, errno.EINPROGRESS):
            sock.close()
            self.failed += 1
            return None
        client = Client(sock, nick, probe)
        self.clients[client.fd] = client
        self.ep.register(client.fd, IN | OUT)
        return client

    def _close(self, client: Client) -> None:
        if client.state == CLOSED:
            return
        if client.state == QUITTING:
            self.completed += 1
        elif client.state == READY:
            self.lost += 1
        else:
            self.failed += 1
        client.state = CLOSED
        self.clients.pop(client.fd, None)
        try:
            self.ep.unregister(client.fd)
        except OSError:
            pass
        client.sock.close()

    def _send(self, client: Client, data: bytes) -> None:
        if client.state == CLOSED:
            return
        if client.out:
            client.out += data
            return
        try:
            sent = client.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._close(client)
            return
        if sent < len(data):
            client.out += data[sent:]
            self.ep.modify(client.fd, IN | OUT)

    def _on_writable(self, client: Client) -> None:
        if client.state == CONNECTING:
            if client.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                self._close(client)
                return
            if self.tls is not None:
                client.sock = self.tls.wrap_socket(client.sock, server_hostname=self.address[0],
                                                   do_handshake_on_connect=False)
                client.state = HANDSHAKING
                self._handshake(client)
                return
            client.state = REGISTERING
            self.ep.modify(client.fd, IN)
            self._register(client)
            return
        if client.state == HANDSHAKING:
            self._handshake(client)
            return
        if self.tls is not None:
            self._flush_tls(client)
            return
        try:
            sent = client.sock.send(client.out)
        except BlockingIOError:
            return
        except OSError:
            self._close(client)
            return
        del client.out[:sent]
        if not client.out:
            self.ep.modify(client.fd, IN)

    def _register(self, client: Client) -> None:
        nick = client.nick
        self._send(client, b"NICK %s\r\nUSER %s 0 * :bench client\r\n" % (nick, nick))

    # --- TLS ------------------------------------------------------------------
    def _handshake(self, client: Client) -> None:
        """One step of the client's TLS handshake; registration starts once it is done."""
        try:
            client.sock.do_handshake()
        except ssl.SSLWantReadError:
            self.ep.modify(client.fd, IN)
            return
        except ssl.SSLWantWriteError:
            self.ep.modify(client.fd, IN | OUT)
            return
        except OSError:  # ssl.SSLError included: a handshake that failed
            self._close(client)
            return
        client.state = REGISTERING
        self.ep.modify(client.fd, IN)
        self._register(client)

    def _send_tls(self, client: Client, data: bytes) -> None:
        if client.state == CLOSED:
            return
        waiting = bool(client.out)
        client.out += data
        if not waiting:
            self._flush_tls(client)

    def _flush_tls(self, client: Client) -> None:
        """Write what is queued, a record at a time, until OpenSSL needs the socket to be ready.

        A write OpenSSL has begun must be given again with at least the same
        bytes (`retry`): the queue only grows at its end, so its head is them.
        """
        out, sock = client.out, client.sock
        waited = client.retry
        while out:
            size = max(client.retry, min(len(out), TLS_WRITE))
            try:
                sent = sock.send(out[:size])
            except ssl.SSLWantWriteError:
                client.retry = size
                self.ep.modify(client.fd, IN | OUT)
                return
            except ssl.SSLWantReadError:  # OpenSSL must read first: retried when readable
                client.retry = size
                self.ep.modify(client.fd, IN)
                return
            except OSError:
                self._close(client)
                return
            client.retry = 0
            del out[:sent]
        if waited:
            self.ep.modify(client.fd, IN)

    def _read_tls(self, client: Client) -> bytes | None:
        """Records decrypted until OpenSSL wants more bytes from the socket (b"": closed; None: nothing yet).

        What OpenSSL has already decrypted (`pending()`) is never left behind:
        epoll would not say so, since those bytes have left the socket.
        """
        sock = client.sock
        chunks: list[bytes] = []
        while len(chunks) < TLS_READS or sock.pending():
            try:
                data = sock.recv(RECV_SIZE)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLWantWriteError:  # OpenSSL must write first (a key update)
                self.ep.modify(client.fd, IN | OUT)
                break
            except OSError:
                return b""
            if not data:
                if chunks:
                    break  # the close is seen on the next event
                return b""
            chunks.append(data)
        if client.retry and client.out:
            self._flush_tls(client)  # a write that waited for a read
        return b"".join(chunks) if chunks else None

    # --- reading ----------------------------------------------------------------
    def _read(self, client: Client) -> bytes | None:
        """What arrived (b"" once the peer has closed, or on an error); None when nothing is there now."""
        try:
            return client.sock.recv(RECV_SIZE)
        except BlockingIOError:
            return None
        except OSError:
            return b""

    def _on_readable(self, client: Client) -> None:
        if client.state == HANDSHAKING:
            self._handshake(client)
            return
        data = self._read(client)
        if data is None:
            return
        if not data:
            self._close(client)
            return
        if client.partial:
            data = client.partial + data
        end = data.rfind(b"\n") + 1
        client.partial = data[end:]
        if not end:
            return
        if client.state == REGISTERING:
            self._registering(client, data[:end])
            return
        marker = self.marker
        if marker is not None:
            hits = data.count(marker, 0, end)
            if hits:
                client.hits += hits
                self.received += hits
                if client.probe:
                    self._probe(data, end, marker)
        if self.count_joins:
            self.joins += data.count(b" JOIN ", 0, end)
        if data.find(b"PING ", 0, end) >= 0:
            self._answer_pings(client, data[:end])
        if self.sync is not None and not client.synced and data.find(self.sync, 0, end) >= 0:
            client.synced = True
        if self.want_pongs and not client.ponged and data.find(b" PONG ", 0, end) >= 0:
            client.ponged = True

    def _registering(self, client: Client, data: bytes) -> None:
        """Read lines until 001; answer PINGs some servers send before it."""
        for line in data.split(b"\n"):
            if client.state == REGISTERING:
                words = line.split(b" ", 2)
                if words[0] == b"PING" or (len(words) > 1 and words[1] == b"PING"):
                    self._answer_pings(client, line)
                elif len(words) > 1 and words[1] == b"001":
                    client.state = READY
                    self.registered += 1
                    if self.on_ready is not None:
                        self.on_ready(client)
            elif b" JOIN " in line:
                self.joins += 1

    def _answer_pings(self, client: Client, data: bytes) -> None:
        for line in data.split(b"\n"):
            line = line.rstrip(b"\r")
            if line.startswith(b":"):
                line = line.partition(b" ")[2]
            if line.startswith(b"PING "):
                self.pings += 1
                self._send(client, b"PONG " + line[5:] + b"\r\n")

    def _probe(self, data: bytes, end: int, marker: bytes) -> None:
        """Latency of each phase message in this chunk: now minus the send time it carries."""
        arrived = now_ns()
        size = len(marker)
        index = data.find(marker, 0, end)
        while index >= 0:
            start = index + size
            stop = data.find(b" ", start, end)
            self.latencies.append((arrived - int(data[start:stop])) // 1000)
            index = data.find(marker, stop, end)

    def _loop(self, done: Callable[[], bool], deadline: float,
              tick: Callable[[float], float] | None = None, quiet: float | None = None) -> bool:
        """Run the event loop until done() (True) or the deadline (False).

        `tick(now)` runs each turn and returns seconds until it wants to run
        again; `quiet` ends the loop when nothing has arrived for that long.
        """
        clients, poll = self.clients, self.ep.poll
        last, last_change = self.received, monotonic()
        while True:
            now = monotonic()
            if done():
                return True
            if now >= deadline:
                return False
            timeout = min(POLL_MAX, deadline - now)
            if tick is not None:
                timeout = max(0.0, min(timeout, tick(now)))
            if quiet is not None:
                if self.received != last:
                    last, last_change = self.received, now
                elif now - last_change > quiet:
                    return False
            for fd, events in poll(timeout):
                client = clients.get(fd)
                if client is None:
                    continue
                if events & OUT:
                    self._on_writable(client)
                    if client.state == CLOSED:
                        continue
                if events & ~OUT:
                    self._on_readable(client)

    # --- commands -----------------------------------------------------------
    def cmd_connect(self, count: int, prefix: str, probes: int = 0, pending: int = 200,
                    timeout: float = 120.0, join: bool = False) -> dict[str, Any]:
        """Open `count` clients (at most `pending` registering at once) and register them."""
        self.on_ready = (lambda c: self._send(c, b"JOIN #lobby\r\n")) if join else None
        start_reg, start_fail = self.registered, self.failed
        opened = 0
        new: list[Client] = []

        def progress() -> int:
            return self.registered - start_reg + self.failed - start_fail

        def tick(now: float) -> float:
            nonlocal opened
            while opened < count and opened - progress() < pending:
                nick = b"%s%dx%d" % (prefix.encode(), self.index, opened)
                client = self._open(nick, probe=opened >= count - probes)
                opened += 1
                if client is not None:
                    new.append(client)
            return POLL_MAX

        started = monotonic()
        self._loop(lambda: opened >= count and progress() >= count, started + timeout, tick)
        ready = [c for c in new if c.state == READY]
        self.lobby.extend(ready)
        self.on_ready = None
        return {"registered": len(ready), "failed": count - len(ready), "seconds": monotonic() - started}

    def cmd_sync(self, token: str, send: bool, timeout: float = 120.0) -> dict[str, Any]:
        """A barrier: one client says `token` to the room; wait until every other one has it.

        Lines reach each client in order, so once a client has the token it has
        everything the server queued for it before (JOIN storms included).
        """
        self.sync = token.encode()
        members = [c for c in self.lobby if c.state == READY]
        for client in members:
            client.synced = False
        if send and members:
            members[0].synced = True
            self._send(members[0], b"PRIVMSG #lobby :%s\r\n" % self.sync)
        started = monotonic()
        ok = self._loop(lambda: all(c.synced or c.state != READY for c in members), started + timeout)
        self.sync = None
        return {"synced": sum(c.synced for c in members), "members": len(members), "ok": ok,
                "joins": self.joins, "seconds": monotonic() - started}

    def cmd_phase(self, tag: str, senders: int, per_sender: int, total: int, rate: float | None,
                  pad: int = 16, timeout: float = 60.0, quiet: float = QUIET) -> dict[str, Any]:
        """Senders send `per_sender` messages each (paced at `rate` msg/s, or flat out when None);
        every registered client expects all `total` messages of the phase but its own."""
        members = [c for c in self.lobby if c.state == READY]
        talkers = members[:senders]
        marker = b" :%s " % tag.encode()
        for client in members:
            client.hits = 0
        expected = sum(total - (per_sender if c in talkers else 0) for c in members)
        self.marker, self.received, self.latencies = marker, 0, array("q")
        self.count_joins = False
        lost_before = self.lost
        filler = b"x" * pad
        body = b"PRIVMSG #lobby :%s %%d %%s %s\r\n" % (tag.encode(), filler)
        quota = per_sender * len(talkers)
        sent = 0
        started = monotonic()
        if rate is None:
            for client in talkers:
                nick = client.nick
                self._send(client, b"".join(body % (now_ns(), nick) for _ in range(per_sender)))
            sent = quota
            tick = None
        else:
            interval = 1.0 / rate if rate > 0 else 0.0
            due = started

            def tick(now: float) -> float:
                nonlocal sent, due
                while sent < quota and now >= due:
                    client = talkers[sent % len(talkers)]
                    self._send(client, body % (now_ns(), client.nick))
                    sent += 1
                    due += interval
                return due - now if sent < quota else POLL_MAX

        ok = self._loop(lambda: sent >= quota and self.received >= expected,
                        started + timeout, tick, quiet=quiet)
        seconds = monotonic() - started
        self.marker, self.count_joins = None, True
        return {"expected": expected, "received": self.received, "sent": sent, "ok": ok,
                "seconds": seconds, "closed": self.lost - lost_before,
                "latencies": self.latencies.tobytes()}

    def cmd_idle(self, seconds: float, check_timeout: float = 20.0) -> dict[str, Any]:
        """Stay connected `seconds`, answering the server's PINGs; then PING each client once."""
        pings = self.pings
        members = [c for c in self.lobby if c.state == READY]
        self._loop(lambda: False, monotonic() + seconds)
        alive = [c for c in members if c.state == READY]
        self.want_pongs = True
        for client in alive:
            client.ponged = False
            self._send(client, b"PING :alive\r\n")
        self._loop(lambda: all(c.ponged or c.state != READY for c in alive), monotonic() + check_timeout)
        self.want_pongs = False
        return {"members": len(members), "alive": sum(c.ponged and c.state == READY for c in alive),
                "pings_answered": self.pings - pings}

    def cmd_churn(self, cycles: int, concurrency: int, prefix: str, timeout: float = 120.0) -> dict[str, Any]:
        """`cycles` times: connect, register, QUIT, wait for the server to close; `concurrency` at once."""
        done_before, failed_before = self.completed, self.failed
        opened = 0

        def quit_now(client: Client) -> None:
            client.state = QUITTING
            self._send(client, b"QUIT :churn\r\n")

        def finished() -> int:
            return self.completed - done_before + self.failed - failed_before

        def tick(now: float) -> float:
            nonlocal opened
            while opened < cycles and opened - finished() < concurrency:
                self.serial += 1
                self._open(b"%s%dx%d" % (prefix.encode(), self.index, self.serial))
                opened += 1
            return POLL_MAX

        self.on_ready = quit_now
        started = monotonic()
        self._loop(lambda: opened >= cycles and finished() >= cycles, started + timeout, tick)
        self.on_ready = None
        return {"completed": self.completed - done_before, "failed": self.failed - failed_before,
                "seconds": monotonic() - started}

    def cmd_close(self) -> dict[str, Any]:
        for client in list(self.clients.values()):
            client.state = CLOSED
            self.ep.unregister(client.fd)
            client.sock.close()
        self.clients.clear()
        self.lobby.clear()
        return {}


def _worker_main(conn: Any, index: int, host: str, port: int, cpus: set[int], tls: ssl.SSLContext | None) -> None:
    procstat.pin(0, cpus)
    worker = Worker(index, host, port, tls)
    while True:
        command, kwargs = conn.recv()
        if command == "stop":
            break
        cpu = procstat.own_cpu()
        try:
            result = getattr(worker, "cmd_" + command)(**kwargs)
        except Exception:
            result = {"error": traceback.format_exc()}
        result["cpu"] = procstat.own_cpu() - cpu
        conn.send(result)
    worker.cmd_close()
    conn.close()


@dataclass
class Pool:
    """Worker processes, each with its share of the clients; commands go to all at once.

    With `tls` every client speaks TLS, trusting what that context trusts
    (the workers are forked, so the context is inherited, not pickled).
    """

    host: str
    port: int
    workers: int
    cpus: set[int]
    tls: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        ctx = multiprocessing.get_context("fork")
        self._pipes = []
        self._procs = []
        for index in range(self.workers):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, args=(theirs, index, self.host, self.port, self.cpus, self.tls),
                               daemon=True)
            proc.start()
            theirs.close()
            self._pipes.append(ours)
            self._procs.append(proc)

    def run(self, command: str, kwargs: list[dict[str, Any]] | dict[str, Any], timeout: float = 600.0
            ) -> list[dict[str, Any]]:
        """Send `command` to every worker (kwargs per worker, or the same for all); gather the answers."""
        if isinstance(kwargs, dict):
            kwargs = [kwargs] * self.workers
        for pipe, args in zip(self._pipes, kwargs):
            pipe.send((command, args))
        results = []
        for pipe in self._pipes:
            if not pipe.poll(timeout):
                raise TimeoutError(f"worker did not answer {command} in {timeout} s")
            result = pipe.recv()
            if "error" in result:
                raise RuntimeError(f"worker failed in {command}:\n{result['error']}")
            results.append(result)
        return results

    def close(self) -> None:
        for pipe in self._pipes:
            try:
                pipe.send(("stop", {}))
            except OSError:
                pass
        for proc in self._procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(1)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def split(total: int, parts: int) -> list[int]:
    """`total` spread over `parts` as evenly as possible."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]
