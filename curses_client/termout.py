"""Screen output that never blocks the loop: curses writes into a pipe, we pass it on when the terminal reads.

curses writes a whole refresh to its output with blocking write()s. A
terminal that stops reading (a stalled ssh link, scroll lock, a suspended
tmux pane) would then stop the whole client: no keepalive, no reading, the
server closes us for a ping timeout. So while the full screen is up, file
descriptor 1 is a pipe (large enough for any one frame) that the loop
drains into its own buffer and writes to the terminal through a separate,
non-blocking descriptor. While the terminal is not taking output the
client draws nothing new (at most one frame is ever held), and when it
reads again the next draw brings the screen up to date. Without a
terminal name to open, it falls back to plain blocking output.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import sys
import time

F_SETPIPE_SZ = 1031   # Linux fcntl numbers (not in the fcntl module before Python 3.10 on every build)
PIPE_SIZE = 1 << 20
"""Bytes the pipe may hold: one full redraw of even a very large terminal fits."""


class TerminalOutput:
    def __init__(self, fd: int = 1) -> None:
        self.fd = fd
        self.tty: int | None = None        # our own non-blocking descriptor of the terminal
        self.saved: int | None = None      # the original descriptor 1, restored at the end
        self.pipe: tuple[int, int] | None = None
        self.pending = bytearray()
        self.gone = False                  # the terminal hung up: output goes nowhere

    def start(self) -> None:
        """Send what curses writes through the pipe from now on (call after initscr)."""
        try:
            name = os.ttyname(self.fd)
            tty = os.open(name, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError:
            return  # no terminal name to open: blocking output, as curses does by itself
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        try:
            fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            pass  # the default 64 KiB still holds an ordinary frame
        os.set_blocking(read_end, False)
        sys.stdout.flush()
        self.saved = os.dup(self.fd)
        os.dup2(write_end, self.fd)
        os.close(write_end)
        self.tty, self.pipe = tty, (read_end, -1)

    @property
    def active(self) -> bool:
        return self.tty is not None

    def fileno(self) -> int | None:
        """The descriptor to watch for writability while output is held back."""
        return self.tty

    def busy(self) -> bool:
        """Output is waiting for the terminal: draw nothing new until it has gone."""
        return bool(self.pending) and not self.gone

    def write(self, data: bytes) -> None:
        """Bytes of our own (mode switches such as bracketed paste), in order with curses' output."""
        if self.active:
            self.collect()
            self.pending += data
            self.flush()
        else:
            _write_all(self.fd, data)

    def collect(self) -> None:
        """Take what curses wrote into the pipe."""
        if self.pipe is None:
            return
        while True:
            try:
                data = os.read(self.pipe[0], 1 << 20)
            except (BlockingIOError, InterruptedError):
                return
            if not data:
                return
            if not self.gone:
                self.pending += data

    def flush(self) -> None:
        """Write as much as the terminal takes now, without waiting."""
        self.collect()
        while self.pending and self.tty is not None and not self.gone:
            try:
                sent = os.write(self.tty, self.pending)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno in (errno.EIO, errno.EPIPE, errno.ENXIO):
                    self.gone = True   # hung up: nobody will read it
                    self.pending.clear()
                    return
                raise
            del self.pending[:sent]

    def stop(self, wait: float = 2.0) -> None:
        """Put descriptor 1 back, after giving the terminal `wait` seconds to take what is held."""
        if self.tty is None:
            return
        deadline = time.monotonic() + wait
        self.flush()
        while self.busy() and time.monotonic() < deadline:
            select.select([], [self.tty], [], max(0.0, deadline - time.monotonic()))
            self.flush()
        if self.saved is not None:
            os.dup2(self.saved, self.fd)
            os.close(self.saved)
            self.saved = None
        if self.pipe is not None:
            self.collect()
            os.close(self.pipe[0])
            self.pipe = None
        os.close(self.tty)
        self.tty = None
        self.pending.clear()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except InterruptedError:
            continue
        except OSError:
            return
