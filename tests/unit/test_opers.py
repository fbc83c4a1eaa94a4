"""Operators as transcripts without sockets: OPER, KILL, WALLOPS, KLINE/UNKLINE, ERASE, REDACT, 481.

Operators are configured as `--oper NAME:HASH`; the hash is made here with
the cheapest argon2id the flags allow, as the chat checks it.
"""

from __future__ import annotations

import pytest

from geventchat.config import Config
from geventchat.core.opers import mask_matches, parse_duration, parse_mask
from geventchat.passwords import Argon2Hasher
from tests.support.peer import Peer
from tests.unit.test_accounts import CHEAP, NOW, PASSWORD, make_chat, ns

OPER_PASSWORD = "keep-order-1"


@pytest.fixture
def chat(tmp_path):
    hashed = Argon2Hasher(Config.from_flags(**CHEAP).accounts).hash(OPER_PASSWORD)
    return make_chat(tmp_path, oper=(f"admin:{hashed}",))


def operator(chat, nick: str = "boss", host: str = "127.0.0.1") -> Peer:
    peer = Peer(chat, nick, now=NOW, host=host)
    assert peer.say(f"OPER admin {OPER_PASSWORD}") == [
        f":irc.test 381 {nick} :You are now an IRC operator", f":{nick}!{nick}@{host} MODE {nick} +o"]
    return peer


def test_oper_unknown_name_wrong_password_and_right_one(chat):
    c = Peer(chat, "boss", now=NOW)
    c.new()
    assert c.say(f"OPER nobody {OPER_PASSWORD}") == [":irc.test 491 boss :No O-lines for your host"]
    assert c.say("OPER admin wrong-password") == [":irc.test 464 boss :Password incorrect"]
    assert c.say("OPER admin") == [":irc.test 461 boss OPER :Not enough parameters"]
    assert not chat.is_operator(c.session)
    assert c.say(f"OPER ADMIN {OPER_PASSWORD}")[0] == ":irc.test 381 boss :You are now an IRC operator"
    assert chat.is_operator(c.session)
    other = Peer(chat, "nosy", now=NOW)
    assert ":irc.test 313 nosy boss :is an IRC operator" in other.say("WHOIS boss")
    c.new()
    assert c.say("MODE boss -o") == [":boss!boss@127.0.0.1 MODE boss -o"]
    assert not chat.is_operator(c.session)
    assert c.say("MODE boss +o") == []  # only OPER gives it


def test_everyone_else_gets_481(chat):
    c = Peer(chat, "pleb", now=NOW)
    c.new()
    denied = ":irc.test 481 pleb :Permission Denied- You're not an IRC operator"
    for line in ("KILL boss :bye", "KLINE *@10.0.0.1 :x", "UNKLINE *@10.0.0.1", "WALLOPS :hello", "KLINE LIST"):
        assert c.say(line) == [denied], line
    assert ns(c, "ERASE pleb") == ["Unknown command ERASE. Say HELP for a list of commands"]


def test_kill_ends_a_user_and_everyone_sees_why(chat):
    boss = operator(chat)
    victim = Peer(chat, "victim", now=NOW)
    witness = Peer(chat, "witness", now=NOW)
    witness.new()
    boss.new()
    assert boss.say("KILL victim :spamming") == [
        ":victim!victim@127.0.0.1 QUIT :Killed (admin (spamming))"]
    assert victim.new()[-1] == "ERROR :Closing Link: 127.0.0.1 (Killed (admin (spamming)))"
    assert victim.hung_up == 1
    assert witness.new() == [":victim!victim@127.0.0.1 QUIT :Killed (admin (spamming))"]
    assert boss.say("KILL victim") == [":irc.test 401 boss victim :No such nick/channel"]


def test_wallops_reach_users_with_mode_w(chat):
    boss = operator(chat)
    listener = Peer(chat, "ears", now=NOW)
    deaf = Peer(chat, "deaf", now=NOW)
    listener.new()
    assert listener.say("MODE ears +w") == [":ears!ears@127.0.0.1 MODE ears +w"]
    deaf.new()
    boss.new()
    assert boss.say("WALLOPS :server restarts at noon") == []
    assert listener.new() == [":boss!boss@127.0.0.1 WALLOPS :server restarts at noon"]
    assert deaf.new() == []
    boss.say("MODE boss +w")
    assert boss.say("WALLOPS :again") == [":boss!boss@127.0.0.1 WALLOPS :again"]
    listener.say("MODE ears -w")
    listener.new()
    boss.say("WALLOPS :third")
    assert listener.new() == []


