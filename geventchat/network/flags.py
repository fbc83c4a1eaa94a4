"""Usage errors of a network node that involve more than one setting.

Imports nothing heavy: `chat-server --help` must work without redis-py.
"""

from __future__ import annotations

from ..config import Config


def problems(config: Config) -> list[str]:
    """What is wrong with the network settings taken together, each said with the way out."""
    network = config.network
    found = []
    if network.workers > 1 and not network.redis:
        found.append("--workers above 1 needs --redis URL: the workers share one chat through Redis")
    if network.node_timeout < 2 * network.redis_retry_max:
        found.append("--node-timeout must be at least twice --redis-retry-max, "
                     "or a Redis restart would split live nodes")
    if network.node_timeout < 2 * network.heartbeat_interval:
        found.append("--node-timeout must be at least twice --heartbeat-interval, "
                     "or a node would be declared dead between two heartbeats")
    if not network.heartbeat_interval < network.unreachable_after < network.node_timeout:
        found.append("--unreachable-after must be longer than --heartbeat-interval and shorter than "
                     "--node-timeout")
    if network.redis and not network.redis.startswith(("redis://", "rediss://", "unix://")):
        found.append(f"--redis takes a URL like redis://HOST:PORT/DB, not {network.redis!r}")
    return found
