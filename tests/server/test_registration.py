"""Registration over real sockets (PROTOCOL.md, Registration), several clients at once."""

import re

from tests.support.client import CAPS, IrcClient

ADDR = r"127\.0\.0\.1"


def test_nick_then_user(connect):
    c = connect()
    c.send("NICK alice", "USER alice 0 * :Alice Liddell")
    assert c.expect(r" 001 ") == ":irc.test 001 alice :Welcome to the geventchat IRC Network alice!alice@127.0.0.1"
    for numeric in ("002", "003", "004", "005", "251", "254", "255", "422"):
        c.expect(rf"^:irc\.test {numeric} alice ")
    assert c.expect(r"JOIN") == ":alice!alice@127.0.0.1 JOIN #lobby"
    assert c.expect(r" 353 ") == ":irc.test 353 alice = #lobby :alice"
    assert c.expect(r" 366 ") == ":irc.test 366 alice #lobby :End of /NAMES list."


def test_user_then_nick(connect):
    c = connect()
    c.send("USER bob 0 * :Bob", "NICK bob")
    c.expect(r"^:irc\.test 001 bob ")
    c.expect(r"^:bob!bob@127\.0\.0\.1 JOIN #lobby$")


def test_isupport_tokens(connect):
    c = connect()
    c.send("NICK carol", "USER carol 0 * :Carol")
    c.expect(r" 366 ")
    tokens = " ".join(line.split(" :")[0] for line in c.seen if " 005 " in line).split()
    for token in ("CASEMAPPING=rfc1459", "NICKLEN=9", "CHANTYPES=#", "NETWORK=geventchat", "CHANNELLEN=50",
                  "PREFIX=(ov)@+", "CHANMODES=beI,k,l,imnst", "STATUSMSG=@+", "CHANLIMIT=#:20", "TOPICLEN=390",
                  "KICKLEN=255", "MAXLIST=beI:100", "MODES=4", "ELIST=MNU", "CHATHISTORY=1000"):
        assert token in tokens
    assert all(len(line.split(" :")[0].split()) <= 3 + 13 for line in c.seen if " 005 " in line)


def test_seed_user_line_without_colon_gives_the_rest_as_real_name(connect):
    c = connect()
    c.send("USER guest tolmoon tolsun Ronnie Reagan", "NICK guest")
    c.expect(r" 366 ")
    c.send("WHOIS guest")
    assert c.expect(r" 311 ") == ":irc.test 311 guest guest guest 127.0.0.1 * :Ronnie Reagan"


def test_error_numerics_with_exact_parameters(connect):
    taken = connect().register("taken")
    c = connect()
    c.send("PRIVMSG #lobby :too early")
    assert c.expect(r" 451 ") == ":irc.test 451 * :You have not registered"
    c.send("NICK")
    assert c.expect(r" 431 ") == ":irc.test 431 * :No nickname given"
    c.send("NICK 9lives")
    assert c.expect(r" 432 ") == ":irc.test 432 * 9lives :Erroneous nickname"
    c.send("NICK TaKeN")
    assert c.expect(r" 433 ") == ":irc.test 433 * TaKeN :Nickname is already in use"
    c.send("USER onlyone")
    assert c.expect(r" 461 ") == ":irc.test 461 * USER :Not enough parameters"
    c.send("NICK newbie", "USER newbie 0 * :New")
    c.expect(r" 366 ")
    c.send("USER newbie 0 * :Again")
    assert c.expect(r" 462 ") == ":irc.test 462 newbie :You may not reregister"
    c.send("FROB")
    assert c.expect(r" 421 ") == ":irc.test 421 newbie FROB :Unknown command"
    c.send("PRIVMSG")
    assert c.expect(r" 411 ") == ":irc.test 411 newbie :No recipient given (PRIVMSG)"
    c.send("PRIVMSG #lobby")
    assert c.expect(r" 412 ") == ":irc.test 412 newbie :No text to send"
    c.send("PRIVMSG nobody :hi")
    assert c.expect(r" 401 ") == ":irc.test 401 newbie nobody :No such nick/channel"
    c.send("x" * 600)
    assert c.expect(r" 417 ") == ":irc.test 417 newbie :Input line was too long"
    assert c.sync() == []  # the connection is kept
    assert taken.sync()[-1] == ":newbie!newbie@127.0.0.1 JOIN #lobby"


def test_cap_ls_302_then_cap_end(connect):
    c = connect()
    c.send("CAP LS 302")
    assert c.expect(r"CAP") == f":irc.test CAP * LS :{CAPS}"
    c.send("NICK capper", "USER capper 0 * :Cap")
    c.send("CAP REQ :draft/multiline")
    assert c.expect(r"CAP") == ":irc.test CAP capper NAK :draft/multiline"
    assert not any(" 001 " in line for line in c.seen)  # still negotiating
    c.send("CAP END")
    c.expect(r" 001 capper ")
    c.expect(r" 366 ")


def test_the_lobby_join_is_seen_by_everyone_already_there(connect):
    a = connect().register("a")
    b = connect().register("b")
    c = connect().register("c")
    assert a.sync() == [":b!user@127.0.0.1 JOIN #lobby", ":c!user@127.0.0.1 JOIN #lobby"]
    assert b.sync() == [":c!user@127.0.0.1 JOIN #lobby"]
    names = [line for line in c.seen if " 353 " in line]
    assert names == [":irc.test 353 c = #lobby :a b c"]


def test_names_list_is_split_under_512_bytes(server_factory):
    server = server_factory("--max-per-ip", "100")
    clients = [IrcClient(server.address).register(f"n{i:02d}{'x' * 5}") for i in range(70)]
    try:
        last = clients[-1]
        names = [line for line in last.seen if " 353 " in line]
        assert len(names) > 1
        listed = [n for line in names for n in line.split(" :", 1)[1].split()]
        assert sorted(listed) == sorted(c.nick for c in clients)
        assert all(len(line.encode()) + 2 <= 512 for line in names)
    finally:
        for c in clients:
            c.close()
