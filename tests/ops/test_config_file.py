"""The config file: a server runs as its file says, flags win, every bad file is one clear error and exit 2."""

from __future__ import annotations

import dataclasses
import re
import urllib.request
from pathlib import Path

import pytest

from geventchat import config_text
from geventchat.config import sections_of
from geventchat.config_file import Source
from tests.support.client import IrcClient
from tests.support.server import run_once

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "geventchat" / "share" / "chat-server.toml"

SET_BY_THE_FILE = {
    "server": {"name": "irc.file", "network": "FileNet", "lobby": "#hall", "log_level": "INFO"},
    "listeners": {"host": "127.0.0.1", "port": 0},
    "limits": {"nicklen": 5, "max_targets": 2},
    "flood": {"burst": 30, "rate": 10.0},
    "network": {"node_timeout": 20.0},
    "metrics": {"port": 0, "host": "127.0.0.1"},
}


def every_section(motd: str) -> str:
    """A file with a table for every section there is: the settings above, every other section's keys at
    their defaults (so that a section added later is in the file too)."""
    out = []
    for section, _, fields in sections_of():
        out.append(f"[{section}]")
        chosen = dict(SET_BY_THE_FILE.get(section, {}))
        if section == "server":
            chosen["motd_file"] = motd
        if section not in SET_BY_THE_FILE:
            chosen = {f.name: f.default for f, _ in fields
                      if f.default is not dataclasses.MISSING and f.default is not None}
        out += [f"{key} = {config_text.toml_value(value)}" for key, value in chosen.items()]
        out.append("")
    return "\n".join(out)


def welcome(client: IrcClient, nick: str) -> list[str]:
    client.send(f"NICK {nick}", "USER u 0 * :U")
    client.expect(r" 366 ")
    return list(client.seen)


def test_a_file_with_every_section_runs_the_server_it_describes(tmp_path, write_config, file_server):
    motd = tmp_path / "motd.txt"
    motd.write_text("from the config file\n")
    server = file_server(write_config(every_section(str(motd))))
    client = IrcClient(server.address)
    lines = welcome(client, "alice")
    assert lines[0] == ":irc.file 001 alice :Welcome to the FileNet IRC Network alice!u@127.0.0.1"
    isupport = " ".join(line for line in lines if " 005 " in line)
    assert " NICKLEN=5 " in isupport and " NETWORK=FileNet " in isupport
    assert ":irc.file 372 alice :- from the config file" in lines
    assert ":alice!u@127.0.0.1 JOIN #hall" in lines
    client.send("NICK sixsix")
    assert client.expect(r" 432 ") == ":irc.file 432 alice sixsix :Erroneous nickname"
    with urllib.request.urlopen(server.metrics_url + "/healthz", timeout=10) as answer:
        assert answer.status == 200
    client.close()


def test_flags_win_over_the_file(tmp_path, write_config, file_server):
    path = write_config(every_section(str(tmp_path / "no-such-motd")))
    server = file_server(path, "--server-name", "irc.flag", "--nicklen", "7", "--lobby", "#flagged")
    client = IrcClient(server.address)
    lines = welcome(client, "bob")
    assert lines[0].startswith(":irc.flag 001 bob ")
    assert " NICKLEN=7 " in " ".join(line for line in lines if " 005 " in line)
    assert ":bob!u@127.0.0.1 JOIN #flagged" in lines
    assert ":irc.flag 422 bob :MOTD File is missing" in lines  # the file's MOTD path, not found: a warning
    client.close()


@pytest.mark.parametrize("text, error", [
    ("[server\nname = 'x'\n", ":1: not valid TOML: Expected ']' at the end of a table declaration"),
    ("[flod]\nburst = 3\n", ":1: unknown section [flod] (did you mean flood?)"),
    ("[limits]\nnicklen = 5\nnick_len = 5\n", ":3: [limits] nick_len: unknown key (did you mean nicklen?)"),
    ("[flood]\n\nrate = 'fast'\n", ":3: [flood] rate: expected a number, found a string \"fast\""),
    ("[limits]\nsendq = 1.5\n", ":2: [limits] sendq: expected a whole number, found a number 1.5"),
    ("[listeners]\nsts = 'no'\n", ":2: [listeners] sts: expected true or false, found a string \"no\""),
    ("[listeners]\nport = 70000\n", ":2: [listeners] port: port must be 0-65535: '70000'"),
    ("[limits]\nexempt = '10.0.0.0/8'\n",
     ":2: [limits] exempt: expected a list of strings, found a string \"10.0.0.0/8\""),
    ("nicklen = 5\n", ":1: nicklen: keys go in a section such as [server]; unknown top-level key"),
    ("[network]\nworkers = 2\n",
     ": [network] workers (--workers) above 1 needs [network] redis (--redis) URL: "
     "the workers share one chat through Redis"),
])
def test_each_kind_of_bad_file_is_one_clear_error_and_exit_2(write_config, text, error):
    path = write_config(text)
    result = run_once("--config", path, "--check-config")
    assert result.returncode == 2
    assert result.stderr == f"chat-server: {path}{error}\n"


