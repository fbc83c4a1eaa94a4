"""History on a real server: kept in SQLite in the data directory, there after a restart or a crash."""

from __future__ import annotations

import re
import signal
import time

from tests.support.client import IrcClient
from tests.support.server import start_server

HISTORY_CAPS = "draft/chathistory batch server-time message-tags"


def reader(server, nick: str) -> IrcClient:
    c = IrcClient(server.address)
    c.send(f"CAP REQ :{HISTORY_CAPS}", f"NICK {nick}", f"USER {nick} 0 * :Reader", "CAP END")
    c.expect(r" 366 ")
    return c


def latest(client: IrcClient, count: int = 50) -> list[tuple[str, str, str]]:
    """(msgid, time, text) of each PRIVMSG that CHATHISTORY LATEST returns for the lobby."""
    client.send(f"CHATHISTORY LATEST #lobby * {count}")
    start = client.expect(r"BATCH \+")
    ref = re.search(r"BATCH \+(\w+)", start).group(1)
    found = []
    while True:
        line = client.read_line()
        if line.endswith(f"BATCH -{ref}"):
            return found
        tags = dict(item.partition("=")[::2] for item in line[1:].split(" ", 1)[0].split(";"))
        found.append((tags["msgid"], tags["time"], line.rsplit(" :", 1)[1]))


def say(server, nick: str, *texts: str) -> None:
    c = IrcClient(server.address).register(nick)
    for text in texts:
        c.send(f"PRIVMSG #lobby :{text}")
    c.sync()
    c.close()


def test_history_is_there_after_a_restart_with_its_msgids_and_times(tmp_path):
    data = tmp_path / "data"
    server = start_server("--data-dir", str(data))
    try:
        say(server, "alice", "first", "second")
        before = latest(reader(server, "r1"))
        assert [text for _, _, text in before] == ["first", "second"]
    finally:
        assert server.stop(signal.SIGTERM) == 0
    assert (data / "history.sqlite3").exists()  # the directory was made on first run
    server = start_server("--data-dir", str(data))
    try:
        assert latest(reader(server, "r2")) == before
    finally:
        server.stop()


def test_lines_said_a_second_before_a_kill_are_kept(tmp_path):
    """The README's promise: a crash loses at most the last flush interval (0.5 s by default)."""
    data = tmp_path / "data"
    server = start_server("--data-dir", str(data))
    try:
        say(server, "alice", "said before the crash")
        time.sleep(1.0)  # the scenario: a crash one second after the line
    finally:
        server.stop(signal.SIGKILL)
    server = start_server("--data-dir", str(data))
    try:
        assert [text for _, _, text in latest(reader(server, "r2"))] == ["said before the crash"]
    finally:
        server.stop()


def test_history_none_offers_nothing_and_keeps_nothing(tmp_path):
    server = start_server("--data-dir", str(tmp_path / "data"), "--history", "none")
    try:
        c = IrcClient(server.address)
        c.send("CAP LS 302")
        assert "chathistory" not in c.expect(r"CAP \* LS")
        c.send("CAP END", "NICK plain", "USER p 0 * :P")
        c.expect(r" 366 ")
        c.send("CHATHISTORY LATEST #lobby * 10")
        assert c.expect("FAIL") == ":irc.test FAIL CHATHISTORY MESSAGE_ERROR LATEST :This server keeps no history"
    finally:
        server.stop()
    assert not (tmp_path / "data").exists()


def test_a_data_dir_that_cannot_be_made_is_a_clear_error(tmp_path):
    import subprocess
    import sys

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = subprocess.run([sys.executable, "-m", "geventchat", "--port", "0", "--data-dir", str(blocker / "data")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith(f"chat-server: cannot keep history in {blocker / 'data'}:")
    assert "Traceback" not in result.stderr


def test_two_servers_never_share_a_data_directory(tmp_path):
    import subprocess
    import sys

    data = tmp_path / "data"
    server = start_server("--data-dir", str(data))
    try:
        result = subprocess.run([sys.executable, "-m", "geventchat", "--port", "0", "--data-dir", str(data)],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 1
        assert result.stderr == (f"chat-server: the data directory {data} is in use by another server "
                                 f"(pid {server.proc.pid})\n")
    finally:
        server.stop()
