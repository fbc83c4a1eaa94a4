"""RedisLink: one node's connection to Redis, and what to do when it goes away.

Two redis-py clients (commands, and a subscription that may sit idle), an
ordered outbox drained by one greenlet through pipelines (so every line and
directory change a node sends reaches the others in the order it was sent),
and a subscriber greenlet that reconnects with capped backoff. While Redis is
away `connected` is False: the outbox drops instead of queueing (the state is
rebuilt on reconnect), nick claims are checked locally, local chat goes on.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from typing import Callable

import gevent
import redis
from gevent.event import Event
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from ..config import NetworkConfig
from ..core.state import User
from . import envelope as E
from . import scripts
from .keys import Keys
from .records import to_record, uid_prefix

log = logging.getLogger("geventchat")

Op = Callable[[object], None]  # adds commands to a pipeline


class RedisLink:
    def __init__(self, settings: NetworkConfig, node: str, keys: Keys) -> None:
        assert settings.redis
        self.settings = settings
        self.url = url = settings.redis
        self.node = node
        self.keys = keys
        self.retry_max = settings.redis_retry_max
        # Bounded and blocking: a thousand clients registering at once wait their
        # turn for one of the pool's connections instead of failing the pool.
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=settings.redis_pool_size, timeout=settings.redis_pool_wait,
            socket_timeout=settings.redis_command_timeout, socket_connect_timeout=settings.redis_connect_timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self.redis = redis.Redis(connection_pool=pool)
        # Reads on the subscription happen only once data is there (get_message polls),
        # so its timeout only bounds a Redis that hangs mid-reply or on a health check.
        self._sub_client = redis.Redis.from_url(
            url, socket_timeout=settings.redis_subscription_timeout,
            socket_connect_timeout=settings.redis_connect_timeout,
            retry=Retry(NoBackoff(), 0), health_check_interval=10,
        )
        self._claim = self.redis.register_script(scripts.CLAIM)
        self._release = self.redis.register_script(scripts.RELEASE)
        self.take_over_script = self.redis.register_script(scripts.TAKE_OVER)
        self.reap_script = self.redis.register_script(scripts.REAP)
        self.connected = False
        self.connected_since = 0.0
        self.on_connected: Callable[[], None] = lambda: None
        self.on_message: Callable[[bytes], None] = lambda data: None
        self.on_sent: Callable[[float], None] = lambda lag: None  # a pipeline went out; its oldest item waited this long
        self._outbox: deque = deque()
        self._waiting_since = 0.0  # when the outbox's oldest item was queued (at least that recent)
        self._wake = Event()
        self._idle = Event()
        self._idle.set()
        self._reset = False
        self._closing = False
        self._outage_logged = False
        self._greenlets: list[gevent.Greenlet] = []

    # --- life -------------------------------------------------------------

    def start(self) -> None:
        self._greenlets = [gevent.spawn(self._subscribe_loop), gevent.spawn(self._publish_loop)]

    def flush(self, timeout: float) -> None:
        """Wait (bounded) until what is in the outbox has been sent."""
        self._idle.wait(timeout)

    def close(self) -> None:
        self._closing = True
        self._reset = True
        gevent.killall(self._greenlets, block=True, timeout=1)

    def lost(self, error: Exception) -> None:
        """Redis failed somewhere: go offline (once) and let the subscriber reconnect."""
        self._reset = True
        if self.connected:
            self.connected = False
            self._outbox.clear()
            self._idle.set()
        if not self._outage_logged and not self._closing:
            self._outage_logged = True
            log.warning("Redis at %s unreachable (%s): local chat goes on; reconnecting", self.url, error)

    # --- what the registry and bus call ------------------------------------

    def claim(self, folded: str, uid: str) -> str | None:
        """The uid now holding `folded` (ours if we got it); None if Redis failed."""
        try:
            return self.claim_or_raise(folded, uid)
        except RedisError as error:
            self.lost(error)
            return None

    def claim_or_raise(self, folded: str, uid: str) -> str:
        result = self._claim(keys=[self.keys.nick(folded), self.keys.held(self.node)], args=[uid, folded])
        return uid if result == 1 else result.decode()

    def restart(self) -> None:
        """Drop the subscription and run the (re)connect steps again, without an outage."""
        self._reset = True

    def release(self, folded: str, uid: str) -> None:
        keys = [self.keys.nick(folded), self.keys.held(self.node)]
        self.queue(lambda pipe: self._release(keys=keys, args=[uid, folded], client=pipe))

    def release_now(self, folded: str) -> None:
        """Free a nick if this node still holds it in Redis, whichever of its uids."""
        owner = self.redis.get(self.keys.nick(folded))
        uid = owner.decode() if owner else ""
        if not uid.startswith(uid_prefix(self.node)):
            uid = ""  # someone else's now: only drop it from our held set
        self._release(keys=[self.keys.nick(folded), self.keys.held(self.node)], args=[uid, folded])

    def user_changed(self, user: User, kind: str = E.ADD) -> None:
        """A local user registered, changed nick, went away: the directory and every node hear of it."""
        record = to_record(user)
        users_key = self.keys.users(self.node)
        data = json.dumps(record)
        if kind == E.NICK:
            message = E.encode(self.node, E.NICK, {"u": user.uid, "n": user.nick})
        else:
            message = E.encode(self.node, E.ADD, {"user": record})
        broadcast = self.keys.broadcast

        def op(pipe) -> None:
            pipe.hset(users_key, user.uid, data)
            pipe.publish(broadcast, message)

        self.queue(op)

    def user_gone(self, user: User) -> None:
        users_key = self.keys.users(self.node)
        message = E.encode(self.node, E.DEL, {"u": user.uid})
        broadcast = self.keys.broadcast

        def op(pipe) -> None:
            pipe.hdel(users_key, user.uid)
            pipe.publish(broadcast, message)

        self.queue(op)

    def send(self, channel: str, data: bytes) -> None:
        self.queue((channel, data))

    @property
    def outbox_depth(self) -> int:
        """Items waiting to be sent to Redis."""
        return len(self._outbox)

    def queue(self, item: Op | tuple[str, bytes]) -> None:
        """Append to the outbox; a Redis that cannot keep up is treated as gone (bounded memory)."""
        if not self.connected:
            return
        limit = self.settings.redis_outbox_limit
        waiting = len(self._outbox)
        if waiting >= limit:
            self.lost(RedisError(f"more than {limit} items waiting to be sent"))
            return
        if not waiting:
            self._waiting_since = time.monotonic()
        self._outbox.append(item)
        self._idle.clear()
        self._wake.set()

    # --- greenlets -------------------------------------------------------

    def _publish_loop(self) -> None:
        outbox = self._outbox
        while True:
            if not outbox:
                self._idle.set()
                self._wake.clear()
                self._wake.wait()
                continue
            pipe = self.redis.pipeline(transaction=False)
            since = self._waiting_since
            for _ in range(min(self.settings.redis_batch, len(outbox))):
                item = outbox.popleft()
                if type(item) is tuple:
                    pipe.publish(*item)
                else:
                    item(pipe)
            if outbox:  # what is left waited at least from now on
                self._waiting_since = time.monotonic()
            try:
                pipe.execute()
                self.on_sent(time.monotonic() - since)
            except RedisError as error:
                self.lost(error)
            except Exception:
                log.exception("bug sending to Redis")

    def _subscribe_loop(self) -> None:
        delay = self.settings.redis_retry_min
        while not self._closing:
            pubsub = self._sub_client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.keys.broadcast, self.keys.inbox(self.node))
                self._reset = False
                self.connected = True
                self.connected_since = time.time()
                self.on_connected()
                if self._outage_logged:
                    log.warning("Redis at %s is back: nicks re-claimed, subscribed again", self.url)
                else:
                    log.info("node %s joined the network at %s", self.node, self.url)
                self._outage_logged = False
                delay = self.settings.redis_retry_min
                while not self._reset:
                    message = pubsub.get_message(timeout=self.settings.redis_poll)
                    if message is not None and message["type"] == "message":
                        self._dispatch(message["data"])
            except RedisError as error:
                self.lost(error)
            finally:
                try:
                    pubsub.close()
                except Exception:
                    pass
            if self._closing:
                break
            gevent.sleep(delay)
            delay = min(delay * 2, self.retry_max)

    def _dispatch(self, data: bytes) -> None:
        try:
            self.on_message(data)
        except RedisError:
            raise
        except Exception:
            log.exception("bug handling a network message; dropped")
