"""SIGTERM: stop accepting, tell every client, flush within the grace, exit 0."""

from __future__ import annotations

import re
import signal
import socket
import threading
import time

import pytest

from tests.support.client import IrcClient

GRACE = 2.0
BACKLOG = 12_000
"""Lines of ~330 bytes queued for every reader at SIGTERM: more than the kernel's buffers hold."""
FLAGS = ("--max-per-ip", "100", "--flood-burst", "100000", "--flood-rate", "100000",
         "--sendq", str(16 * 1024 * 1024), "--shutdown-grace", str(GRACE))
SHUTDOWN_ERROR = "ERROR :Closing Link: 127.0.0.1 (Server shutting down)"


def test_sigterm_stops_accepting_tells_everyone_flushes_and_exits_0(server_factory):
    server = server_factory(*FLAGS)
    nicks = ["a", "b", "c", "d"]
    clients = {nick: IrcClient(server.address).register(nick) for nick in nicks}
    unregistered = IrcClient(server.address)
    unregistered.send("NICK halfway")
    stuck = socket.socket()  # never reads: its queue cannot be flushed, the grace must end it
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(server.address)
    stuck.sendall(b"NICK stuck\r\nUSER s 0 * :Stuck\r\n")
    clients["d"].expect(r"^:stuck!s@127\.0\.0\.1 JOIN")
    # Queued for everyone, read by no one yet, much of it still in the server's
    # queues rather than the kernel's: all of it must arrive before the ERROR.
    backlog = [f"PRIVMSG #lobby :backlog {i} {'q' * 300}" for i in range(BACKLOG)]
    clients["b"].send(*backlog)
    clients["b"].sync()
    unregistered.sync()

    logs: dict[str, list[str]] = {}

    def read_all(nick: str) -> None:
        """Raw reads to EOF (a line-by-line reader could be slower than the grace on a busy machine)."""
        sock, data = clients[nick].sock, [clients[nick]._buffer]
        sock.settimeout(10)
        while chunk := sock.recv(1 << 20):
            data.append(chunk)
        logs[nick] = b"".join(data).decode().splitlines()

    readers = [threading.Thread(target=read_all, args=(nick,)) for nick in nicks]
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(15)
    assert server.proc.poll() is None, "exited before the grace for the client that does not read"
    with pytest.raises(ConnectionRefusedError):  # while it flushes, nobody new gets in
        socket.create_connection(server.address, timeout=2)
    assert server.proc.wait(10) == 0
    assert GRACE - 0.5 < time.monotonic() - started < GRACE + 2

    assert unregistered.read_until_closed(timeout=10) == [SHUTDOWN_ERROR]
    for nick, lines in logs.items():
        assert lines[-1] == SHUTDOWN_ERROR, (nick, lines[-3:])
        if nick != "b":
            relayed = [line for line in lines if " PRIVMSG #lobby :backlog " in line]
            assert len(relayed) == BACKLOG, f"{nick} got {len(relayed)} of {BACKLOG} queued lines"
            assert relayed == [f":b!user@127.0.0.1 {line}" for line in backlog]

    for nick in nicks + ["stuck", "halfway"]:
        server.wait_log(rf"quit \S+ {nick} Server shutting down")
    order = re.findall(r"quit \S+ (\S+) Server shutting down", server.log_text())
    registered = set(nicks + ["stuck"])
    for nick, lines in logs.items():  # each saw everyone who was told before it leave
        quits = [line for line in lines if " QUIT " in line]
        assert all(line.endswith(" QUIT :Server shutting down") for line in quits), quits
        seen_leaving = [re.match(r"^:([^!]+)!", line).group(1) for line in quits]
        assert seen_leaving == [n for n in order[:order.index(nick)] if n in registered], (nick, order)
    assert "Traceback" not in server.log_text()
    stuck.close()
    for client in [*clients.values(), unregistered]:
        client.close()
