"""NetworkNode: this process as one node of a chat shared over Redis.

Wires RedisLink, RedisRegistry and RedisBus under an ordinary Chat, and
applies the entries other nodes wrote, in the network's order: lines to
this node's clients, changes to its mirror of the directory. Joining and
joining again (claims, conflicts, HELLO, repair) is in joining.py.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import gevent
from redis.exceptions import RedisError

from ..config import Config
from ..core.accounts import Hasher
from ..core.chat import Chat
from ..core.history import HistoryStore, StoreError
from ..core.outbox import MessageIds
from ..protocol.message import Message
from . import announce, joining
from . import envelope as E
from .identity import Identity
from .keys import Keys
from .backlog import Item
from .link import DEAD, TAKEN, RedisLink
from .liveness import Liveness
from .reader import EPOCH, MESSAGE, NETWORK, ORIGIN, SEQ, Entry, Key
from .records import default_node_name, from_record, uid_prefix
from .redis_accounts import RedisAccounts
from .redis_bus import RedisBus
from .redis_history import RedisHistory
from .redis_registry import RedisRegistry

log = logging.getLogger("geventchat")


class NetworkNode:
    def __init__(self, config: Config, history: HistoryStore | None = None, hasher: Hasher | None = None) -> None:
        assert config.network.redis
        self.config = config
        name = config.network.node_name or default_node_name(config.server.name)
        self.identity = identity = Identity(name, config.server.name)
        self.name = name
        self.keys = Keys(f"geventchat:{config.server.network}")
        self.link = RedisLink(config.network, identity, self.keys)
        self.registry = RedisRegistry(self.link, name)
        self.bus = RedisBus(self.link, name)
        if history is None and config.history_store == "redis":
            settings = config.history
            history = RedisHistory(self.link, self.keys, settings.history_max_age * 86400,
                                   settings.history_max_lines)
            self.bus.add_writer(history.bus_commands)  # kept in the same fenced append as its line
        self.history = history
        accounts = RedisAccounts(self.link.redis, self.keys.prefix, online=lambda: self.link.online)
        self.chat = Chat(config, bus=self.bus, registry=self.registry, node=uid_prefix(name, identity.run),
                         ids=MessageIds(name, identity.started), history=history, accounts=accounts, bans=accounts,
                         hasher=hasher)
        # a KILL, K-line or logout every node applies: on the directory stream, in order with the rest
        self.chat.broadcast_control = lambda fields: self.link.append(
            Item((self.keys.directory,), E.encode(E.CONTROL, fields)))
        self.liveness = Liveness(self)
        self.link.on_connected = self._connected
        self.link.on_entries = self._entries
        self.link.on_fenced = self._fenced
        self.link.streams = self.bus.stream_keys
        self.link.wants_catch_up = lambda: self.repair_at is not None
        self.on_fatal: Callable[[str], None] = lambda reason: None
        self.refused: str | None = None  # why this node may not be part of the network
        self.repair_at: Key | None = None  # a directory snapshot's point of the order, until it is compared
        self.repair_nodes: list = []
        self.cut_off = False  # declared dead and split: later entries change the mirror silently
        self.missed: list = []  # lines said while we were cut off, for our users after the netjoin
        self._beat: gevent.Greenlet | None = None
        self._history_timer: gevent.Greenlet | None = None

    def start(self, wait: float) -> str | None:
        """Join the network, waiting at most `wait` seconds (Redis may be away: then later).

        Returns why the node may not join (its name is held by a live node), or None.
        """
        self.link.start()
        self._beat = gevent.spawn(self.liveness.run)
        if isinstance(self.history, RedisHistory):
            self._history_timer = gevent.spawn(self._keep_history, self.history)
        if not self.link.settled.wait(wait):
            log.warning("Redis at %s does not answer yet: serving this node's users alone until it does",
                        self.link.url)
        return self.refused

    def _keep_history(self, history: RedisHistory) -> None:
        """Write the kept lines no published line took along; drop what is past the age limit."""
        settings = self.config.history
        pruned_at = time.time()
        while True:
            gevent.sleep(settings.history_flush)
            try:
                history.flush()
                if time.time() - pruned_at >= settings.history_prune_interval:
                    pruned_at = time.time()
                    history.prune(pruned_at)
            except StoreError as error:
                log.warning("keeping history in Redis: %s", error)
            except Exception:
                log.exception("bug keeping history in Redis")

    def stop(self) -> None:
        """Leave the network cleanly: flush what clients' quits sent, free our keys."""
        link = self.link
        if isinstance(self.history, RedisHistory):
            self.history.flush()
        if self._history_timer is not None:
            self._history_timer.kill(block=False)
        link.flush(self.config.network.redis_flush_on_stop)
        if self._beat is not None:
            self._beat.kill(block=False)
        if link.online:
            try:
                link.leave_script(args=[self.keys.prefix, self.name, self.identity.epoch])
            except RedisError as error:
                log.warning("could not clear this node's keys in Redis: %s", error)
        link.close()

    # --- the link's callbacks ---------------------------------------------

    def _connected(self, first: bool, restarted: bool) -> None:
        joining.resync(self, first, restarted)

    def _fenced(self, why: str) -> None:
        if why == TAKEN:
            info = self.link.redis.hget(self.keys.record(self.name), "info") if self.link.connected else None
            from .identity import describe
            holder = describe(info.decode()) if info else "another process"
            self.refused = (f"node name {self.name} is held by a live node ({holder}); "
                            f"give each node its own --node-name")
            log.error("%s: this node leaves the network", self.refused)
            if self.link.joined_once:
                announce.tell(self.chat, f"This server's name on the network ({self.name}) is now held by another "
                                         f"server: this server is leaving the chat")
                self.on_fatal(self.refused)
        elif why == DEAD:
            log.warning("the network declared this node dead (paused or cut off too long): "
                        "catching up, then joining again as a new epoch")

    def _entries(self, entries: list[Entry], caught_up: bool) -> None:
        repair_at = self.repair_at
        for entry in entries:
            if repair_at is not None and entry.key > repair_at:
                joining.finish_repair(self)
                repair_at = None
            try:
                self.apply(entry)
            except RedisError:
                raise
            except Exception:
                log.exception("bug applying a network entry; skipped")
        if caught_up:
            if self.repair_at is not None:
                joining.finish_repair(self)
            if self.link.fenced == DEAD:
                joining.rejoin(self)

    # --- from other nodes ------------------------------------------------

    def apply(self, entry: Entry) -> None:
        """One entry of another node (our own are dropped by the reader), in the network's order."""
        fields = entry.fields
        origin = fields[ORIGIN]
        order = self.link.order
        keep = False
        for stream, copy in entry.copies:
            fresh, missed = order.fresh(origin, stream, copy[EPOCH], int(copy[SEQ]))
            keep = keep or fresh
            if missed:
                self._missed(origin.decode(), stream.decode(), missed)
        if not keep:
            return
        env = E.decode(fields[MESSAGE])
        kind, f = env.kind, env.fields
        sender = origin.decode()
        if origin != NETWORK:
            self.registry.epochs[sender] = fields[EPOCH].decode()
        if kind == E.CHANNELS or kind == E.UID:
            speaker = f.get("s")  # the skipped uid of a channel line is its sender
            if speaker is not None and kind == E.CHANNELS:
                self.registry.remote_spoke(speaker, time.time())
            if not self.cut_off:
                self.chat.metrics.delivered(self.bus.deliver_here(E.to_delivery(env)))
            elif E.command_of(env.line) in E.MESSAGES:
                self.missed.append(E.to_delivery(env))  # the events are told by the netjoin instead
        elif kind == E.ADD:
            user = from_record(f["user"])
            self.registry.remote_add(user)
            self.chat.user_arrived(user)
        elif kind == E.DEL:
            self.registry.remote_remove(f["u"])
            self.chat.user_gone(f["u"])
        elif kind == E.NICK:
            self.registry.remote_rename(f["u"], f["n"])
        elif kind == E.HELLO:
            self.merge(sender, [from_record(r) for r in f["users"]], tell=not self.cut_off)
        elif kind == E.DEAD:
            self._node_dead(f["node"], f["e"])
        elif kind == E.CONTROL:
            self.chat.control(f, time.time())

    def _node_dead(self, dead: str, epoch: str) -> None:
        if dead == self.name:
            if epoch == self.identity.epoch:
                self.link.fence(DEAD, epoch)
                joining.split(self)
            return
        known = self.registry.epochs.get(dead)
        if known is not None and known != epoch:
            return  # an earlier run of that name; its users went with it
        users = self.registry.drop_node(dead)
        self.registry.epochs.pop(dead, None)
        log.info("node %s declared dead: %d users split off", dead, len(users))
        if not self.cut_off:
            announce.quits(self.chat, users, f"{self.config.server.name} {dead}")
        else:
            for user in users:
                self.chat.user_gone(user.uid)

    def _missed(self, origin: str, stream: str, count: int) -> None:
        log.warning("%d entries from node %s in %s were lost on the way here", count, origin, stream)
        prefix = self.keys.channel("")
        if stream.startswith(prefix):
            channel = stream[len(prefix):]
            found = self.chat.channels.find(channel)
            name = found.name if found is not None else channel
            text = f"{count} lines from server {origin} to {name} were lost on the way here"
            self.chat.outbox.to_channel(channel, Message("NOTICE", (name, text), self.config.server.name),
                                        time.time(), here_only=True)

    def merge(self, node: str, users: list, tell: bool = True) -> int:
        """Make our mirror of `node` equal `users`, telling our clients what changed; returns the changes."""
        seen = set()
        changes = 0
        for user in users:
            seen.add(user.uid)
            previous = self.registry.remote_add(user)
            self.chat.user_arrived(user)
            if previous is None:
                if tell:
                    announce.join(self.chat, user)
                changes += 1
            elif previous.nick != user.nick:
                if tell:
                    announce.nick(self.chat, user, previous.prefix)
                changes += 1
        gone = [u for u in self.registry.remote_users(node) if u.uid not in seen]
        for user in gone:
            self.registry.remote_remove(user.uid)
        if tell:
            announce.quits(self.chat, gone, f"{self.config.server.name} {node}")
        else:
            for user in gone:
                self.chat.user_gone(user.uid)
        return changes + len(gone)

    # --- the liveness loop calls this ---------------------------------------

    def tick(self, now: float) -> None:
        """Tell users, once, when lines are being lost; and when the link is whole again."""
        backlog = self.link.backlog
        if backlog.trouble_since is None:
            return
        if not backlog.told and backlog.past_bound(now):
            backlog.told = True
            log.warning("lines are being lost: the link to Redis is down or too slow")
            announce.link_down(self.chat, backlog.trouble_since, backlog.max_seconds, backlog.dropped)
        elif self.link.ready and self.link.fenced is None and backlog.settled():
            if backlog.told:
                announce.link_back(self.chat, backlog.trouble_since, now, backlog.dropped)
            backlog.end_trouble()