def test_every_problem_of_a_file_is_told_at_once_and_the_server_does_not_start(write_config):
    path = write_config("""\
        [limits]
        nicklen = 0
        bogus = 1

        [flood]
        burst = true
        """)
    result = run_once("--config", path, "--port", "0")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"chat-server: {path}:2: [limits] nicklen: must be greater than 0: '0'",
        f"chat-server: {path}:3: [limits] bogus: unknown key",
        f"chat-server: {path}:6: [flood] burst: expected a whole number, found true",
    ]


def test_a_missing_file_or_a_missing_motd_is_an_error(tmp_path, write_config):
    result = run_once("--config", str(tmp_path / "nowhere.toml"), "--check-config")
    assert (result.returncode, result.stderr) == (
        2, f"chat-server: cannot read config file {tmp_path / 'nowhere.toml'}: No such file or directory\n")
    path = write_config(f"[server]\nmotd_file = '{tmp_path / 'no-motd'}'\n")
    result = run_once("--config", path, "--check-config")
    assert result.returncode == 2
    assert result.stderr == f"chat-server: cannot read MOTD file {tmp_path / 'no-motd'}: No such file or directory\n"


def test_check_config_says_ok(write_config):
    path = write_config("[flood]\nburst = 20\n")
    result = run_once("--config", path, "--check-config")
    assert (result.returncode, result.stdout) == (0, f"chat-server: {path}: configuration OK\n")


def test_print_config_shows_the_effective_settings_with_secrets_masked(write_config, tmp_path):
    path = write_config("[flood]\nburst = 20\nrate = 2.5\n[limits]\nexempt = ['10.0.0.0/8']\n")
    result = run_once("--config", path, "--flood-rate", "4", "--redis", "redis://:hunter2@127.0.0.1:6379/0",
                      "--lobby", "none", "--print-config")
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout
    assert 'redis = "redis://:********@127.0.0.1:6379/0"' in result.stdout
    assert "burst = 20\nrate = 4.0\n" in result.stdout  # the file's burst, the flag's rate
    assert 'exempt = ["10.0.0.0/8"]' in result.stdout
    assert 'lobby = "none"' in result.stdout  # TOML has no null: a setting turned off says so in words
    # what it prints (the secret aside) is a config file that gives the same configuration
    printed = tmp_path / "printed.toml"
    printed.write_text(re.sub(r"\nredis = .*\n", "\n", result.stdout))
    again = run_once("--config", str(printed), "--print-config")
    assert again.stdout == re.sub(r"\nredis = .*\n", "\n# redis is not set\n", result.stdout)


def test_the_example_in_the_package_is_the_one_the_settings_make():
    """Regenerate with: chat-server --print-example-config > geventchat/share/chat-server.toml"""
    assert EXAMPLE.read_text() == config_text.example()


def test_the_example_uncommented_is_a_valid_file_of_the_defaults(tmp_path):
    text = EXAMPLE.read_text()
    keys = re.findall(r"^# ([a-z0-9_]+ = .*)$", text, re.M)
    assert len(keys) == sum(len(fields) for _, _, fields in sections_of())
    uncommented = tmp_path / "all.toml"
    uncommented.write_text(re.sub(r"^# ([a-z0-9_]+ = .*)$", r"\1", text, flags=re.M))
    config = Source(str(uncommented)).load()
    for section, _, fields in sections_of():
        for f, _ in fields:
            if f.default is not dataclasses.MISSING and f.default is not None and not f.metadata.get("example"):
                assert getattr(getattr(config, section), f.name) == f.default, (section, f.name)
