"""Talking: lobby messages, private messages, notices, nick changes (PROTOCOL.md, The room)."""


def test_lobby_message_reaches_every_other_client_exactly_once(connect):
    clients = [connect().register(nick) for nick in ("amy", "ben", "cat", "dan")]
    for c in clients:
        c.sync()
    amy = clients[0]
    amy.send("PRIVMSG #lobby :hello everyone")
    assert amy.sync() == []  # not echoed to the sender
    for other in clients[1:]:
        assert other.sync() == [":amy!user@127.0.0.1 PRIVMSG #lobby :hello everyone"]


def test_lobby_name_is_case_insensitive_and_notices_relay(connect):
    a, b = connect().register("a"), connect().register("b")
    a.sync()
    a.send("NOTICE #LOBBY :quiet note")
    a.sync()
    assert b.sync() == [":a!user@127.0.0.1 NOTICE #lobby :quiet note"]


def test_private_message_reaches_only_its_target(connect):
    a, b, c = (connect().register(n) for n in ("a", "b", "c"))
    for x in (a, b, c):
        x.sync()
    a.send("PRIVMSG B :just for you")
    assert a.sync() == []
    assert b.sync() == [":a!user@127.0.0.1 PRIVMSG b :just for you"]
    assert c.sync() == []


def test_unknown_channel_is_403(connect):
    a = connect().register("a")
    a.send("PRIVMSG #elsewhere :hi")
    assert a.expect(r" 403 ") == ":irc.test 403 a #elsewhere :No such channel"


def test_utf8_and_latin1_text_is_relayed(connect):
    a, b = connect().register("a"), connect().register("b")
    a.sync()
    a.send("PRIVMSG #lobby :héllo ☃ 漢字")
    a.send_raw(b"PRIVMSG #lobby :caf\xe9\r\n")
    a.sync()
    assert b.sync() == [":a!user@127.0.0.1 PRIVMSG #lobby :héllo ☃ 漢字",
                        ":a!user@127.0.0.1 PRIVMSG #lobby :café"]


def test_nick_change_is_seen_by_others_and_frees_the_old_nick(connect):
    a, b = connect().register("anna"), connect().register("bert")
    a.sync()
    a.send("NICK hannah")
    assert a.sync() == [":anna!user@127.0.0.1 NICK hannah"]
    assert b.sync() == [":anna!user@127.0.0.1 NICK hannah"]
    c = connect()
    c.send("NICK anna", "USER c 0 * :C")
    c.expect(r" 001 anna ")


def test_a_forged_prefix_is_replaced_by_the_true_one(connect):
    a, b = connect().register("a"), connect().register("b")
    a.sync()
    a.send(":b!user@127.0.0.1 PRIVMSG #lobby :I am b")
    a.sync()
    assert b.sync() == [":a!user@127.0.0.1 PRIVMSG #lobby :I am b"]
