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


def _holder(client: IrcClient, pids: list[int]) -> int:
    """Which of these processes holds the server end of this client's connection (read from /proc)."""
    port = client.sock.getsockname()[1]
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port:  # the server end: its remote port is ours
                inodes.add(fields[9])
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").strip("socket:[]") in inodes:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker holds the connection from port {port}")


def test_a_killed_workers_users_are_freed_at_once_by_the_worker_started_in_its_place(redis_server):
    """No --node-name and a 30 s node timeout: only the successor's takeover can free the nicks this fast."""
    server = start_server("--workers", "2", "--redis", redis_server.url, *FAST, "--node-timeout", "30",
                          server_name="workers.test")
    clients: list[IrcClient] = []
    try:
        server.wait_log(r"node workers\.test-1 joined")  # named by index, whatever the pids
        server.wait_log(r"node workers\.test-2 joined")
        workers = _children(server.proc.pid)
        while len({_holder(c, workers) for c in clients}) < 2:  # someone on each worker
            clients.append(IrcClient(server.address).register(f"u{len(clients)}"))
            assert len(clients) < 60
        victim = _holder(clients[0], workers)
        doomed = [c for c in clients if _holder(c, workers) == victim]
        watcher = next(c for c in clients if c not in doomed)
        name = re.search(r"--node-name (\S+)", open(f"/proc/{victim}/cmdline").read().replace("\0", " ")).group(1)
        log_mark = len(server.log)
        os.kill(victim, signal.SIGKILL)
        for c in doomed:
            c.read_until_closed()
        quits = sorted(watcher.expect(r" QUIT ", timeout=10) for _ in doomed)
        assert quits == sorted(f":{c.nick}!user@127.0.0.1 QUIT :workers.test {name}" for c in doomed)
        for c in doomed:  # each takes its nick back at once, on whichever worker it lands
            again = IrcClient(server.address)
            clients.append(again)
            again.send(f"NICK {c.nick}", "USER user 0 * :Real Name")
            assert again.expect(r" (001|433) ").split()[1] == "001"
        deadline = time.monotonic() + 10
        while not any("listening on" in line for line in list(server.log)[log_mark:]):  # the new worker is up
            assert time.monotonic() < deadline, server.log_text()
            time.sleep(0.05)
        after = list(server.log)[log_mark:]
        joined = next(i for i, line in enumerate(after) if f"node {name} joined" in line)
        listening = next(i for i, line in enumerate(after) if "listening on" in line)
        assert joined < listening  # the new worker took connections only once it was on the network
        assert any(f"node name {name} was held by a process of this machine that no longer runs" in line
                   for line in after)
    finally:
        for c in clients:
            c.close()
        assert server.stop() == 0
