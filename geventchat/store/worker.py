"""The edge of the stores: database work on a thread of its own, flushes and prunes on a timer.

SQLite calls block, and a blocking call in the event loop would stall every
client, so each piece of database work runs on one worker thread (one, so
writes and reads keep their order) while only the greenlet that asked waits.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path

import gevent
from gevent.threadpool import ThreadPool

from ..config import Config
from ..core.metrics import NO_METRICS, Metrics
from .sqlite import SqliteHistory
from .sqlite_accounts import SqliteAccounts

log = logging.getLogger("geventchat")

DAY = 86400.0


class StoreWorker:
    """Work on threads of its own: one for the stores (order kept), several for password hashes.

    `nice` lowers the threads' scheduling priority (Linux schedules threads
    one by one): password hashes are long on purpose, and the event loop,
    which every client waits on, should get the CPU before them.
    """

    def __init__(self, threads: int = 1, nice: int = 0) -> None:
        self.pool = ThreadPool(threads)
        self.nice = nice
        self._niced = threading.local()
        self._timers: list[gevent.Greenlet] = []
        self._aside: ThreadPool | None = None  # housekeeping that must not hold up the stores' thread
        self.metrics: Metrics = NO_METRICS  # told how long each piece of work took

    def run(self, work):
        """Run `work()` on the worker thread; its result, or its exception raised here (not printed there).

        The time it took, waiting for the thread included, is a write when a
        timer ran it (the batched flush, the prune) and a query otherwise (a
        client is waiting for it).
        """

        def guarded():
            if self.nice and not getattr(self._niced, "done", False):
                self._niced.done = True
                try:
                    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
                except (AttributeError, OSError):
                    pass  # not Linux, or not allowed: the thread keeps the process's priority
            try:
                return True, work()
            except Exception as error:  # noqa: BLE001 - handed back to the caller, who decides
                return False, error

        started = time.perf_counter()
        ok, value = self.pool.apply(guarded)
        seconds = time.perf_counter() - started
        if gevent.getcurrent() in self._timers:
            self.metrics.history_write(seconds)
        else:
            self.metrics.history_query(seconds)
        if not ok:
            raise value
        return value

    def aside(self, work) -> None:
        """Run `work()` on a thread of its own (a checkpoint), waiting for it without holding the stores'."""
        if self._aside is None:
            self._aside = ThreadPool(1)
        self._aside.apply(work)

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
        if self._aside is not None:
            self._aside.kill()


class DataDirInUse(Exception):
    """Another running server keeps its files in this data directory."""


def claim_data_dir(folder: Path) -> int:
    """Make the data directory (first run) and hold it for this process: two servers never share one.

    An exclusive lock on `lock` in the directory, held until the process ends
    (the kernel lets go of it even after a kill -9); returns the open file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise DataDirInUse(f"{folder} is in use by another server (pid {holder})") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def open_sqlite_history(config: Config, worker: StoreWorker) -> SqliteHistory:
    """The history file in the data directory, flushed and pruned on timers."""
    settings = config.history
    folder = Path(config.server.data_dir).expanduser()
    path = folder / "history.sqlite3"
    store = SqliteHistory(path, settings.history_max_age * DAY, settings.history_max_lines, run=worker.run)
    worker.every(settings.history_flush, store.flush, "writing history")
    worker.every(settings.history_checkpoint, lambda: worker.aside(store.checkpoint), "checkpointing history")
    worker.every(settings.history_prune_interval, lambda: store.prune(time.time()), "pruning history")
    log.info("history kept in %s", path)
    return store


def open_sqlite_accounts(config: Config, worker: StoreWorker) -> SqliteAccounts:
    """Accounts and K-lines in the data directory, beside the history (the file made with the first one)."""
    path = Path(config.server.data_dir).expanduser() / "accounts.sqlite3"
    store = SqliteAccounts(path, run=worker.run)
    log.info("accounts kept in %s", path)
    return store
