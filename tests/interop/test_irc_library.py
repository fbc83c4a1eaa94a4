"""A third-party IRC library (jaraco's `irc`) registers and chats with the server."""

import time

import irc.client


def pump(reactor, until, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        reactor.process_once(0.05)


def test_irc_library_clients_register_and_exchange_messages(server):
    reactor = irc.client.Reactor()
    events: dict[str, list] = {"welcome": [], "join": [], "pubmsg": [], "privmsg": []}

    for kind in events:
        reactor.add_global_handler(kind, lambda conn, event, kind=kind: events[kind].append((conn, event)))

    alice = reactor.server().connect("127.0.0.1", server.port, "alice", username="alice", ircname="Alice")
    bob = reactor.server().connect("127.0.0.1", server.port, "bob", username="bob", ircname="Bob")
    try:
        pump(reactor, lambda: len(events["welcome"]) == 2, "both welcomes")
        pump(reactor, lambda: any(e.source.nick == "bob" and c is alice for c, e in events["join"]),
             "alice to see bob join")
        assert {c.get_nickname() for c, _ in events["welcome"]} == {"alice", "bob"}

        alice.privmsg("#lobby", "hello from alice")
        pump(reactor, lambda: events["pubmsg"], "bob to get the lobby message")
        conn, event = events["pubmsg"][0]
        assert conn is bob
        assert (event.source.nick, event.target, event.arguments) == ("alice", "#lobby", ["hello from alice"])

        bob.privmsg("alice", "hi alice, just you")
        pump(reactor, lambda: events["privmsg"], "alice to get the private message")
        conn, event = events["privmsg"][0]
        assert conn is alice
        assert (event.source.nick, event.arguments) == ("bob", ["hi alice, just you"])
        assert len(events["pubmsg"]) == 1  # the sender got no echo
    finally:
        alice.disconnect("bye")
        bob.disconnect("bye")
