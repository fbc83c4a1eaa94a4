"""Joining the network, and joining it again.

- First join: take the node name (refused while a live run holds it; the
  leftovers of a dead run are reaped first), read the directory at one point
  of the entry order and read every stream on from that point.
- After a reconnect: the heartbeat script says whether this run is still the
  name's (Redis restarted or the link was briefly down) or was declared dead.
  Still ours: claim our users' nicks again, then write what was kept while
  Redis was away, in order, then a HELLO with our users as they are now.
- Declared dead (paused, or cut off longer than the node timeout): catch up
  on every stream first (our users miss nothing said meanwhile), then split
  (our users see the others leave), take the name as a new epoch, claim the
  nicks again, and netjoin (our users see the others come back, the others
  see ours in the HELLO). Lines our users typed while we were cut off are
  passed on only if their sender still holds the nick they were said under.

A nick is kept by whoever holds it in Redis: a user of ours whose nick
another user took while we were away (or took first after a Redis restart)
is renamed before anyone else hears of it, so no other node ever shows it
under that nick. After every reconnect and netjoin a repair pass compares
our mirror of the directory with Redis at one point of the order and mends
(and logs) any difference.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING

from . import announce
from . import envelope as E
from .backlog import Item
from .identity import gone
from .link import DEAD, TAKEN
from .reader import parse_id
from .records import from_record, to_record

if TYPE_CHECKING:
    from .node import NetworkNode

log = logging.getLogger("geventchat")

CUT_OFF = "this server was cut off from the rest of the chat"
NICK_TAKEN = "your nick was held by another user of the network first"


def resync(node: NetworkNode, first: bool, restarted: bool) -> None:
    """Runs each time the link to Redis is made, before any stream is read."""
    link = node.link
    if first:
        if not claim_name(node):
            return
        load(node)
    else:
        if node.cut_off:  # the link failed while we were joining again: finish that first
            link.fence(DEAD, node.identity.epoch)
            return
        node.liveness.beat(time.time())
        if link.fenced is not None:
            return  # DEAD: the reader catches up, then rejoin(); TAKEN: the node stops
    losers = reclaim(node)
    if link.fenced is not None:
        return
    dropped = link.backlog.drop(lambda item: item.about in losers)
    announce.undelivered(node.chat, dropped, NICK_TAKEN)
    hello(node)
    node.chat.opers.load(time.time())  # K-lines set while we were away
    if first:
        log.info("node %s joined the network at %s (epoch %s)", node.name, link.url, node.identity.epoch)
    else:
        request_repair(node)


def claim_name(node: NetworkNode, replacing: str = "") -> bool:
    """Take our node name for this epoch; False (and fenced TAKEN) when a live run holds it.

    `replacing`: our own previous epoch, which a rejoin takes over even if it still holds the name.
    """
    link, identity = node.link, node.identity
    args = [node.keys.prefix, identity.name, identity.epoch, link.ttl_ms, identity.info(),
            node.config.network.redis_stream_maxlen]
    result = link.claim_node_script(args=[*args, replacing])
    if result[0] == b"taken" and gone(result[2].decode()):
        log.warning("node name %s was held by a process of this machine that no longer runs: taking it over",
                    identity.name)
        result = link.claim_node_script(args=[*args, result[1]])
    if result[0] == b"taken":
        link.fence(TAKEN, identity.epoch)
        return False
    freed = int(result[1])
    if freed >= 0:
        log.warning("the previous run of node %s had not left: declared dead, %d nicks freed", identity.name, freed)
    return True


def snapshot(node: NetworkNode) -> tuple:
    """The directory at one point of the order: (point, [(name, epoch, synced, alive, users)])."""
    result = node.link.snapshot_script(args=[node.keys.prefix])
    nodes = []
    for name, epoch, synced, alive, flat in result[1:]:
        users = [from_record(json.loads(flat[i + 1])) for i in range(0, len(flat), 2)]
        nodes.append((name.decode(), epoch.decode(), synced.decode(), bool(alive), users))
    return parse_id(result[0]), nodes


def load(node: NetworkNode) -> None:
    """First join: the others' users from the directory, every stream read on from that point."""
    at, nodes = snapshot(node)
    node.link.order.start_at(at)
    for name, epoch, synced, alive, users in nodes:
        if name != node.name:
            if epoch:
                node.registry.epochs[name] = epoch
            node.merge(name, users)


