"""The command line: help, usage errors without tracebacks, a taken port."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.client import IrcClient

ROOT = Path(__file__).resolve().parents[2]


def run(*args, timeout=20):
    return subprocess.run([sys.executable, "-m", "geventchat", *args], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_help_lists_the_flags():
    result = run("--help")
    assert result.returncode == 0
    for flag in ("--host", "--port", "--server-name", "--lobby", "--motd-file", "--nicklen",
                 "--ping-interval", "--ping-timeout", "--log-level", "--sendq", "--max-per-ip"):
        assert flag in result.stdout


@pytest.mark.parametrize("args, complaint", [
    (["--port", "seventy"], "not a port number"),
    (["--port", "70000"], "port must be 0-65535"),
    (["--nicklen", "0"], "must be greater than 0"),
    (["--ping-interval", "-5"], "must be greater than 0"),
    (["--lobby", "lobby"], "not a channel name"),
    (["--log-level", "chatty"], "not a log level"),
    (["--exempt", "not-an-ip"], "not an address or CIDR"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_values_get_a_usage_error(args, complaint):
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: chat-server")
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr


def test_a_taken_port_is_a_clear_error(server):
    result = run("--host", "127.0.0.1", "--port", str(server.port))
    assert result.returncode == 1
    assert f"chat-server: cannot listen on 127.0.0.1:{server.port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_bin_chat_server_serves_a_session(tmp_path):
    """The README's own command, with a MOTD file and a custom lobby."""
    motd = tmp_path / "motd"
    motd.write_text("welcome to the test\n")
    proc = subprocess.Popen([str(ROOT / "bin" / "chat-server"), "--host", "127.0.0.1", "--port", "0",
                             "--server-name", "irc.bin", "--lobby", "#hall", "--motd-file", str(motd),
                             "--data-dir", str(tmp_path / "data")],
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        for line in proc.stderr:
            if "listening on" in line:
                port = int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])
                break
        c = IrcClient(("127.0.0.1", port))
        c.send("NICK binuser", "USER b 0 * :B")
        assert c.expect(r" 372 ") == ":irc.bin 372 binuser :- welcome to the test"
        assert c.expect(r"JOIN") == ":binuser!b@127.0.0.1 JOIN #hall"
        c.close()
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_help_says_each_default_once_and_never_none():
    """Defaults are written once, in Config; the help shows them once, and says nothing for 'unset'."""
    text = " ".join(run("--help").stdout.split())
    assert "(default: None)" not in text
    assert not re.search(r"\(default: [^)]*\) \(default:", text)
    assert "--server-name NAME name in replies (default: the host name)" in text
    assert "--sendq BYTES unsent bytes per client before it is closed (default: 262144)" in text
    assert "--flood-burst N lines a client may send at once (default: 10)" in text
