"""Accounts and operators across a network: two nodes on one real redis-server.

An account made on one node logs in on the other; a K-line or a KILL given
on one node ends a user connected to the other at once.
"""

from __future__ import annotations

from geventchat.core.sasl import encode
from tests.server.test_accounts import OPER_PASSWORD, PASSWORD, oper_flag, sasl_login
from tests.support.client import IrcClient
from tests.support.server import CHEAP_ARGON2


def test_an_account_made_on_one_node_logs_in_on_the_other(start_node, client):
    n1 = start_node("n1", *CHEAP_ARGON2)
    n2 = start_node("n2", *CHEAP_ARGON2)
    maker = client(n1)
    maker.send("CAP LS 302", "NICK alice", "USER a 0 * :A", f"REGISTER * * {PASSWORD}", "CAP END")
    maker.expect(r"REGISTER SUCCESS alice ")
    maker.expect(r" 366 ")
    witness = client(n2)
    witness.send("CAP REQ :account-notify account-tag", "NICK wit", "USER w 0 * :W", "CAP END")
    witness.expect(r" 366 ")
    maker.send("PRIVMSG NickServ :LOGOUT")
    assert witness.expect(r" ACCOUNT ") == ":alice!a@127.0.0.1 ACCOUNT *"
    maker.send(f"PRIVMSG NickServ :IDENTIFY {PASSWORD}")
    assert witness.expect(r" ACCOUNT ") == "@account=alice :alice!a@127.0.0.1 ACCOUNT alice"
    maker.send("QUIT")
    witness.expect(r" QUIT ")
    guest = client(n2)
    guest.send("NICK alice", "USER g 0 * :G")
    assert guest.expect(r" 433 ") == ":n2.test 433 alice alice :Nickname is reserved by a different account"
    owner = client(n2)
    assert sasl_login(owner, "alice", "alice", PASSWORD) == "903"
    owner.send("CAP END")
    owner.expect(r" 001 alice ")


def test_kline_and_kill_on_one_node_end_users_on_the_other(start_node, client):
    oper = oper_flag()
    n1 = start_node("n1", *CHEAP_ARGON2, *oper)
    n2 = start_node("n2", *CHEAP_ARGON2, *oper)
    boss = client(n1).register("boss")
    boss.send(f"OPER admin {OPER_PASSWORD}")
    boss.expect(r" 381 ")
    far = IrcClient(n2.address, source="127.0.0.2").register("far")
    near = client(n2).register("near")
    boss.expect(r":near!.* JOIN ")
    boss.send("KILL near :off you go")
    assert near.read_until_closed()[-1] == "ERROR :Closing Link: 127.0.0.1 (Killed (admin (off you go)))"
    assert boss.expect(r" QUIT ") == ":near!user@127.0.0.1 QUIT :Killed (admin (off you go))"
    boss.send("KLINE *@127.0.0.2 :not here")
    assert far.read_until_closed()[-2:] == [":n2.test 465 far :You are banned from this server (not here)",
                                            "ERROR :Closing Link: 127.0.0.2 (K-lined)"]
    again = IrcClient(n2.address, source="127.0.0.2")
    again.send("NICK again", "USER a 0 * :A")
    assert again.read_until_closed()[-1] == "ERROR :Closing Link: 127.0.0.2 (K-lined)"
    far.close()
    again.close()


def test_with_redis_gone_a_login_is_told_to_try_later_and_the_client_stays(start_node, client, redis_server):
    n1 = start_node("n1", *CHEAP_ARGON2)
    maker = client(n1)
    maker.send("CAP LS 302", "NICK alice", "USER a 0 * :A", f"REGISTER * * {PASSWORD}", "CAP END")
    maker.expect(r" 366 ")
    redis_server.stop()
    n1.wait_log(r"Redis at .* unreachable")
    c = client(n1)
    c.send("CAP LS 302", "NICK bob", "USER b 0 * :B", "CAP REQ :sasl", "AUTHENTICATE PLAIN")
    c.expect(r"^AUTHENTICATE \+$")
    c.send(*(f"AUTHENTICATE {chunk}" for chunk in encode("", "alice", PASSWORD)))
    assert c.expect(r" 904 ") == (":n1.test 904 bob :SASL authentication failed: Accounts cannot be reached "
                                  "just now; try again later")
    c.send("CAP END")
    c.expect(r" 001 bob ")  # the chat goes on without accounts
    maker.send("PRIVMSG NickServ :SET PASSWORD another-one-1")
    assert maker.expect(r"NOTICE alice") == (
        ":NickServ!NickServ@n1.test NOTICE alice :Accounts cannot be reached just now; try again later")


def test_a_private_conversation_across_nodes_is_listed_by_targets_on_both(start_node, client):
    """CHATHISTORY TARGETS lists a conversation kept in Redis, to each of its two accounts, on any node."""
    n1 = start_node("n1", *CHEAP_ARGON2)
    n2 = start_node("n2", *CHEAP_ARGON2)
    ends = {}
    for nick, node in (("alice", n1), ("bob", n2)):
        peer = client(node)
        peer.send("CAP REQ :draft/chathistory batch", "NICK " + nick, "USER u 0 * :U", f"REGISTER * * {PASSWORD}",
                  "CAP END")
        peer.expect(rf"REGISTER SUCCESS {nick} ")
        peer.expect(r" 366 ")
        ends[nick] = peer
    ends["alice"].expect(r"^:bob!\S+ JOIN ")  # n1 knows bob
    ends["alice"].send("PRIVMSG bob :across the network")
    ends["bob"].expect(r"PRIVMSG bob :across the network$")
    span = "timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10"
    for nick, other in (("bob", "alice"), ("alice", "bob")):
        ends[nick].send(f"CHATHISTORY TARGETS {span}")
        assert ends[nick].expect(rf" CHATHISTORY TARGETS {other} ").split(" ", 1)[1].startswith(
            f":n{1 if nick == 'alice' else 2}.test CHATHISTORY TARGETS {other} timestamp=")
    ends["bob"].send("CHATHISTORY LATEST alice * 10")
    assert ends["bob"].expect(r"PRIVMSG bob ").endswith(":alice!u@127.0.0.1 PRIVMSG bob :across the network")
