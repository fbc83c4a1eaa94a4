"""chat-server --workers N: N processes on one port, one chat through Redis."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from tests.redis.conftest import FAST
from tests.support.client import IrcClient
from tests.support.server import start_server


def _children(pid: int) -> list[int]:
    """Child pids, read from /proc (no procps needed)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def test_workers_above_one_without_redis_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "geventchat", "--workers", "2"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--workers above 1 needs --redis" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_workers_share_the_port_and_the_chat(redis_server):
    server = start_server("--workers", "2", "--redis", redis_server.url, "--node-name", "w",
                          "--flood-burst", "100", server_name="workers.test")
    clients = []
    try:
        server.wait_log(r"node w-1 joined")
        server.wait_log(r"node w-2 joined")
        ports = set(re.findall(r"listening on 127\.0\.0\.1:(\d+)", server.log_text()))
        assert ports == {str(server.port)}  # both workers on the one port
        for i in range(8):
            clients.append(IrcClient(server.address).register(f"u{i}"))
        last = clients[-1]
        for c in clients[:-1]:
            c.expect(r"^:u7!user@127\.0\.0\.1 JOIN #lobby$")
        last.send("PRIVMSG #lobby :one chat")
        for c in clients[:-1]:
            assert c.expect("PRIVMSG") == ":u7!user@127.0.0.1 PRIVMSG #lobby :one chat"
        clients[0].send("NAMES")
        names = clients[0].expect(r" 353 ").rsplit(":", 1)[1].split()
        assert sorted(names) == [f"u{i}" for i in range(8)]
    finally:
        for c in clients:
            c.close()
        assert server.stop() == 0
    assert "Traceback" not in server.log_text()


def test_a_worker_killed_is_started_again(redis_server):
    server = start_server("--workers", "2", "--redis", redis_server.url, "--node-name", "w", *FAST,
                          server_name="workers.test")
    try:
        server.wait_log(r"node w-1 joined")
        server.wait_log(r"node w-2 joined")
        children = _children(server.proc.pid)
        assert len(children) == 2
        os.kill(int(children[0]), signal.SIGKILL)
        server.wait_log(r"worker \d \(pid \d+\) exited with -9; starting it again")
        deadline = time.monotonic() + 10
        while len(re.findall(r"node w-\d joined", server.log_text())) < 3:
            assert time.monotonic() < deadline, server.log_text()
            time.sleep(0.05)
        c = IrcClient(server.address).register("after")
        c.close()
    finally:
        assert server.stop() == 0
