"""Queries over real sockets: WHOIS WHO NAMES LUSERS MOTD VERSION TIME ISON USERHOST, MODE."""

import re


def test_whois_fields(connect):
    a = connect()
    a.send("NICK alice", "USER alyx 0 * :Alice Liddell")
    a.expect(r" 366 ")
    b = connect().register("bob")
    b.send("WHOIS Alice")
    assert b.expect(r" 311 ") == ":irc.test 311 bob alice alyx 127.0.0.1 * :Alice Liddell"
    assert b.expect(r" 319 ") == ":irc.test 319 bob alice :#lobby"
    assert b.expect(r" 312 ") == ":irc.test 312 bob alice irc.test :geventchat server"
    assert re.fullmatch(r":irc\.test 317 bob alice \d+ \d+ :seconds idle, signon time", b.expect(r" 317 "))
    assert b.expect(r" 318 ") == ":irc.test 318 bob Alice :End of /WHOIS list."
    b.send("WHOIS ghost")
    assert b.expect(r" 401 ") == ":irc.test 401 bob ghost :No such nick/channel"
    b.expect(r" 318 bob ghost ")
    b.send("WHOIS")
    assert b.expect(r" 431 ") == ":irc.test 431 bob :No nickname given"


def test_who_and_names(connect):
    a = connect().register("a", realname="Ay Ay")
    connect().register("b")
    a.send("WHO #lobby")
    assert a.expect(r" 352 ") == ":irc.test 352 a #lobby user 127.0.0.1 irc.test a H :0 Ay Ay"
    a.expect(r" 352 a #lobby user 127\.0\.0\.1 irc\.test b H :0 Real Name")
    assert a.expect(r" 315 ") == ":irc.test 315 a #lobby :End of /WHO list."
    a.send("WHO b")
    a.expect(r" 352 a #lobby user 127\.0\.0\.1 irc\.test b H ")
    a.expect(r" 315 a b ")
    a.send("NAMES")
    assert a.expect(r" 353 ") == ":irc.test 353 a = #lobby :a b"
    assert a.expect(r" 366 ") == ":irc.test 366 a #lobby :End of /NAMES list."


def test_lusers_motd_version_time(connect):
    a = connect().register("a")
    connect().register("b")
    a.sync()
    a.send("LUSERS")
    assert a.expect(r" 251 ") == ":irc.test 251 a :There are 2 users and 0 invisible on 1 servers"
    assert a.expect(r" 254 ") == ":irc.test 254 a 1 :channels formed"
    assert a.expect(r" 255 ") == ":irc.test 255 a :I have 2 clients and 0 servers"
    a.send("MOTD")
    assert a.expect(r" 422 ") == ":irc.test 422 a :MOTD File is missing"
    a.send("VERSION")
    assert re.fullmatch(r":irc\.test 351 a geventchat-[\d.]+\. irc\.test :.+", a.expect(r" 351 "))
    a.send("TIME")
    assert re.fullmatch(r":irc\.test 391 a irc\.test :\w+ \w+ \d\d \d{4} -- \d\d:\d\d:\d\d [+-]\d{4}",
                        a.expect(r" 391 "))


def test_ison_and_userhost(connect):
    a = connect().register("a")
    connect().register("Bee")
    a.send("ISON bee nobody A")
    assert a.expect(r" 303 ") == ":irc.test 303 a :Bee a"
    a.send("USERHOST bee nobody")
    assert a.expect(r" 302 ") == ":irc.test 302 a :Bee=+user@127.0.0.1"


def test_mode_queries_real_clients_send(connect):
    a = connect().register("a")
    a.send("MODE a +i")
    assert a.expect(r"MODE") == ":a!user@127.0.0.1 MODE a +i"
    a.send("MODE a")
    assert a.expect(r" 221 ") == ":irc.test 221 a :+i"
    a.send("MODE #lobby")
    assert a.expect(r" 324 ") == ":irc.test 324 a #lobby :+nt"
    a.expect(r" 329 a #lobby :\d+")
    a.send("MODE #lobby b")
    assert a.expect(r" 368 ") == ":irc.test 368 a #lobby :End of channel ban list"
    a.send("MODE someone +i")
    assert a.expect(r" 401 ") == ":irc.test 401 a someone :No such nick/channel"
    connect().register("other")
    a.send("MODE other +i")
    assert a.expect(r" 502 ") == ":irc.test 502 a :Cannot change mode for other users"
    a.send("JOIN #lobby")  # already there: nothing
    a.send("PART #lobby :stepping out")
    assert a.expect(r" PART ") == ":a!user@127.0.0.1 PART #lobby :stepping out"
    a.send("JOIN #lobby")
    assert a.expect(r" JOIN ") == ":a!user@127.0.0.1 JOIN #lobby"
    a.expect(r" 366 ")
    a.send("TOPIC #lobby")
    assert a.expect(r" 331 ") == ":irc.test 331 a #lobby :No topic is set"
    a.send("LIST")
    a.expect(r" 322 a #lobby 2 :\[\+nt\]")
    a.expect(r" 323 ")
    a.send("AWAY :lunch")
    a.expect(r" 306 ")
    b = connect().register("b")
    b.send("PRIVMSG a :there?")
    assert b.expect(r" 301 ") == ":irc.test 301 b a :lunch"
