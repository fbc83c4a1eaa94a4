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
once the socket is ready. With WebSocket (`--websocket`) they open the web
listener's upgrade first, send each line as a masked frame and count lines
in the server's frames (wsclient.py).

A client may be given a channel to JOIN after 001 (`--channels`, `--join`):
it counts as ready once the server has echoed its JOIN, so a barrier that
follows cannot overtake a JOIN still in flight.
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

from . import procstat, wsclient

RECV_SIZE = 65536  # under glibc's mmap threshold: no mmap/munmap per recv
IN, OUT = select.EPOLLIN, select.EPOLLOUT
CONNECTING, REGISTERING, READY, QUITTING, CLOSED, HANDSHAKING, UPGRADING, JOINING = range(8)
JOIN_REFUSED = frozenset({b"403", b"405", b"471", b"473", b"474", b"475", b"476", b"477"})
"""Numerics that answer a JOIN with no: the client has failed, rather than waiting out the timeout."""
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

    __slots__ = ("sock", "fd", "nick", "room", "target", "state", "partial", "out", "hits", "probe", "synced",
                 "ponged", "retry")

    def __init__(self, sock: socket.socket, nick: bytes, probe: bool, room: bytes | None = None) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.nick = nick
        self.room = room  # the channel to JOIN after 001; None: the server puts it in the lobby
        self.target = room or b"#lobby"  # where it talks
        self.state = CONNECTING
        self.partial = b""  # a line (TCP) or a frame (WebSocket) not yet whole
        self.out = bytearray()
        self.hits = 0  # phase messages received
        self.probe = probe
        self.synced = False
        self.ponged = False
        self.retry = 0  # TLS: bytes of a write OpenSSL has begun and must be given again


