"""RedisLink: one node's connection to Redis, and what to do when it goes away.

Two greenlets. The publisher writes the backlog (backlog.py) in order, a
batch at a time, each batch one fenced APPEND script (scripts.py): every
line and directory change a node makes reaches the streams in the order it
was made. The reader (re)connects with capped backoff, lets the node
re-sync, then reads the node's streams with XREAD from where it left off,
so nothing written while it was paused, busy or reconnecting is missed.

While Redis is away (`connected` False) the backlog keeps what local users
say, bounded; nick claims are checked locally by the registry. When Redis
refuses a write because this run of the node was declared dead or its name
taken (`fenced`), nothing more is written until the node has joined again.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import gevent
import redis
from gevent.event import Event
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from ..config import NetworkConfig
from . import scripts
from .backlog import Backlog, Item
from .identity import Identity
from .keys import Keys
from .reader import Entry, StreamOrder

log = logging.getLogger("geventchat")

DEAD = "dead"  # fenced: the network declared this run dead
TAKEN = "taken"  # fenced: another run holds this node's name


class RedisLink:
    def __init__(self, settings: NetworkConfig, identity: Identity, keys: Keys) -> None:
        assert settings.redis
        self.settings = settings
        self.url = url = settings.redis
        self.identity = identity
        self.keys = keys
        # Bounded and blocking: a thousand clients registering at once wait their
        # turn for one of the pool's connections instead of failing the pool.
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=settings.redis_pool_size, timeout=settings.redis_pool_wait,
            socket_timeout=settings.redis_command_timeout, socket_connect_timeout=settings.redis_connect_timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self.redis = redis.Redis(connection_pool=pool)
        # The reader's own connection: a blocked XREAD waits at most redis_poll, so
        # its timeout bounds a Redis that stops answering.
        self._reader = redis.Redis.from_url(
            url, socket_timeout=settings.redis_poll + settings.redis_command_timeout,
            socket_connect_timeout=settings.redis_connect_timeout, retry=Retry(NoBackoff(), 0),
        )
        self.claim_node_script = self.redis.register_script(scripts.CLAIM_NODE)
        self.beat_script = self.redis.register_script(scripts.BEAT)
        self.reap_script = self.redis.register_script(scripts.REAP)
        self.leave_script = self.redis.register_script(scripts.LEAVE)
        self.snapshot_script = self.redis.register_script(scripts.SNAPSHOT)
        self._claim = self.redis.register_script(scripts.CLAIM)
        self._append = self.redis.register_script(scripts.APPEND)
        self.backlog = Backlog(settings.redis_buffer_bytes, settings.redis_buffer_time, settings.redis_replay)
        self.order = StreamOrder()
        self.connected = False  # a working connection to Redis
        self.ready = False  # connected and re-synced: the publisher may write
        self.fenced: str | None = None  # DEAD or TAKEN: nothing is written until the node joined again
        self.joined_once = False
        self.connected_since = 0.0
        self.redis_run: str | None = None  # Redis's run_id: a new one means it restarted
        self.settled = Event()  # the first join is done (or refused)
        # set by the node
        self.on_connected: Callable[[bool, bool], None] = lambda first, restarted: None
        self.on_entries: Callable[[list[Entry], bool], None] = lambda entries, caught_up: None
        self.on_fenced: Callable[[str], None] = lambda why: None
        self.streams: Callable[[], set[str]] = set
        self.wants_catch_up: Callable[[], bool] = lambda: False
        # set by the metrics edge: a batch was written; its oldest entry waited this long
        self.on_sent: Callable[[float], None] = lambda lag: None
        self._seqs: dict[str, int] = {}
        self._seq_epoch = ""
        self._wake = Event()
        self._idle = Event()
        self._idle.set()
        self._reset = False
        self._closing = False
        self._outage_logged = False
        self._greenlets: list[gevent.Greenlet] = []

    @property
    def online(self) -> bool:
        """Redis answers and accepts our writes: nick claims go to it."""
        return self.connected and self.fenced is None

    # --- life -------------------------------------------------------------

    def start(self) -> None:
        self._greenlets = [gevent.spawn(self._run), gevent.spawn(self._publish_loop)]

    def flush(self, timeout: float) -> None:
        """Wait (bounded) until what is pending has been written."""
        self._idle.wait(timeout)

    def close(self) -> None:
        self._closing = True
        self._reset = True
        gevent.killall(self._greenlets, block=True, timeout=1)

    def lost(self, error: Exception) -> None:
        """Redis failed somewhere: go offline (once) and let the reader reconnect."""
        self._reset = True
        self.ready = False
        if self.connected:
            self.connected = False
            self.backlog.link_down(time.time())
        if not self._outage_logged and not self._closing:
            self._outage_logged = True
            log.warning("Redis at %s unreachable (%s): local chat goes on; reconnecting", self.url, error)

    def fence(self, why: str, epoch: str) -> None:
        """Redis refused `epoch`: stop writing until the node has joined again (or stops, for TAKEN).

        A verdict about an epoch we have already left behind (a reply that was
        on its way while the node joined again) is old news and ignored.
        """
        if epoch != self.identity.epoch or self.fenced == why or self.fenced == TAKEN:
            return
        self.fenced = why
        self.on_fenced(why)

    def unfence(self) -> None:
        self.fenced = None
        self._wake.set()

    # --- what the registry and bus call ------------------------------------

    def append(self, item: Item) -> bool:
        """Queue an entry (and its ops) for the streams; False when a bound dropped it."""
        if not self.backlog.add(item, time.time()):
            return False
        self._idle.clear()
        self._wake.set()
        return True

    def claim(self, folded: str, uid: str) -> str | None:
        """The uid now holding `folded` (ours if we got it); None if Redis could not say."""
        try:
            return self.claim_or_raise(folded, uid)
        except RedisError as error:
            self.lost(error)
            return None

    def claim_or_raise(self, folded: str, uid: str) -> str | None:
        epoch = self.identity.epoch
        status, value = self._claim(args=self._claim_args(folded, uid))
        if status == b"fenced":
            self.fence(value.decode(), epoch)
            return None
        return value.decode()

    def _claim_args(self, folded: str, uid: str) -> list:
        identity = self.identity
        return [self.keys.prefix, identity.name, identity.epoch, self.ttl_ms, folded, uid]

    def claim_many(self, pairs: list[tuple[str, str]]) -> list[str | None]:
        """Claim several nicks in one round trip (re-claiming after a reconnect)."""
        epoch = self.identity.epoch
        pipe = self.redis.pipeline(transaction=False)
        for folded, uid in pairs:
            self._claim(args=self._claim_args(folded, uid), client=pipe)
        owners: list[str | None] = []
        for status, value in pipe.execute():
            if status == b"fenced":
                self.fence(value.decode(), epoch)
                owners.append(None)
            else:
                owners.append(value.decode())
        return owners

    @property
    def ttl_ms(self) -> int:
        return int(self.settings.node_timeout * 1000)

    @property
    def keep_ms(self) -> int:
        return int(self.settings.redis_stream_keep * 1000)

    @property
    def outbox_depth(self) -> int:
        """Entries waiting to be written to Redis (the backlog while it is away)."""
        return len(self.backlog.pending)

    # --- greenlets -------------------------------------------------------

    def _publish_loop(self) -> None:
        backlog = self.backlog
        while not self._closing:
            if not (self.ready and self.fenced is None and backlog.pending):
                if not backlog.pending:
                    self._idle.set()
                self._wake.clear()
                self._wake.wait()
                continue
            batch = backlog.take(self.settings.redis_batch)
            epoch = self.identity.epoch
            try:
                result = self._append(args=self._append_args(batch))
            except RedisError as error:
                backlog.put_back(batch)
                self.lost(error)
                continue
            except Exception:
                log.exception("bug writing %d entries to Redis; dropped", len(batch))
                continue
            if result[0] == b"ok":
                now = time.time()
                backlog.written(batch, now)
                self.on_sent(max(0.0, now - batch[0].at))
            else:
                backlog.put_back(batch)
                self.fence(result[0].decode(), epoch)

    def _append_args(self, batch: list[Item]) -> list:
        identity = self.identity
        epoch = identity.epoch
        if epoch != self._seq_epoch:
            self._seqs = {}
            self._seq_epoch = epoch
        seqs = self._seqs
        args: list = [self.keys.prefix, identity.name, epoch, self.ttl_ms, self.settings.redis_stream_maxlen,
                      self.keep_ms, len(batch)]
        for item in batch:
            streams = item.streams
            if item.epoch != epoch and streams:
                numbers = []
                for stream in streams:
                    number = seqs.get(stream, 0) + 1
                    seqs[stream] = number
                    numbers.append(number)
                item.seqs = tuple(numbers)
                item.epoch = epoch
            args.append(len(streams))
            for stream, number in zip(streams, item.seqs):
                args.append(stream)
                args.append(number)
            args.append(item.message)
            args.append(item.op_count)
            args.extend(item.ops)
        return args

    def _run(self) -> None:
        delay = self.settings.redis_retry_min
        while not self._closing:
            try:
                self._connect()
                if self.fenced == TAKEN:
                    break  # the node stops: another run holds our name
                delay = self.settings.redis_retry_min
                self._read_loop()
            except RedisError as error:
                self.lost(error)
            except Exception:
                log.exception("bug in the link to Redis; reconnecting")
                self.lost(RedisError("internal error"))
            self.ready = False
            if self._closing:
                break
            gevent.sleep(delay)
            delay = min(delay * 2, self.settings.redis_retry_max)

    def _connect(self) -> None:
        run = self.redis.info("server")["run_id"]
        restarted = self.redis_run is not None and run != self.redis_run
        self._reset = False
        self.connected = True
        self.connected_since = time.time()
        self.backlog.link_up()
        if restarted:
            replayed = self.backlog.replay()
            log.warning("Redis at %s restarted: %d recent entries written again", self.url, replayed)
        first = not self.joined_once
        self.on_connected(first, restarted)
        self.redis_run = run
        if self.fenced == TAKEN:
            self.settled.set()
            return
        self.joined_once = True
        self.ready = True
        self._wake.set()
        self.settled.set()
        if self._outage_logged:
            log.warning("Redis at %s is back: nicks re-claimed, reading on from where we were", self.url)
        self._outage_logged = False

    def _read_loop(self) -> None:
        """Read every stream at once, then wait for more; one round trip per wake.

        A blocked XREAD is woken by one stream and answers with that stream
        alone, which could hand over a sender's channel line before its
        earlier private line; so the wait only wakes us, and the entries always
        come from one non-blocking read of all streams, one consistent view.
        That read and the next wait (`XREAD BLOCK ... $`: what comes after it)
        go in one packet, which Redis runs back to back: nothing written
        between them is missed, and a wake costs one round trip. A read cut
        short by COUNT cancels the wait it sent (CLIENT UNBLOCK) and reads on.
        """
        count = self.settings.redis_read_count
        block = int(self.settings.redis_poll * 1000)
        pool = self._reader.connection_pool
        conn = pool.get_connection("XREAD")
        own = self.identity.name.encode()
        try:
            conn.send_command("CLIENT", "ID")
            me = conn.read_response()
            while not self._reset:
                positions = self.order.watch(s.encode() for s in self.streams())
                keys = list(positions)
                read = ("XREAD", "COUNT", count, "STREAMS", *keys, *(positions[k] for k in keys))
                catching_up = self.fenced is not None or self.wants_catch_up()
                if catching_up:
                    conn.send_command(*read)
                else:
                    wait = ("XREAD", "COUNT", 1, "BLOCK", block, "STREAMS", *keys, *("$" for _ in keys))
                    conn.send_packed_command(conn.pack_commands([read, wait]))
                entries, whole = self.order.order(conn.read_response(), count, own)
                if not catching_up and not whole:
                    self.redis.client_unblock(me)  # more is waiting: no need to wait
                self.on_entries(entries, whole and not entries)
                if not catching_up:
                    conn.read_response()  # the wait's answer (or nothing): only a wake
                if self.fenced == TAKEN:
                    return
                if catching_up and whole and not entries:
                    gevent.sleep(self.settings.redis_poll / 10)  # a step is still due: never spin
        except BaseException:
            conn.disconnect()
            raise
        finally:
            pool.release(conn)

