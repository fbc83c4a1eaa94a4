"""The edge of the stores: database work on a thread of its own, flushes and prunes on a timer.

SQLite calls block, and a blocking call in the event loop would stall every
client, so each piece of database work runs on one worker thread (one, so
writes and reads keep their order) while only the greenlet that asked waits.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import gevent
from gevent.threadpool import ThreadPool

from ..config import Config
from .sqlite import SqliteHistory

log = logging.getLogger("geventchat")

DAY = 86400.0


class StoreWorker:
    def __init__(self) -> None:
        self.pool = ThreadPool(1)
        self._timers: list[gevent.Greenlet] = []

    def run(self, work):
        """Run `work()` on the worker thread; its result, or its exception raised here (not printed there)."""

        def guarded():
            try:
                return True, work()
            except Exception as error:  # noqa: BLE001 - handed back to the caller, who decides
                return False, error

        ok, value = self.pool.apply(guarded)
        if not ok:
            raise value
        return value

    def every(self, seconds: float, job, name: str) -> None:
        """Run `job()` every `seconds` until stop(); a failure is logged and the timer goes on."""

        def loop() -> None:
            while True:
                gevent.sleep(seconds)
                try:
                    job()
                except Exception:
                    log.exception("%s failed; trying again in %gs", name, seconds)

        self._timers.append(gevent.spawn(loop))

    def stop(self) -> None:
        gevent.killall(self._timers, block=True, timeout=1)
        self.pool.kill()


def open_sqlite_history(config: Config, worker: StoreWorker) -> SqliteHistory:
    """The history file in the data directory (both created on first run), flushed and pruned on timers."""
    settings = config.history
    folder = Path(config.server.data_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "history.sqlite3"
    store = SqliteHistory(path, settings.history_max_age * DAY, settings.history_max_lines, run=worker.run)
    worker.every(settings.history_flush, store.flush, "writing history")
    worker.every(settings.history_prune_interval, lambda: store.prune(time.time()), "pruning history")
    log.info("history kept in %s", path)
    return store