def test_kline_ends_matching_clients_refuses_new_ones_and_unkline_lifts_it(chat):
    boss = operator(chat)
    spammer = Peer(chat, "spam", now=NOW, host="10.0.0.7")
    other = Peer(chat, "fine", now=NOW, host="10.0.0.8")
    other.new()
    boss.new()
    lines = boss.say("KLINE 30 *@10.0.0.7 :spam wave", now=NOW + 1)
    assert lines[-1] == (":irc.test NOTICE boss :K-line *@10.0.0.7 added for 1800 seconds: spam wave "
                         "(1 connected client(s) ended here)")
    assert spammer.new()[-2:] == [":irc.test 465 spam :You are banned from this server (spam wave)",
                                  "ERROR :Closing Link: 10.0.0.7 (K-lined)"]
    assert other.new() == [":spam!spam@10.0.0.7 QUIT :K-lined"]
    again = Peer(chat, now=NOW + 2, host="10.0.0.7")
    assert again.say("NICK back", "USER back 0 * :B", now=NOW + 2) == [
        ":irc.test 465 back :You are banned from this server (spam wave)",
        "ERROR :Closing Link: 10.0.0.7 (K-lined)"]
    assert boss.say("KLINE LIST", now=NOW + 2) == [
        ":irc.test NOTICE boss :K-line *@10.0.0.7 (1799s left) by admin: spam wave",
        ":irc.test NOTICE boss :1 K-line(s)"]
    later = Peer(chat, now=NOW + 1802, host="10.0.0.7")  # thirty minutes on, it has run out
    assert later.say("NICK later", "USER l 0 * :L", now=NOW + 1802)[0].startswith(":irc.test 001 later ")
    boss.say("KLINE evil@10.0.0.* :no", now=NOW + 1803)
    assert Peer(chat, "evil", now=NOW + 1803, host="10.0.0.9").out[-1] == "ERROR :Closing Link: 10.0.0.9 (K-lined)"
    assert Peer(chat, "good", now=NOW + 1803, host="10.0.0.9").out[0].startswith(":irc.test 001 ")
    boss.new()
    assert boss.say("UNKLINE evil@10.0.0.*") == [":irc.test NOTICE boss :K-line evil@10.0.0.* removed"]
    assert boss.say("UNKLINE evil@10.0.0.*") == [":irc.test NOTICE boss :No K-line evil@10.0.0.*"]
    assert Peer(chat, "evil", now=NOW + 1804, host="10.0.0.9").out[0].startswith(":irc.test 001 ")


def test_kline_by_nick_bans_its_host_and_operators_are_spared(chat):
    boss = operator(chat, host="10.9.9.9")
    Peer(chat, "target", now=NOW, host="10.9.9.9")
    boss.new()
    lines = boss.say("KLINE target :go away")
    assert lines[0] == ":target!target@10.9.9.9 QUIT :K-lined"
    assert lines[-1].endswith("K-line *@10.9.9.9 added until removed: go away (1 connected client(s) ended here)")
    assert boss.session.closed is None
    assert boss.say("KLINE *@* :everyone") == [
        ":irc.test 461 boss KLINE :Give a user@host mask narrower than everyone"]


def test_klines_are_kept_in_the_store(tmp_path):
    hashed = Argon2Hasher(Config.from_flags(**CHEAP).accounts).hash(OPER_PASSWORD)
    first = make_chat(tmp_path, oper=(f"admin:{hashed}",))
    boss = Peer(first, "boss", now=NOW)
    boss.say(f"OPER admin {OPER_PASSWORD}", "KLINE *@10.6.6.6 :kept")
    second = make_chat(tmp_path)  # the same files, as after a restart
    assert Peer(second, "back", now=NOW, host="10.6.6.6").out[-1] == "ERROR :Closing Link: 10.6.6.6 (K-lined)"


def test_erase_an_account_with_the_confirmation_code(chat):
    owner = Peer(chat, "alice", now=NOW)
    ns(owner, f"REGISTER {PASSWORD}")
    boss = operator(chat)
    owner.new()
    first = ns(boss, "ERASE ALICE")
    assert first[0] == "Erasing alice cannot be undone: its nick becomes free for anyone."
    code = first[1].rsplit(" ", 1)[1]
    assert first[1] == f"To confirm, send: ERASE alice {code}"
    assert ns(boss, "ERASE alice 00000000") == ["Wrong confirmation code for alice"]
    assert ns(boss, f"ERASE alice {code}") == ["Account alice erased"]
    assert owner.new() == [":irc.test 901 alice alice!alice@127.0.0.1 :You are now logged out"]
    assert ns(boss, "ERASE alice") == ["There is no account alice"]


def test_an_operator_may_redact_anyones_line_at_any_time(chat):
    boss = operator(chat)
    author = Peer(chat, "author", now=NOW, caps="message-tags")
    witness = Peer(chat, "witness", now=NOW, caps="message-tags draft/message-redaction")
    witness.new()
    author.say("PRIVMSG #lobby :regrettable", now=NOW)
    msgid = witness.new()[0].split("msgid=")[1].split(" ")[0].split(";")[0]
    bystander = Peer(chat, "by", now=NOW)
    assert bystander.say(f"REDACT #lobby {msgid}") == [
        f":irc.test FAIL REDACT REDACT_FORBIDDEN #lobby {msgid} :You are not authorised to delete this message"]
    witness.new()
    boss.say(f"REDACT #lobby {msgid} :cleanup", now=NOW + 7200)
    assert witness.new()[-1].endswith(f" :boss!boss@127.0.0.1 REDACT #lobby {msgid} :cleanup")


@pytest.mark.parametrize("text, seconds", [("30", 1800), ("90s", 90), ("2h", 7200), ("7d", 604800),
                                           ("1w", 604800), ("0", None), ("x", None), ("5y", None)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("mask, user, host, ip, hit", [
    ("*@10.0.0.7", "bob", "10.0.0.7", "10.0.0.7", True),
    ("*@10.0.0.0/24", "bob", "host.example", "10.0.0.200", True),
    ("*@10.0.0.0/24", "bob", "host.example", "10.0.1.1", False),
    ("bob@*.example.org", "BOB", "Shell.Example.org", "192.0.2.1", True),
    ("b?b@*", "bib", "x", "1.2.3.4", True),
    ("bob@*", "alice", "x", "1.2.3.4", False),
])
def test_masks(mask, user, host, ip, hit):
    assert mask_matches(parse_mask(mask), user, host, ip) is hit


def test_mask_parsing():
    assert parse_mask("10.0.0.7") == "*@10.0.0.7"
    assert parse_mask("Bob@Host") == "bob@host"
    assert parse_mask("a b@c") is None and parse_mask("@host") is None and parse_mask("nick!u@h") is None
