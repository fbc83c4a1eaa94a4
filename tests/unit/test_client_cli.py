"""Command-line mistakes: a usage line or one clear line, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from curses_client.cli import config_from_args, main
from tests.support.spawn import free_port

PURE = ["editor", "wrap", "state", "incoming", "commands", "session", "connection", "linemode", "termkeys",
        "keys", "paste", "pacing", "statusbar", "refusal", "address", "tls", "config", "resolve", "termout",
        "scrollback", "windows", "backlog", "features", "handlers", "channels", "talk", "history", "accounts",
        "sasl", "password"]


@pytest.mark.parametrize("argv, says", [
    ([], "usage: chat-client"),
    (["127.0.0.1", "alice"], "the following arguments are required"),
    (["127.0.0.1", "a" * 65, "A", "a"], "too long"),
    (["127.0.0.1", "bob", "Bob", "Smith", "bob"],
     'a real name with spaces needs quotes: chat-client 127.0.0.1 bob "Bob Smith" bob'),
    (["127.0.0.1:6667", "bob", "B", "b", "--port", "7000"], "two ports given"),
    (["[::1", "bob", "B", "b"], "closing ']'"),
    (["host:99999", "bob", "B", "b"], "port must be a number"),
    (["h", "bob", "B", "b", "--tls-ca", "/nonexistent/ca.pem"], "no such file"),
    (["h", "bob", "B", "b", "--tls-fingerprint", "abcd"], "64 hex digits"),
    (["h", "bob", "B", "b", "--tls-insecure", "--tls-fingerprint", "ab" * 32], "exclude each other"),
    (["h", "bob", "B", "b", "--send-rate", "0"], "must be greater than 0"),
    (["h", "bob", "B", "b", "--paste-lines", "x"], "not a number"),
    (["127.0.0.1", "9lives", "A", "a"], "not valid"),
    (["127.0.0.1", "alice", "A", "a b"], "user name"),
    (["127.0.0.1", "alice", "A", "a", "--port", "http"], "not a port number"),
    (["127.0.0.1", "alice", "A", "a", "--port", "70000"], "port must be 1-65535"),
    (["127.0.0.1", "alice", "A", "a", "--room", "lobby"], "not a room name"),
    (["h", "bob", "B", "b", "--tls-cert", "/nonexistent/me.pem"], "--tls-cert: no such file"),
    (["h", "bob", "B", "b", "--tls-key", "/nonexistent/key.pem"], "--tls-key goes with --tls-cert"),
    (["h", "bob", "B", "b", "--account", "9lives"], "not a valid account name"),
    (["h", "bob", "B", "b", "--history-lines", "0"], "must be greater than 0"),
    (["h", "bob", "B", "b", "--nicklist-cols", "-1"], "--nicklist-cols"),
    (["h", "bob", "B", "b", "--history-dm-days", "-1"], "--history-dm-days"),
    (["h", "bob", "B", "b", "--history-dm-max", "0"], "must be greater than 0"),
])
def test_bad_arguments(argv: list[str], says: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_unreachable_server_is_one_line() -> None:
    port = free_port()
    run = subprocess.run([sys.executable, "-m", "curses_client", "127.0.0.1", "alice", "A", "a",
                          "--port", str(port), "--plain"], capture_output=True, text=True, timeout=20,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 1
    assert run.stderr.strip() == f"chat-client: cannot connect to 127.0.0.1:{port}: Connection refused"


def test_unknown_host_is_one_line() -> None:
    run = subprocess.run([sys.executable, "-m", "curses_client", "no-such-host.invalid", "alice", "A", "a",
                          "--plain"],
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert run.returncode == 1
    assert run.stderr.startswith("chat-client: cannot connect to no-such-host.invalid:25565: ")
    assert len(run.stderr.strip().splitlines()) == 1


def test_the_model_imports_no_curses() -> None:
    code = ("import sys; sys.modules['curses'] = None; sys.modules['gevent'] = None\n"
            + "".join(f"import curses_client.{name}\n" for name in PURE))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=20)


@pytest.mark.parametrize("argv, host, port", [
    (["127.0.0.1", "a", "A", "a"], "127.0.0.1", 25565),
    (["127.0.0.1:6667", "a", "A", "a"], "127.0.0.1", 6667),
    (["[::1]:7000", "a", "A", "a"], "::1", 7000),
    (["::1", "a", "A", "a", "--port", "7001"], "::1", 7001),
    (["irc.example.org", "a", "A", "a", "--tls"], "irc.example.org", 6697),
    (["irc.example.org:7000", "a", "A", "a", "--tls"], "irc.example.org", 7000),
])
def test_addresses_and_default_ports(argv: list[str], host: str, port: int) -> None:
    config = config_from_args(argv)
    assert (config.host, config.port) == (host, port)


def test_options_may_come_between_the_arguments_and_nicks_may_be_long() -> None:
    config = config_from_args(["127.0.0.1", "--port", "7000", "alice_in_wonderland", "Alice L", "alice"])
    assert (config.port, config.nick, config.realname) == (7000, "alice_in_wonderland", "Alice L")


def test_the_flags_defaults_match_the_servers_flood_budget() -> None:
    config = config_from_args(["h", "a", "A", "a"])
    assert (config.send_burst, config.send_rate, config.paste_lines) == (10, 1.0, 5)
    assert not config.tls.enabled


def test_the_private_history_look_back_has_a_default_and_zero_turns_it_off() -> None:
    """--history-dm-days: a day by default, 0 allowed (no look-back on the first connection)."""
    config = config_from_args(["h", "a", "A", "a"])
    assert (config.history_dm_days, config.history_dm_max) == (1.0, 50)
    config = config_from_args(["h", "a", "A", "a", "--history-dm-days", "0", "--history-dm-max", "10"])
    assert (config.history_dm_days, config.history_dm_max) == (0.0, 10)


def test_a_certificate_that_cannot_be_used_is_a_usage_error(tmp_path, capsys) -> None:
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello\n")
    assert main(["h", "bob", "B", "b", "--tls-cert", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "--tls-cert: not a usable certificate and key" in err and "Traceback" not in err


def test_sasl_with_no_password_and_no_terminal_says_how_to_give_one() -> None:
    env = {key: value for key, value in os.environ.items() if key != "CHAT_PASSWORD"}
    run = subprocess.run([sys.executable, "-m", "curses_client", "127.0.0.1", "alice", "A", "a", "--sasl",
                          "--plain"], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL, env=env)
    assert run.returncode == 2
    assert run.stderr.strip() == ("chat-client: --sasl needs the password of alice: set CHAT_PASSWORD in the "
                                  "environment (there is no terminal to ask on)")


def test_the_password_comes_from_the_environment_and_leaves_it(monkeypatch) -> None:
    from curses_client.password import read_password

    monkeypatch.setenv("MY_IRC_PASSWORD", "hunter2")
    assert read_password("MY_IRC_PASSWORD", "alice") == "hunter2"
    assert "MY_IRC_PASSWORD" not in os.environ


def test_sasl_flags() -> None:
    assert config_from_args(["h", "a", "A", "a"]).sasl is None
    assert config_from_args(["h", "a", "A", "a", "--sasl"]).sasl == "PLAIN"
    config = config_from_args(["h", "a", "A", "a", "--account", "alicia"])
    assert (config.sasl, config.account) == ("PLAIN", "alicia")
    assert "password" not in repr(config).replace("password_env", "")
