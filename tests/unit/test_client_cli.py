"""Command-line mistakes: a usage line or one clear line, a non-zero exit, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from curses_client.cli import main
from curses_client.keys import action_for
from tests.support.spawn import free_port

PURE = ["editor", "wrap", "state", "incoming", "commands", "session", "connection", "linemode"]


@pytest.mark.parametrize("argv, says", [
    ([], "usage: chat-client"),
    (["127.0.0.1", "alice"], "the following arguments are required"),
    (["127.0.0.1", "averyverylongnick", "A", "a"], "too long"),
    (["127.0.0.1", "9lives", "A", "a"], "not valid"),
    (["127.0.0.1", "alice", "A", "a b"], "user name"),
    (["127.0.0.1", "alice", "A", "a", "--port", "http"], "not a port number"),
    (["127.0.0.1", "alice", "A", "a", "--port", "70000"], "port must be 1-65535"),
    (["127.0.0.1", "alice", "A", "a", "--room", "lobby"], "not a room name"),
])
def test_bad_arguments(argv: list[str], says: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_unreachable_server_is_one_line() -> None:
    port = free_port()
    run = subprocess.run([sys.executable, "-m", "curses_client", "127.0.0.1", "alice", "A", "a",
                          "--port", str(port)], capture_output=True, text=True, timeout=20,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 1
    assert run.stderr.strip() == f"chat-client: cannot connect to 127.0.0.1:{port}: Connection refused"


def test_unknown_host_is_one_line() -> None:
    run = subprocess.run([sys.executable, "-m", "curses_client", "no-such-host.invalid", "alice", "A", "a"],
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert run.returncode == 1
    assert run.stderr.startswith("chat-client: cannot connect to no-such-host.invalid:25565: ")
    assert len(run.stderr.strip().splitlines()) == 1


def test_the_model_imports_no_curses() -> None:
    code = ("import sys; sys.modules['curses'] = None; sys.modules['gevent'] = None\n"
            + "".join(f"import curses_client.{name}\n" for name in PURE))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=20)


@pytest.mark.parametrize("key, action", [
    ("a", ("insert", "a")), ("漢", ("insert", "漢")), ("\n", ("submit", "")), ("\t", ("complete", "")),
    ("\x15", ("kill_before", "")), ("\x17", ("kill_word", "")), ("\x0b", ("kill_after", "")),
    ("\x01", ("home", "")), ("\x05", ("end", "")), ("\x1b", ("ignore", "")),
])
def test_keys(key, action) -> None:
    assert action_for(key) == action