class Worker:
    """One process's share of the clients and the loop that drives them."""

    def __init__(self, index: int, host: str, port: int, tls: ssl.SSLContext | None = None,
                 websocket: bool = False) -> None:
        self.index = index
        self.address = (host, port)
        self.tls = tls
        self.websocket = websocket
        if tls is not None and websocket:
            raise ValueError("the generator speaks WebSocket over plain TCP only")
        if tls is not None:
            self._send = self._send_tls
            self._read = self._read_tls
        if websocket:
            self._send = self._send_ws
            self._whole = wsclient.whole
            self._lines = self._ws_lines
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
    def _open(self, nick: bytes, probe: bool = False, room: bytes | None = None) -> Client | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = sock.connect_ex(self.address)
        if err not in (0, errno.EINPROGRESS):
            sock.close()
            self.failed += 1
            return None
        client = Client(sock, nick, probe, room)
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
            if self.websocket:
                client.state = UPGRADING
                self.ep.modify(client.fd, IN)
                Worker._send(self, client, wsclient.upgrade_request(*self.address))
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

    # --- WebSocket ---------------------------------------------------------------
    def _send_ws(self, client: Client, data: bytes) -> None:
        Worker._send(self, client, wsclient.frame_lines(data))

    def _upgraded(self, client: Client) -> None:
        """Read the answer to the upgrade; on 101 the client registers over frames."""
        data = Worker._read(self, client)
        if data is None:
            return
        if not data:
            self._close(client)
            return
        accepted, rest = wsclient.upgrade_answer(client.partial + data)
        if accepted is None:
            client.partial = rest
            return
        if not accepted:
            self._close(client)
            return
        client.partial = rest  # frames already here (the server says nothing before NICK, so none)
        client.state = REGISTERING
        self._register(client)

    @staticmethod
    def _ws_lines(data: bytes) -> bytes:
        """Whole frames -> their lines, one per `\n`, for the few readers that look at lines."""
        lines, _ = wsclient.read_frames(data)
        return b"\n".join(lines) + b"\n" if lines else b""

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
    @staticmethod
    def _whole(data: bytes) -> int:
        """Where the last whole line ends (WebSocket: the last whole frame)."""
        return data.rfind(b"\n") + 1

    @staticmethod
    def _lines(data: bytes) -> bytes:
        """Whole lines as lines (WebSocket: frames turned into lines)."""
        return data

    def _read(self, client: Client) -> bytes | None:
        """What arrived (b"" once the peer has closed, or on an error); None when nothing is there now."""
        try:
            return client.sock.recv(RECV_SIZE)
        except BlockingIOError:
            return None
        except OSError:
            return b""

    def _on_readable(self, client: Client) -> None:
        state = client.state
        if state == HANDSHAKING:
            self._handshake(client)
            return
        if state == UPGRADING:
            self._upgraded(client)
            return
        data = self._read(client)
        if data is None:
            return
        if not data:
            self._close(client)
            return
        if client.partial:
            data = client.partial + data
        end = self._whole(data)
        client.partial = data[end:]
        if not end:
            return
        if state == REGISTERING or state == JOINING:
            self._registering(client, self._lines(data[:end]))
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
            self._answer_pings(client, self._lines(data[:end]))
        if self.sync is not None and not client.synced and data.find(self.sync, 0, end) >= 0:
            client.synced = True
        if self.want_pongs and not client.ponged and data.find(b" PONG ", 0, end) >= 0:
            client.ponged = True

    def _registering(self, client: Client, data: bytes) -> None:
        """Read lines until 001 (and, with a channel to join, until the server echoes the JOIN);
        answer PINGs some servers send before it."""
        for line in data.split(b"\n"):
            state = client.state
            if state == REGISTERING or state == JOINING:
                words = line.split(b" ", 2)
                if words[0] == b"PING" or (len(words) > 1 and words[1] == b"PING"):
                    self._answer_pings(client, line)
                    continue
            if state == REGISTERING:
                if len(words) > 1 and words[1] == b"001":
                    if client.room is None:
                        self._ready(client)
                    else:
                        client.state = JOINING
                        self._send(client, b"JOIN %s\r\n" % client.room)
            elif b" JOIN " in line:
                self.joins += 1
                if state == JOINING and line.startswith(b":%s!" % client.nick):
                    self._ready(client)
            elif state == JOINING and len(words) > 1 and words[1] in JOIN_REFUSED:
                self._close(client)
                return

    def _ready(self, client: Client) -> None:
        client.state = READY
        self.registered += 1
        if self.on_ready is not None:
            self.on_ready(client)

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
                    timeout: float = 120.0, join: bool = False, channels: int = 0, stride: int = 1
                    ) -> dict[str, Any]:
        """Open `count` clients (at most `pending` registering at once) and register them.

        With `channels`, the client this worker opens j-th is client
        `j * stride + index` of all workers, and JOINs `#chanK`, K that number
        modulo `channels`: consecutive clients, and so the senders (the first
        few of each worker), land in different channels. With `join` (and no
        `channels`) every client JOINs #lobby itself.
        """
        start_reg, start_fail = self.registered, self.failed
        opened = 0
        new: list[Client] = []

        def progress() -> int:
            return self.registered - start_reg + self.failed - start_fail

        def tick(now: float) -> float:
            nonlocal opened
            while opened < count and opened - progress() < pending:
                nick = b"%s%dx%d" % (prefix.encode(), self.index, opened)
                room = (b"#chan%d" % ((opened * stride + self.index) % channels) if channels
                        else b"#lobby" if join else None)
                client = self._open(nick, probe=opened >= count - probes, room=room)
                opened += 1
                if client is not None:
                    new.append(client)
            return POLL_MAX

        started = monotonic()
        self._loop(lambda: opened >= count and progress() >= count, started + timeout, tick)
        ready = [c for c in new if c.state == READY]
        self.lobby.extend(ready)
        return {"registered": len(ready), "failed": count - len(ready), "seconds": monotonic() - started}

    def cmd_sync(self, token: str, senders: int, timeout: float = 120.0) -> dict[str, Any]:
        """A barrier: the first `senders` clients say `token` where they talk (one per channel, over
        all workers); wait until every other one has it.

        Lines reach each client in order, so once a client has the token it has
        everything the server queued for it before (JOIN storms included).
        """
        self.sync = token.encode()
        members = [c for c in self.lobby if c.state == READY]
        for client in members:
            client.synced = False
        for client in members[:senders]:
            client.synced = True
            self._send(client, b"PRIVMSG %s :%s\r\n" % (client.target, self.sync))
        started = monotonic()
        ok = self._loop(lambda: all(c.synced or c.state != READY for c in members), started + timeout)
        self.sync = None
        return {"synced": sum(c.synced for c in members), "members": len(members), "ok": ok,
                "joins": self.joins, "seconds": monotonic() - started}

    def cmd_phase(self, tag: str, senders: int, per_sender: int, totals: dict[str, int], rate: float | None,
                  pad: int = 16, timeout: float = 60.0, quiet: float = QUIET) -> dict[str, Any]:
        """Senders send `per_sender` messages each where they talk (paced at `rate` msg/s, or flat out
        when None); every registered client expects all the phase's messages to its channel
        (`totals`, by channel, over all workers) but its own."""
        members = [c for c in self.lobby if c.state == READY]
        talkers = members[:senders]
        marker = b" :%s " % tag.encode()
        for client in members:
            client.hits = 0
        expected = sum(totals.get(c.target.decode(), 0) - (per_sender if c in talkers else 0) for c in members)
        self.marker, self.received, self.latencies = marker, 0, array("q")
        self.count_joins = False
        lost_before = self.lost
        filler = b"x" * pad
        body = b"PRIVMSG %%s :%s %%d %%s %s\r\n" % (tag.encode(), filler)
        quota = per_sender * len(talkers)
        sent = 0
        started = monotonic()
        if rate is None:
            for client in talkers:
                nick, target = client.nick, client.target
                self._send(client, b"".join(body % (target, now_ns(), nick) for _ in range(per_sender)))
            sent = quota
            tick = None
        else:
            interval = 1.0 / rate if rate > 0 else 0.0
            due = started

            def tick(now: float) -> float:
                nonlocal sent, due
                while sent < quota and now >= due:
                    client = talkers[sent % len(talkers)]
                    self._send(client, body % (client.target, now_ns(), client.nick))
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


def _worker_main(conn: Any, index: int, host: str, port: int, cpus: set[int], tls: ssl.SSLContext | None,
                 websocket: bool) -> None:
    procstat.pin(0, cpus)
    worker = Worker(index, host, port, tls, websocket)
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
    (the workers are forked, so the context is inherited, not pickled); with
    `websocket`, IRC over WebSocket to a web listener.
    """

    host: str
    port: int
    workers: int
    cpus: set[int]
    tls: ssl.SSLContext | None = None
    websocket: bool = False

    def __post_init__(self) -> None:
        ctx = multiprocessing.get_context("fork")
        self._pipes = []
        self._procs = []
        for index in range(self.workers):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, daemon=True, args=(
                theirs, index, self.host, self.port, self.cpus, self.tls, self.websocket))
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
