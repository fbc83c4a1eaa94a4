"""Channels on a real server: four clients in three channels, and who sees what, exactly once each."""

from __future__ import annotations

from collections import Counter


def everyone_syncs(*clients):
    return [client.sync() for client in clients]


def test_four_clients_in_three_channels_see_exactly_their_share(connect):
    a, b, c, d = (connect().register(nick) for nick in "abcd")
    # #one: a b c   #two: a b   #three: c d   (and the lobby: everyone)
    a.send("JOIN #one,#two")
    a.sync()  # a is first in: the operator of both
    b.send("JOIN #one,#two")
    c.send("JOIN #one,#three")
    d.send("JOIN #three")
    everyone_syncs(a, b, c, d)

    a.send("PRIVMSG #one :to one", "PRIVMSG #two :to two", "MODE #two +v b", "KICK #one c :out",
           "NICK alpha")
    a.sync()
    seen_by_d = d.sync()
    d.send("PRIVMSG #three :to three")
    d.sync()
    seen = dict(zip("abc", everyone_syncs(a, b, c)), d=seen_by_d)

    assert seen["b"] == [
        ":a!user@127.0.0.1 PRIVMSG #one :to one",
        ":a!user@127.0.0.1 PRIVMSG #two :to two",
        ":a!user@127.0.0.1 MODE #two +v b",
        ":a!user@127.0.0.1 KICK #one c :out",
        ":a!user@127.0.0.1 NICK alpha",
    ]
    assert seen["c"] == [
        ":a!user@127.0.0.1 PRIVMSG #one :to one",
        ":a!user@127.0.0.1 KICK #one c :out",
        ":a!user@127.0.0.1 NICK alpha",
        ":d!user@127.0.0.1 PRIVMSG #three :to three",
    ]
    assert seen["d"] == [":a!user@127.0.0.1 NICK alpha"]  # shares only the lobby with a

    b.send("PART #two :bye two")
    b.sync()
    c.send("QUIT :gone")
    c.read_until_closed()
    a_seen, d_seen = everyone_syncs(a, d)
    assert a_seen == [":b!user@127.0.0.1 PART #two :bye two", ":c!user@127.0.0.1 QUIT :gone"]
    assert d_seen == [":c!user@127.0.0.1 QUIT :gone"]  # once, though c and d shared two channels
    assert Counter(d_seen)[":c!user@127.0.0.1 QUIT :gone"] == 1


def test_channel_history_is_served_per_channel(connect):
    a = connect().register("a")
    a.send("JOIN #dev", "PRIVMSG #dev :in dev", "PRIVMSG #lobby :in the lobby")
    a.sync()
    b = connect()
    b.send("CAP REQ :draft/chathistory batch", "NICK b", "USER b 0 * :B", "CAP END")
    b.expect(" 366 ")
    b.send("CHATHISTORY LATEST #dev * 10")
    assert b.expect("FAIL") == ":irc.test FAIL CHATHISTORY INVALID_TARGET LATEST #dev :You are not on that channel"
    b.send("JOIN #dev")
    b.expect(" 366 ")
    b.send("CHATHISTORY LATEST #dev * 10")
    lines = []
    while not (line := b.read_line()).startswith(":irc.test BATCH -"):
        lines.append(line)
    assert [line.rsplit(" :", 1)[1] for line in lines if " PRIVMSG " in line] == ["in dev"]
