"""The metrics port: a Prometheus scrape during a short chat, and /healthz through a shutdown."""

from __future__ import annotations

import signal
import socket
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.support.client import IrcClient


def scrape(server) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics, by name and labels."""
    with urllib.request.urlopen(server.metrics_url + "/metrics", timeout=10) as answer:
        assert answer.status == 200
        text = answer.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


TIMINGS = ("_bucket", "_sum", "_count")
"""Histogram series: the history store's timings move on its own timer (a flush), not with the chat."""


def moved(before: dict, after: dict) -> dict[tuple[str, tuple], float]:
    """The geventchat counters and gauges that changed, by how much (timings left out)."""
    return {key: after[key] - before.get(key, 0) for key in after
            if key[0].startswith("geventchat_") and after[key] != before.get(key, 0)
            and not key[0].startswith("geventchat_clients_") and not key[0].endswith(TIMINGS)}


def status(url: str) -> int | None:
    """The HTTP status of `url`, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_counters_move_by_exactly_the_lines_sent_and_delivered(server_factory):
    server = server_factory("--metrics-port", "0", "--max-clients", "3")
    alice, bob, carol = (IrcClient(server.address).register(nick) for nick in ("alice", "bob", "carol"))
    with socket.create_connection(server.address, timeout=10) as fourth:  # one client too many
        assert fourth.recv(512) == b"ERROR :Closing Link: 127.0.0.1 (Server is full)\r\n"
    server.wait_log("refuse 127.0.0.1: Server is full")
    before = scrape(server)
    assert before[("geventchat_clients_registered", (("listener", "tcp"),))] == 3
    assert before[("geventchat_registrations_total", (("listener", "tcp"),))] == 3
    assert before[("geventchat_refusals_total", (("cause", "server_full"),))] == 1

    alice.send("PRIVMSG #lobby :one", "PRIVMSG #lobby :two", "PRIVMSG #lobby :three", "PRIVMSG bob :psst")
    alice.sync()  # 4 lines and a PING from alice
    assert len([line for line in bob.sync() if "PRIVMSG" in line]) == 4  # and a PING each from bob
    assert len([line for line in carol.sync() if "PRIVMSG" in line]) == 3  # ... and carol
    carol.send("QUIT :bye")  # one more line; alice and bob are told
    assert alice.expect(" QUIT ") == bob.expect(" QUIT ") == ":carol!user@127.0.0.1 QUIT :bye"
    after = scrape(server)
    assert moved(before, after) == {
        ("geventchat_lines_received_total", ()): 4 + 1 + 1 + 1 + 1,
        ("geventchat_lines_delivered_total", ()): 3 * 2 + 1 + 2,
        ("geventchat_quits_total", (("reason", "quit"),)): 1,
        ("geventchat_connections", ()): -1,
    }
    assert after[("geventchat_clients_connected", (("listener", "tcp"),))] == 2
    assert after[("geventchat_clients_registered", (("listener", "tcp"),))] == 2
    assert after[("geventchat_nodes", ())] == 1
    assert after[("process_open_fds", ())] > 0
    assert status(server.metrics_url + "/elsewhere") == 404
    for client in (alice, bob, carol):
        client.close()


def test_healthz_is_200_while_serving_and_503_while_shutting_down(tmp_path, server_factory):
    motd = tmp_path / "motd"
    motd.write_text(("x" * 400 + "\n") * 5000)  # 2 MB a MOTD
    server = server_factory("--metrics-port", "0", "--motd-file", str(motd), "--sendq", "100000000",
                            "--shutdown-grace", "2", "--flood-burst", "100")
    healthz = server.metrics_url + "/healthz"
    assert status(healthz) == 200
    # a client that reads nothing, with 10 MB queued for it: the shutdown waits out its grace
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(server.address)
    slow.sendall(b"NICK slow\r\nUSER s 0 * :S\r\n" + b"MOTD\r\n" * 4)
    witness = IrcClient(server.address).register("witness")
    assert status(healthz) == 200
    server.proc.send_signal(signal.SIGTERM)
    witness.expect(r"^ERROR ")  # the shutdown has begun
    seen = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not seen or seen[-1] is not None):
        seen.append(status(healthz))
        time.sleep(0.05)
    assert 503 in seen and 200 not in seen, seen
    assert seen[-1] is None  # and once the grace is over, the port closes with the server
    assert server.proc.wait(10) == 0
    slow.close()
    witness.close()