def reclaim(node: NetworkNode) -> set[str]:
    """Claim again every nick our users hold; rename those who lost theirs. Returns the losers' uids."""
    link, registry, keys = node.link, node.registry, node.keys
    ours = node.name + "/"
    for stale in {m.decode() for m in link.redis.smembers(keys.held(node.name))} - set(registry.held):
        owner = link.redis.get(keys.nick(stale))
        free(node, stale, owner.decode() if owner else "")
    pairs = list(registry.held.items())
    owners = link.claim_many(pairs) if pairs else []
    losers: dict[str, str] = {}
    for (folded, uid), owner in zip(pairs, owners):
        if owner is None:
            return set()  # fenced meanwhile
        if owner != uid and owner.startswith(ours) and owner not in node.chat.sessions:
            free(node, folded, owner)  # an earlier user of ours whose release is still queued
            owner = link.claim_or_raise(folded, uid)
        if owner is not None and owner != uid:
            losers[uid] = folded
    for uid in losers:
        session = node.chat.sessions.get(uid)
        if session is not None and session.nick is not None:
            announce.force_rename(node.chat, uid, session.nick)
    if losers:
        log.warning("nick conflicts on joining again: %d of our users renamed", len(losers))
    return set(losers)


def free(node: NetworkNode, folded: str, uid: str) -> None:
    """Release a nick in Redis now (if `uid` still holds it) and drop it from our held set."""
    link, identity = node.link, node.identity
    link._append(args=[node.keys.prefix, identity.name, identity.epoch, link.ttl_ms,
                       node.config.network.redis_stream_maxlen, link.keep_ms, 1, 0, b"", 1, "free", folded, uid])


def hello(node: NetworkNode, first: bool = False) -> None:
    """Queue our users as they are now (last in line, or first after a netjoin)."""
    users = node.registry.local_users()
    records = [to_record(user) for user in users]
    ops: list = ["hello", len(users)]
    for record in records:
        ops += (record["uid"], json.dumps(record))
    item = Item((node.keys.directory,), E.encode(E.HELLO, {"e": node.identity.epoch, "users": records}),
                tuple(ops), 1)
    if first:
        node.link.backlog.push_front([item])
    else:
        node.link.backlog.add(item, time.time(), force=True)


def split(node: NetworkNode) -> None:
    """We were declared dead: our users see everyone else leave, at that point of the order.

    What the others do from there on (nick changes, arrivals, departures)
    happened without us: it changes the mirror silently, and our users hear
    of the outcome in the netjoin; the lines said meanwhile are kept for them.
    """
    if node.cut_off:
        return
    node.cut_off = True
    registry = node.registry
    for name in sorted(registry.remote_nodes()):
        announce.quits(node.chat, registry.remote_users(name), f"{node.config.server.name} {name}")


def rejoin(node: NetworkNode) -> None:
    """We were declared dead and have caught up: join again as a new epoch, settle nicks, netjoin."""
    chat, registry, link, identity = node.chat, node.registry, node.link, node.identity
    split(node)  # the entry saying we died may be gone from a stream trimmed while we were away
    previous = identity.epoch
    identity.rejoins += 1
    link.ready = False  # the publisher waits until what was kept is sorted out
    if not claim_name(node, replacing=previous):
        return
    link.fenced = None
    losers = reclaim(node)
    if link.fenced is not None:
        return
    dropped = link.backlog.drop(lambda item: not _still_theirs(node, item) or item.about in losers)
    announce.undelivered(chat, dropped, CUT_OFF)
    hello(node, first=True)
    node.cut_off = False
    others = [user for name in sorted(registry.remote_nodes()) for user in registry.remote_users(name)]
    for user in others:
        chat.user_arrived(user)  # the split took them out of our channels
        announce.join(chat, user)
    missed, node.missed = node.missed, []
    for delivery in missed:
        node.chat.metrics.delivered(node.bus.deliver_here(delivery))
    log.warning("node %s joined the network again as epoch %s: %d users of other nodes back, %d lines said "
                "meanwhile delivered, %d of ours passed on", node.name, identity.epoch, len(others), len(missed),
                sum(1 for item in link.backlog.pending if item.streams) - 1)
    node.chat.opers.load(time.time())
    request_repair(node)
    link.ready = link.connected
    link.unfence()


def _still_theirs(node: NetworkNode, item: Item) -> bool:
    """A line a user said, whose sender still holds the nick it was said under."""
    if not item.streams or item.about is None:
        return False
    env = E.decode(item.message)
    if env.kind not in (E.CHANNELS, E.UID) or E.command_of(env.line) not in E.MESSAGES:
        return False
    session = node.chat.sessions.get(item.about)
    if session is None or session.user is None:
        return False
    return env.line.startswith(b":%s " % session.user.prefix.encode())


def request_repair(node: NetworkNode) -> None:
    """Compare our mirror with Redis once the streams are read up to now."""
    node.repair_at, node.repair_nodes = snapshot(node)


def finish_repair(node: NetworkNode) -> None:
    """Every entry up to the snapshot is applied: make the mirror equal it, and say so if it was not."""
    node.repair_at = None
    changes = 0
    for name, epoch, synced, alive, users in node.repair_nodes:
        if name == node.name or not synced or not alive:
            continue
        changes += node.merge(name, users)
    node.repair_nodes = []
    if changes:
        log.warning("directory repair: %d differences with Redis mended", changes)
    else:
        log.info("directory repair: in step with Redis")

