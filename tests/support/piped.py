"""chat-client in line mode on pipes: write lines to its stdin, wait for text on its stdout."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

from tests.support.terminal import child_env


class Piped:
    """chat-client with stdin and stdout on pipes; reads stdout with deadlines."""

    def __init__(self, *argv: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "curses_client", *argv], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env())
        self.out = b""

    def wait_out(self, text: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.out:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {text!r} on stdout:\n{self.out.decode(errors='replace')}")
            ready, _, _ = select.select([self.proc.stdout], [], [], min(remaining, 0.1))
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"stdout closed before {text!r}:\n{self.out.decode(errors='replace')}")
                self.out += chunk

    def write(self, line: str) -> None:
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
