"""Metrics of a network node: the Redis link, the nodes it knows, lines from other nodes delivered here."""

from __future__ import annotations

from tests.ops.test_metrics import moved, scrape

PREFIX = "!user@127.0.0.1"


def test_a_node_reports_its_link_the_network_and_what_it_delivers(start_node, client):
    n1 = start_node("n1", "--metrics-port", "0")
    n2 = start_node("n2")
    alice = client(n1).register("alice")
    bob = client(n2).register("bob")
    alice.expect(f"^:bob{PREFIX} JOIN #lobby$")
    before = scrape(n1)
    assert before[("geventchat_redis_connected", ())] == 1
    assert before[("geventchat_nodes", ())] == 2
    bob.send("PRIVMSG #lobby :from n2", "PRIVMSG alice :psst")
    assert alice.expect("PRIVMSG alice") == f":bob{PREFIX} PRIVMSG alice :psst"
    alice.send("PRIVMSG #lobby :from n1")
    alice.sync()
    assert bob.expect("from n1") == f":alice{PREFIX} PRIVMSG #lobby :from n1"
    after = scrape(n1)
    changes = moved(before, after)
    # n1 delivered bob's two lines to alice (n2 counts its own); alice's lobby line had nobody else on n1
    assert changes[("geventchat_lines_delivered_total", ())] == 2
    assert changes[("geventchat_lines_received_total", ())] == 2  # alice's line and her PING
    assert after[("geventchat_redis_publish_lag_seconds_count", ())] > before.get(
        ("geventchat_redis_publish_lag_seconds_count", ()), 0)
    assert after[("geventchat_redis_outbox_items", ())] >= 0
