def test_two_clients_chat(connect):
    alice = connect().register("alice")
    bob = connect().register("bob")
    alice.expect(r"^:bob!user@127\.0\.0\.1 JOIN #lobby$")
    bob.send("PRIVMSG #lobby :hello there")
    assert alice.expect(r"PRIVMSG") == ":bob!user@127.0.0.1 PRIVMSG #lobby :hello there"
    assert bob.sync() == []
