"""Metrics for Prometheus, and a health check, over HTTP on their own port (--metrics-port).

The core reports events through the small interface in core/metrics.py;
here they are counted in plain integers (an addition per publish, no lock:
prometheus-client's own Counter.inc() takes a lock and costs some fifteen
times more, which the fan-out path would feel) and turned into Prometheus
families only when someone scrapes. Gauges are read at scrape time from
what the server already holds (sessions, the admission counts, the Redis
link), so they cost nothing between scrapes. Latencies, which come rarely
and off the hot path, are prometheus-client Histograms.

`/metrics` is the Prometheus text format; `/healthz` answers 200 while the
server serves and 503 once it is shutting down, so a load balancer stops
sending clients before the port closes.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Callable

from gevent.pywsgi import WSGIServer
from prometheus_client import CollectorRegistry, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import make_wsgi_app

from .core.metrics import ALL_QUIT_CODES, Metrics

if TYPE_CHECKING:
    from .server import ChatServer

log = logging.getLogger("geventchat")

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
REFUSAL_CAUSES = ("server_full", "per_ip", "handshake")


class Counts(Metrics):
    """The core's events, counted in plain integers (one event loop thread: no lock needed)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.lines_received = 0
        self.lines_delivered = 0
        self.registrations: Counter[str] = Counter()
        self.quits: Counter[str] = Counter({code: 0 for code in ALL_QUIT_CODES})
        self.refusals: Counter[str] = Counter({cause: 0 for cause in REFUSAL_CAUSES})
        self._history_write = Histogram("geventchat_history_write_seconds", "time to write a batch to the history store",
                                        buckets=LATENCY_BUCKETS, registry=registry)
        self._history_query = Histogram("geventchat_history_query_seconds", "time to answer a history query",
                                        buckets=LATENCY_BUCKETS, registry=registry)

    def received(self, lines: int) -> None:
        self.lines_received += lines

    def delivered(self, lines: int) -> None:
        self.lines_delivered += lines

    def registered(self, transport: str) -> None:
        self.registrations[transport] += 1

    def quit(self, code: str) -> None:
        self.quits[code] += 1

    def refused(self, cause: str) -> None:
        self.refusals[cause] += 1

    def history_write(self, seconds: float) -> None:
        self._history_write.observe(seconds)

    def history_query(self, seconds: float) -> None:
        self._history_query.observe(seconds)


class ChatCollector:
    """Turns the counts and the server's live state into metric families at scrape time."""

    def __init__(self, server: ChatServer, counts: Counts) -> None:
        self.server = server
        self.counts = counts

    def collect(self) -> Iterator[Metric]:
        counts, server = self.counts, self.server
        chat = server.chat
        yield _counter("geventchat_lines_received", "lines read from clients", counts.lines_received)
        yield _counter("geventchat_lines_delivered", "relayed lines queued for clients, one per recipient",
                       counts.lines_delivered)
        yield _counter("geventchat_registrations", "clients that finished registration", counts.registrations,
                       "listener")
        yield _counter("geventchat_quits", "clients that left, by reason (SendQ: sendq, flood: flood)", counts.quits,
                       "reason")
        yield _counter("geventchat_refusals", "connections turned away before becoming clients, by cause",
                       counts.refusals, "cause")
        connected: Counter[str] = Counter()
        registered: Counter[str] = Counter()
        for session in chat.sessions.values():
            kind = session.transport.kind
            connected[kind] += 1
            if session.user is not None:
                registered[kind] += 1
        for listener in server.listeners:  # every listener shows, even with no client on it
            connected.setdefault(listener.kind, 0)
            registered.setdefault(listener.kind, 0)
        yield _gauge("geventchat_clients_connected", "clients connected, registered or not", connected, "listener")
        yield _gauge("geventchat_clients_registered", "clients registered", registered, "listener")
        yield _gauge("geventchat_connections", "connections admitted (TLS handshakes included)",
                     server.limits.total)
        yield _gauge("geventchat_nodes", "nodes of the network this one knows alive (1 alone)",
                     chat.registry.server_count())
        link = server.redis_link
        if link is not None:
            yield _gauge("geventchat_redis_connected", "1 while the link to Redis is up", int(link.connected))
            yield _gauge("geventchat_redis_outbox_items", "items waiting to be sent to Redis", link.outbox_depth)
        yield _gauge("geventchat_up_since_seconds", "when this server started, Unix time", chat.created)


def _counter(name: str, documentation: str, value: int | Counter, label: str | None = None) -> Metric:
    if label is None:
        return CounterMetricFamily(name, documentation, value=value)
    family = CounterMetricFamily(name, documentation, labels=[label])
    for key, count in sorted(value.items()):
        family.add_metric([key], count)
    return family


def _gauge(name: str, documentation: str, value: float | Counter, label: str | None = None) -> Metric:
    if label is None:
        return GaugeMetricFamily(name, documentation, value=value)
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, count in sorted(value.items()):
        family.add_metric([key], count)
    return family


class MetricsEndpoint:
    """The HTTP side: /metrics and /healthz on the metrics port, served in the event loop."""

    def __init__(self, server: ChatServer, host: str, port: int) -> None:
        self.server = server
        self.registry = CollectorRegistry()
        self.counts = Counts(self.registry)
        self.registry.register(ChatCollector(server, self.counts))
        ProcessCollector(registry=self.registry)  # CPU, memory, open files: is LimitNOFILE near?
        link = server.redis_link
        if link is not None:
            lag = Histogram("geventchat_redis_publish_lag_seconds", "time the oldest line of a Redis pipeline "
                            "waited in the outbox until the pipeline was sent (at least)",
                            buckets=LATENCY_BUCKETS, registry=self.registry)
            link.on_sent = lag.observe
        self._scrape = make_wsgi_app(self.registry)
        self.http = WSGIServer((host, port), self._app, log=None, error_log=log)

    @property
    def address(self) -> tuple[str, int]:
        return self.http.address[:2]

    def start(self) -> None:
        self.http.start()
        host, port = self.address
        log.info("metrics on http://%s:%s/metrics", host if ":" not in host else f"[{host}]", port)

    def stop(self) -> None:
        self.http.stop(timeout=1)

    def _app(self, environ: dict, start_response: Callable) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return self._scrape(environ, start_response)
        if path == "/healthz":
            if self.server.stopping:
                return _plain(start_response, "503 Service Unavailable", b"shutting down\n")
            return _plain(start_response, "200 OK", b"ok\n")
        return _plain(start_response, "404 Not Found", b"not found: try /metrics or /healthz\n")


def _plain(start_response: Callable, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
