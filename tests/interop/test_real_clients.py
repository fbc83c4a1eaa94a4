"""irssi and weechat themselves, in a pseudo-terminal read through pyte, against a real server.

Both speak server-time and batch: a line said three hours ago, played back
when they join, must show its own time, not the time it was played.
"""

from __future__ import annotations

import shutil
import time

import pytest

from geventchat.core.history import Entry
from geventchat.store.sqlite import SqliteHistory
from tests.support.needs import missing
from tests.support.server import start_server
from tests.support.terminal import Terminal

THEN = time.time() - 3 * 3600


def installed(program: str) -> None:
    if shutil.which(program) is None:
        missing(f"{program} is not installed")


@pytest.fixture
def old_line_server(tmp_path):
    """A server whose history already holds a line said three hours ago."""
    data = tmp_path / "data"
    store = SqliteHistory(data / "history.sqlite3", max_age=30 * 86400, max_lines=1000)
    store.append(Entry("seeded~1", THEN, "#lobby", "PRIVMSG",
                       b":oldtimer!old@10.0.0.7 PRIVMSG #lobby :said three hours ago\r\n"))
    store.close()
    server = start_server("--data-dir", str(data), "--flood-burst", "50")
    yield server
    server.stop()


def test_irssi_shows_played_back_history_with_its_original_time(old_line_server, tmp_path):
    """irssi negotiates server-time and, with its show_server_time setting on, shows the tag's time."""
    installed("irssi")
    home = tmp_path / "irssi"
    term = Terminal(["irssi", f"--home={home}", "-n", "irssiuser"], rows=30, cols=100, name="irssi",
                    env={"HOME": str(tmp_path)})
    try:
        term.wait_text("[(status)]", timeout=20)
        term.send_line("/set show_server_time on")
        term.send_line(f"/connect 127.0.0.1 {old_line_server.port}")
        term.wait_text("Act: 2", timeout=20)  # the lobby's window has something to show
        term.send_line("/window 2")
        term.wait_text("said three hours ago", timeout=10)
        row = term.display[term.row_of("said three hours ago")]
        assert row.startswith(time.strftime("%H:%M", time.localtime(THEN))), term.dump()
        assert "oldtimer" in row
    finally:
        term.close()


def test_weechat_shows_played_back_history_with_its_original_time(old_line_server, tmp_path):
    installed("weechat")
    home = tmp_path / "weechat"
    commands = (f"/server add local 127.0.0.1/{old_line_server.port} -nicks=weeuser;"
                "/set irc.server_default.capabilities \"*\";/connect local")
    term = Terminal(["weechat", "-d", str(home), "-r", commands], rows=30, cols=120, name="weechat",
                    env={"HOME": str(tmp_path)})
    try:
        term.wait_text("said three hours ago", timeout=20)
        row = term.display[term.row_of("said three hours ago")]
        assert time.strftime("%H:%M:%S", time.localtime(THEN))[:5] in row.split("oldtimer")[0], term.dump()
    finally:
        term.close()


@pytest.fixture
def plain_server(server_factory):
    return server_factory("--flood-burst", "50")


def test_irssi_joins_talks_kicks_and_sets_modes(plain_server, tmp_path):
    installed("irssi")
    from tests.support.client import IrcClient

    term = Terminal(["irssi", f"--home={tmp_path / 'irssi'}", "-n", "irssiop"], rows=30, cols=100, name="irssi",
                    env={"HOME": str(tmp_path)})
    watcher = IrcClient(plain_server.address).register("watcher")
    try:
        term.wait_text("[(status)]", timeout=20)
        term.send_line("/set cmds_max_at_once 20")  # irssi paces itself: past five lines, one per 2.2 s
        term.send_line(f"/connect 127.0.0.1 {plain_server.port}")
        term.wait_text("Welcome to the geventchat", timeout=20)
        term.send_line("/join #dev")
        term.wait_text("/#dev", timeout=20)  # its window is the one typed into now
        watcher.send("JOIN #dev")
        watcher.expect(r" 366 ")
        term.send_line("hello from irssi")
        assert watcher.expect(r"PRIVMSG #dev").endswith("PRIVMSG #dev :hello from irssi")
        term.send_line("/mode #dev +m")
        assert watcher.expect(r" MODE #dev").endswith("MODE #dev +m")
        term.send_line("/topic set by irssi")
        assert watcher.expect(r" TOPIC ").endswith("TOPIC #dev :set by irssi")
        term.send_line("/kick watcher enough")
        assert watcher.expect(r" KICK ").endswith("KICK #dev watcher :enough")
    finally:
        watcher.close()
        term.close()


def test_weechat_joins_talks_kicks_and_sets_modes(plain_server, tmp_path):
    installed("weechat")
    from tests.support.client import IrcClient

    watcher = IrcClient(plain_server.address).register("watcher")
    commands = f"/server add local 127.0.0.1/{plain_server.port} -nicks=weeop;/connect local"
    term = Terminal(["weechat", "-d", str(tmp_path / "weechat"), "-r", commands], rows=30, cols=120,
                    name="weechat", env={"HOME": str(tmp_path)})
    try:
        term.wait_text("#lobby", timeout=20)
        term.send_line("/join #dev")
        term.wait_text(":#dev(", timeout=20)  # its buffer is the one typed into now
        watcher.send("JOIN #dev")
        watcher.expect(r" 366 ")
        term.send_line("hello from weechat")
        assert watcher.expect(r"PRIVMSG #dev").endswith("PRIVMSG #dev :hello from weechat")
        term.send_line("/mode #dev +i")
        assert watcher.expect(r" MODE #dev").endswith("MODE #dev +i")
        term.send_line("/kick watcher enough")
        assert watcher.expect(r" KICK ").endswith("KICK #dev watcher :enough")
    finally:
        watcher.close()
        term.close()


@pytest.fixture
def tls_server(server_factory, tmp_path):
    from tests.support.tls import make_tls_files

    files = make_tls_files(tmp_path)
    return server_factory(*files.flags(), "--flood-burst", "50", "--no-sts")


def test_irssi_and_weechat_chat_over_tls(tls_server, tmp_path):
    """Both real clients register over TLS (a throwaway certificate they are told not to check) and talk."""
    installed("irssi")
    installed("weechat")
    port = tls_server.tls_address[1]
    irssi = Terminal(["irssi", f"--home={tmp_path / 'irssi'}", "-n", "irssitls"], rows=30, cols=100, name="irssi",
                     env={"HOME": str(tmp_path)})
    weechat = Terminal(["weechat", "-d", str(tmp_path / "weechat"), "-r",
                        f"/server add local 127.0.0.1/{port} -ssl -ssl_verify=off -nicks=weetls;/connect local"],
                       rows=30, cols=120, name="weechat", env={"HOME": str(tmp_path)})
    try:
        irssi.wait_text("[(status)]", timeout=20)
        irssi.send_line(f"/connect -tls -notls_verify 127.0.0.1 {port}")
        irssi.wait_text("Welcome to the geventchat", timeout=20)
        weechat.wait_text(":#lobby(", timeout=20)
        tls_server.wait_log(r"register \S+ weetls ")
        irssi.send_line("/whois weetls")
        irssi.wait_text("is using a secure connection", timeout=10)
        irssi.send_line("/msg weetls hello over TLS")
        weechat.wait_text("3.  irssitls", timeout=10)
        weechat.send_line("/buffer irssitls")  # the private message opened a buffer of its own
        weechat.wait_text("hello over TLS", timeout=10)
    finally:
        irssi.close()
        weechat.close()
