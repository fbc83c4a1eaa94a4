"""JSON logs for shippers, and the systemd unit in the package."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from geventchat.config import LimitsConfig, NetworkConfig
from tests.support.client import IrcClient
from tests.support.needs import missing

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "geventchat" / "share" / "geventchat.service"


def test_json_logs_are_one_object_a_line_with_the_same_events(server_factory):
    server = server_factory("--log-format", "json")
    alice = IrcClient(server.address).register("alice")
    alice.send("QUIT :bye")
    alice.read_until_closed()
    server.wait_log(r'"event": "quit"')
    entries = [json.loads(line) for line in server.log]  # every line is one JSON object
    listening = next(entry for entry in entries if entry["message"].startswith("listening on"))
    assert listening["level"] == "INFO" and re.match(r"listening on 127\.0\.0\.1:\d+ as irc\.test$",
                                                     listening["message"])
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", listening["time"])
    events = {entry["event"]: entry for entry in entries if "event" in entry}
    assert events["connect"]["ip"] == "127.0.0.1"
    assert events["register"]["nick"] == "alice"
    assert events["register"]["detail"] == "alice!user@127.0.0.1 (Real Name)"
    assert events["quit"]["detail"] == "bye" and events["quit"]["uid"] == events["register"]["uid"]
    assert events["quit"]["message"] == f"quit {events['quit']['uid']} alice bye"  # the text form's words


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_systemd_accepts_the_unit(tmp_path):
    """systemd-analyze verify, with ExecStart pointing at this checkout's chat-server (it checks that it exists)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        missing("systemd-analyze is not installed (Debian package systemd)")
    installed = Path(sys.executable).parent / "chat-server"
    assert installed.exists()
    unit = tmp_path / "geventchat.service"
    unit.write_text(UNIT.read_text().replace("/opt/geventchat/bin/chat-server", str(installed)))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, "")


def test_the_unit_runs_a_dedicated_user_restarts_on_failure_reloads_with_sighup():
    settings = unit_settings()
    assert settings["User"] == settings["Group"] == ["geventchat"]
    assert settings["Restart"] == ["on-failure"]
    assert settings["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert settings["ExecStart"] == ["/opt/geventchat/bin/chat-server --config /etc/geventchat/chat-server.toml"]
    # one descriptor per client, and room for the listeners, the Redis pool and files
    headroom = NetworkConfig().redis_pool_size + 64
    assert int(settings["LimitNOFILE"][0]) >= LimitsConfig().max_clients + headroom
