"""Accounts as transcripts without sockets: SASL, REGISTER, NickServ, PASS, nick ownership, throttling.

The chat keeps its accounts in a real SQLite file and hashes with argon2id,
at the cheapest costs its flags allow (1 pass over 8 KiB): the rules under
test do not depend on the cost, and the suite stays fast.
"""

from __future__ import annotations

import base64
import logging

import pytest

from geventchat.config import Config
from geventchat.core.chat import Chat
from geventchat.core.outbox import server_time
from geventchat.core.sasl import encode
from geventchat.core.session import TransportInfo
from geventchat.passwords import Argon2Hasher
from geventchat.store.sqlite import SqliteHistory
from geventchat.store.sqlite_accounts import SqliteAccounts
from tests.support.peer import Peer

CHEAP = dict(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)
"""The cheapest argon2id the flags allow: the tests check rules, not cost."""

PASSWORD = "correct horse"[:7] + "-battery"  # no spaces in passwords
NOW = 1_790_000_000.0
CERTFP = "ab" * 32


def make_chat(tmp_path, **flags) -> Chat:
    config = Config.from_flags(server_name="irc.test", **{**CHEAP, "register_burst": 100, **flags})
    accounts = SqliteAccounts(tmp_path / "accounts.sqlite3")
    history = SqliteHistory(tmp_path / "history.sqlite3", max_age=86400, max_lines=1000)
    return Chat(config, history=history, accounts=accounts, bans=accounts, hasher=Argon2Hasher(config.accounts))


@pytest.fixture
def chat(tmp_path) -> Chat:
    return make_chat(tmp_path)


def with_account(chat: Chat, nick: str, password: str = PASSWORD, host: str = "127.0.0.1") -> Peer:
    """A registered client that made the account `nick` through NickServ (and is logged in to it)."""
    peer = Peer(chat, nick, now=NOW, host=host)
    assert peer.say(f"PRIVMSG NickServ :REGISTER {password}", now=NOW)[-1].endswith(
        f"Account {nick} registered: it owns the nick {nick} from now on")
    peer.new()
    return peer


def account_made(chat: Chat, nick: str, password: str = PASSWORD) -> None:
    """The account `nick` exists, and nobody is connected."""
    with_account(chat, nick, password).say("QUIT")


def sasl_plain(peer: Peer, account: str, password: str) -> list[str]:
    lines = peer.say("AUTHENTICATE PLAIN")
    assert lines == ["AUTHENTICATE +"]
    return peer.say(*(f"AUTHENTICATE {chunk}" for chunk in encode("", account, password)))


def unregistered(chat: Chat, nick: str | None = None, host: str = "127.0.0.1", **options) -> Peer:
    """A client in CAP negotiation with sasl, NICK and USER sent, not yet registered."""
    peer = Peer(chat, now=NOW, host=host, **options)
    peer.say("CAP LS 302", "CAP REQ :sasl")
    if nick:
        peer.say(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
    peer.new()
    return peer


def numerics(lines: list[str]) -> list[str]:
    return [line.split()[1] for line in lines]


# --- SASL ----------------------------------------------------------------------


def test_sasl_plain_logs_in_before_registration_and_keeps_the_registered_nick(chat):
    account_made(chat, "alice")
    c = unregistered(chat, "alice")
    assert sasl_plain(c, "alice", PASSWORD) == [
        ":irc.test 900 alice alice!alice@127.0.0.1 alice :You are now logged in as alice",
        ":irc.test 903 alice :SASL authentication successful",
    ]
    lines = c.say("CAP END")
    assert lines[0] == ":irc.test 001 alice :Welcome to the geventchat IRC Network alice!alice@127.0.0.1"
    assert c.session.user.account == "alice"


def test_sasl_wrong_password_fails_and_the_nick_stays_reserved(chat):
    account_made(chat, "alice")
    c = unregistered(chat, "alice")
    assert sasl_plain(c, "alice", "not-the-password") == [":irc.test 904 alice :SASL authentication failed"]
    assert c.say("CAP END") == [":irc.test 433 alice alice :Nickname is reserved by a different account"]
    assert not c.session.registered
    assert numerics(c.say("NICK alice2"))[0] == "001"


def test_sasl_for_an_account_that_does_not_exist_fails_the_same_way(chat):
    c = unregistered(chat, "zed")
    assert sasl_plain(c, "nobody", PASSWORD) == [":irc.test 904 zed :SASL authentication failed"]


def test_sasl_abort(chat):
    c = unregistered(chat, "alice")
    assert c.say("AUTHENTICATE PLAIN") == ["AUTHENTICATE +"]
    assert c.say("AUTHENTICATE *") == [":irc.test 906 alice :SASL authentication aborted"]
    assert c.session.sasl is None


def test_sasl_aborted_by_cap_end_in_the_middle(chat):
    c = unregistered(chat, "alice")
    c.say("AUTHENTICATE PLAIN")
    lines = c.say("CAP END")
    assert lines[0] == ":irc.test 906 alice :SASL authentication aborted"
    assert numerics(lines)[1] == "001"


def test_sasl_mechanism_not_offered(chat):
    c = unregistered(chat, "alice")
    assert c.say("AUTHENTICATE SCRAM-SHA-256") == [
        ":irc.test 908 alice PLAIN,EXTERNAL :are available SASL mechanisms",
        ":irc.test 904 alice :SASL authentication failed",
    ]


def test_sasl_message_in_chunks_of_400_bytes(chat):
    """SASL 3.1: a message is split into chunks of 400 bytes; a last chunk of exactly 400 is followed by `+`."""
    long_password = "p" * 300  # the longest password: its message takes two chunks
    account_made(chat, "alice", long_password)
    c = unregistered(chat, "alice")
    chunks = encode("", "alice", long_password)
    assert [len(chunk) for chunk in chunks] == [400, 12]
    c.say("AUTHENTICATE PLAIN")
    assert c.say(f"AUTHENTICATE {chunks[0]}") == []  # waits for the rest
    assert numerics(c.say(f"AUTHENTICATE {chunks[1]}")) == ["900", "903"]


def test_sasl_message_of_exactly_400_bytes_ends_with_a_plus(chat):
    password = "q" * 293  # "\0alice\0" + 293 bytes = 300 bytes = 400 in base64
    account_made(chat, "alice", password)
    c = unregistered(chat, "alice")
    chunks = encode("", "alice", password)
    assert chunks[1:] == ["+"] and len(chunks[0]) == 400
    c.say("AUTHENTICATE PLAIN")
    assert c.say(f"AUTHENTICATE {chunks[0]}") == []
    assert numerics(c.say("AUTHENTICATE +")) == ["900", "903"]


def test_sasl_chunk_over_400_bytes_is_too_long(chat):
    c = unregistered(chat, "alice")
    c.say("AUTHENTICATE PLAIN")
    assert c.say("AUTHENTICATE " + "A" * 404) == [":irc.test 905 alice :SASL message too long"]
    assert c.session.sasl is None


def test_sasl_message_past_its_limit_is_too_long(tmp_path):
    chat = make_chat(tmp_path, sasl_max_bytes=800)
    c = unregistered(chat, "alice")
    c.say("AUTHENTICATE PLAIN")
    assert c.say("AUTHENTICATE " + "A" * 400, "AUTHENTICATE " + "A" * 400) == []
    assert c.say("AUTHENTICATE " + "A" * 400) == [":irc.test 905 alice :SASL message too long"]


def test_sasl_garbage_is_a_failure_not_a_crash(chat):
    c = unregistered(chat, "alice")
    for message in ("!!!notbase64", base64.b64encode(b"no nuls here").decode(),
                    base64.b64encode(b"\0alice\0pw\0extra").decode(),
                    base64.b64encode(b"\xff\0alice\0pw").decode()):
        c.say("AUTHENTICATE PLAIN")
        assert c.say(f"AUTHENTICATE {message}") == [":irc.test 904 alice :SASL authentication failed"]
    assert c.session.closed is None


def test_sasl_after_login_is_907_and_after_registration_works(chat):
    account_made(chat, "alice")
    c = Peer(chat, "guest", now=NOW)
    c.new()
    assert numerics(sasl_plain(c, "alice", PASSWORD)) == ["900", "903"]  # SASL 3.2: after registration too
    assert c.say("AUTHENTICATE PLAIN") == [":irc.test 907 guest :You have already authenticated using SASL"]


def test_sasl_external_logs_in_with_a_certificate_the_account_added(chat):
    tls = TransportInfo("tls", secure=True, certfp=CERTFP, ip="127.0.0.1")
    owner = Peer(chat, "alice", now=NOW, transport=tls)
    owner.say(f"PRIVMSG NickServ :REGISTER {PASSWORD}")
    assert owner.say("PRIVMSG NickServ :CERT ADD")[-1].endswith(
        f":Certificate {CERTFP} now logs in to alice (SASL EXTERNAL)")
    owner.say("QUIT")
    c = unregistered(chat, "alice", transport=tls)
    assert c.say("AUTHENTICATE EXTERNAL") == ["AUTHENTICATE +"]
    assert numerics(c.say("AUTHENTICATE +")) == ["900", "903"]
    assert numerics(c.say("CAP END"))[0] == "001"
    stranger = unregistered(chat, "bob", transport=TransportInfo("tls", secure=True, certfp="cd" * 32))
    stranger.say("AUTHENTICATE EXTERNAL")
    assert stranger.say("AUTHENTICATE +") == [":irc.test 904 bob :SASL authentication failed"]
    plain = unregistered(chat, "carol")
    plain.say("AUTHENTICATE EXTERNAL")
    assert plain.say("AUTHENTICATE +") == [":irc.test 904 carol :SASL authentication failed"]


# --- REGISTER (draft/account-registration) ---------------------------------------


def test_register_before_connection_registration_logs_in_and_keeps_the_nick(chat):
    c = unregistered(chat, "alice")
    assert c.say(f"REGISTER * * {PASSWORD}") == [
        ":irc.test 900 alice alice!alice@127.0.0.1 alice :You are now logged in as alice",
        ":irc.test REGISTER SUCCESS alice :Account created",
    ]
    assert numerics(c.say("CAP END"))[0] == "001"
    c.say("QUIT")
    guest = Peer(chat, now=NOW)
    assert guest.say("NICK ALICE", "USER x 0 * :X")[-1] == (
        ":irc.test 433 ALICE ALICE :Nickname is reserved by a different account")


def test_register_fail_codes(tmp_path):
    chat = make_chat(tmp_path, register_burst=2)
    account_made(chat, "alice")
    early = Peer(chat, now=NOW)
    assert early.say(f"REGISTER * * {PASSWORD}") == [
        ":irc.test FAIL REGISTER NEED_NICK * :Choose a nick with NICK first"]
    c = Peer(chat, "bob", now=NOW)
    c.new()
    assert c.say("REGISTER carol * hunter22") == [
        ":irc.test FAIL REGISTER ACCOUNT_NAME_MUST_BE_NICK carol :The account is named after your nick"]
    assert c.say("REGISTER bob * short") == [
        ":irc.test FAIL REGISTER WEAK_PASSWORD bob :Passwords are at least 8 characters"]
    assert c.say("REGISTER bob * BOB") == [
        ":irc.test FAIL REGISTER WEAK_PASSWORD bob :Passwords are at least 8 characters"]
    assert c.say("REGISTER bob * bobBOBbob") == [":irc.test 900 bob bob!bob@127.0.0.1 bob :You are now logged in as bob",
                                                 ":irc.test REGISTER SUCCESS bob :Account created"]
    c2 = Peer(chat, "dave", now=NOW)
    c2.new()
    c.new()
    assert c2.say("REGISTER dave * :two words") == [
        ":irc.test FAIL REGISTER UNACCEPTABLE_PASSWORD dave :Passwords may not contain spaces or control characters"]
    assert c2.say("REGISTER dave * " + "x" * 301) == [
        ":irc.test FAIL REGISTER UNACCEPTABLE_PASSWORD dave :Passwords are at most 300 bytes"]
    assert c2.say("REGISTER dave * DaVe") == [
        ":irc.test FAIL REGISTER WEAK_PASSWORD dave :Passwords are at least 8 characters"]
    assert c.say(f"REGISTER bob * {PASSWORD}") == [":irc.test FAIL REGISTER ALREADY_AUTHENTICATED bob "
                                                   ":You are already logged in"]
    assert c2.say(f"REGISTER * * {PASSWORD}") == [
        ":irc.test FAIL REGISTER TEMPORARILY_UNAVAILABLE dave :Too many accounts registered from your address; "
        "try again in 600 seconds"]
    assert c2.say("NICK alice") == [":irc.test 433 dave alice :Nickname is reserved by a different account"]
    assert c.say("REGISTER x") == [":irc.test 461 bob REGISTER :Not enough parameters"]


def test_register_an_existing_account_is_account_exists(chat):
    account_made(chat, "alice")
    c = unregistered(chat, "alice")
    assert c.say(f"REGISTER * * {PASSWORD}") == [
        ":irc.test FAIL REGISTER ACCOUNT_EXISTS alice :That account already exists"]


# --- NickServ -------------------------------------------------------------------


def ns(peer: Peer, text: str) -> list[str]:
    """What NickServ answers (the text of each NOTICE), and any other line as it came."""
    out = []
    for line in peer.say(f"PRIVMSG NickServ :{text}"):
        head = f":NickServ!NickServ@irc.test NOTICE {peer.session.name} :"
        out.append(line[len(head):] if line.startswith(head) else line)
    return out


def test_nickserv_register_identify_logout_set_password_drop(chat):
    alice = Peer(chat, "alice", now=NOW)
    alice.new()
    assert ns(alice, f"REGISTER {PASSWORD} alice@example.org") == [
        ":irc.test 900 alice alice!alice@127.0.0.1 alice :You are now logged in as alice",
        "Account alice registered: it owns the nick alice from now on"]
    assert ns(alice, "REGISTER again12345") == ["You are already logged in as alice"]
    assert ns(alice, "LOGOUT") == [":irc.test 901 alice alice!alice@127.0.0.1 :You are now logged out",
                                   "You are now logged out"]
    assert ns(alice, "IDENTIFY wrong-password") == ["Invalid account or password"]
    assert ns(alice, f"IDENTIFY {PASSWORD}")[-1] == "You are now logged in as alice"
    assert ns(alice, "SET PASSWORD new-password-1") == ["Password changed"]
    assert ns(alice, "SET PASSWORD x") == ["Passwords are at least 8 characters"]
    assert ns(alice, "SET COLOUR blue") == ["Syntax: SET PASSWORD <new password>"]
    other = Peer(chat, "bob", now=NOW)
    other.new()
    alice.new()
    assert ns(other, f"IDENTIFY alice {PASSWORD}") == ["Invalid account or password"]
    assert ns(other, "IDENTIFY alice new-password-1")[-1] == "You are now logged in as alice"
    assert ns(alice, "DROP wrong-password") == ["Invalid account or password"]
    dropped = ns(alice, "DROP new-password-1")
    assert dropped[0] == ":irc.test 901 alice alice!alice@127.0.0.1 :You are now logged out"
    assert dropped[-1] == "Account alice dropped: its nick is free for anyone"
    assert other.new()[0] == ":irc.test 901 bob bob!bob@127.0.0.1 :You are now logged out"
    assert ns(other, "DROP x") == ["Log in to the account you want to drop first"]
    alice.say("NICK alice_")
    other.new()
    assert other.say("NICK ALICE") == [":bob!bob@127.0.0.1 NICK ALICE"]  # the nick is free for anyone again
    assert ns(other, f"IDENTIFY alice {PASSWORD}") == ["Invalid account or password"]


def test_nickserv_help_lists_the_commands_and_hides_erase_from_users(chat):
    c = Peer(chat, "carol", now=NOW)
    c.new()
    lines = ns(c, "HELP")
    assert lines[0] == "NickServ keeps accounts: an account owns the nick it was registered with."
    assert [line.split()[0] for line in lines[1:]] == ["HELP", "REGISTER", "IDENTIFY", "LOGOUT", "DROP", "SET",
                                                       "CERT"]
    assert ns(c, "help identify") == ["Syntax: IDENTIFY [account] <password>",
                                      "Log in (with no password: by your TLS client certificate)"]
    assert ns(c, "ERASE alice") == ["Unknown command ERASE. Say HELP for a list of commands"]
    assert ns(c, "FROB") == ["Unknown command FROB. Say HELP for a list of commands"]
    assert c.say("NS HELP LOGOUT") == [":NickServ!NickServ@irc.test NOTICE carol :Syntax: LOGOUT",
                                       ":NickServ!NickServ@irc.test NOTICE carol :Log out of your account"]
    assert c.say("NOTICE NickServ :HELP") == []  # a NOTICE is never answered


def test_nickserv_cert_add_list_del(chat):
    alice = with_account(chat, "alice")
    assert ns(alice, "CERT ADD") == ["Connect with a TLS client certificate, or name its SHA-256 fingerprint"]
    assert ns(alice, "CERT ADD nothex") == ["A fingerprint is the certificate's SHA-256 in 64 hexadecimal digits"]
    assert ns(alice, f"CERT ADD {CERTFP.upper()}") == [f"Certificate {CERTFP} now logs in to alice (SASL EXTERNAL)"]
    assert ns(alice, "CERT LIST") == [CERTFP, "1 certificate(s) log in to alice"]
    bob = with_account(chat, "bob")
    alice.new()
    assert ns(bob, f"CERT ADD {CERTFP}") == ["That certificate already logs in to another account"]
    assert ns(alice, f"CERT DEL {CERTFP}") == [f"Certificate {CERTFP} no longer logs in to alice"]
    assert ns(alice, f"CERT DEL {CERTFP}") == [f"Certificate {CERTFP} does not log in to alice"]
    assert ns(alice, "CERT LIST") == ["0 certificate(s) log in to alice"]


def test_nickserv_nick_is_reserved_and_what_is_said_to_it_goes_nowhere(chat):
    c = Peer(chat, "carol", now=NOW, caps="echo-message")
    witness = Peer(chat, "wit", now=NOW)
    c.new()
    witness.new()
    assert c.say("NICK NickServ") == [":irc.test 433 carol NickServ :Nickname is reserved for a service"]
    lines = c.say(f"PRIVMSG nickserv :IDENTIFY {PASSWORD}")
    assert lines[0] == f":carol!carol@127.0.0.1 PRIVMSG NickServ :IDENTIFY {PASSWORD}"  # its own echo only
    assert witness.new() == []


# --- nick ownership, PASS ------------------------------------------------------------


def test_a_registered_nick_belongs_to_its_account_on_nick_too(chat):
    account_made(chat, "alice")
    bob = Peer(chat, "bob", now=NOW)
    bob.new()
    assert bob.say("NICK Alice") == [":irc.test 433 bob Alice :Nickname is reserved by a different account"]
    ns(bob, f"IDENTIFY alice {PASSWORD}")
    assert bob.say("NICK Alice") == [":bob!bob@127.0.0.1 NICK Alice"]


def test_pass_account_password_logs_in_at_registration(chat):
    account_made(chat, "alice")
    c = Peer(chat, now=NOW)
    assert c.say(f"PASS alice:{PASSWORD}") == [
        ":irc.test 900 * *!*@127.0.0.1 alice :You are now logged in as alice"]
    assert numerics(c.say("NICK alice", "USER a 0 * :A"))[0] == "001"
    assert c.say(f"PASS alice:{PASSWORD}") == [":irc.test 462 alice :You may not reregister"]
    c.say("QUIT")
    wrong = Peer(chat, now=NOW)
    assert wrong.say("PASS alice:guess1234") == [
        ":irc.test 464 * :Password incorrect: Invalid account or password"]
    assert wrong.say("NICK alice", "USER a 0 * :A") == [
        ":irc.test 433 alice alice :Nickname is reserved by a different account"]
    assert Peer(chat, now=NOW).say("PASS just-a-password") == []  # no server password: ignored, as ever


def test_server_password(tmp_path):
    chat = make_chat(tmp_path, password="letmein-42")
    without = Peer(chat, now=NOW)
    assert without.say("NICK a", "USER a 0 * :A") == [
        ":irc.test 464 a :Password incorrect", "ERROR :Closing Link: 127.0.0.1 (Bad password)"]
    assert without.hung_up == 1
    wrong = Peer(chat, now=NOW)
    wrong.say("PASS letmein-43")
    assert wrong.say("NICK b", "USER b 0 * :B")[-1] == "ERROR :Closing Link: 127.0.0.1 (Bad password)"
    right = Peer(chat, now=NOW)
    assert right.say("PASS letmein-42") == []
    assert numerics(right.say("NICK c", "USER c 0 * :C"))[0] == "001"
    early = Peer(chat, now=NOW)  # REGISTER before the server password is no way round it
    early.say("NICK dave")
    assert early.say(f"REGISTER * * {PASSWORD}") == [
        ":irc.test FAIL REGISTER TEMPORARILY_UNAVAILABLE dave :Give the server password (PASS) first"]


def test_server_password_given_as_an_argon2_hash_and_with_an_account_login(tmp_path):
    hashed = Argon2Hasher(Config.from_flags(**CHEAP).accounts).hash("letmein-42")
    chat = make_chat(tmp_path, password=hashed)
    account_made_with = Peer(chat, now=NOW)
    account_made_with.say("PASS letmein-42")
    account_made_with.say("NICK alice", "USER a 0 * :A")
    ns(account_made_with, f"REGISTER {PASSWORD}")
    account_made_with.say("QUIT")
    c = Peer(chat, now=NOW)
    assert c.say("PASS letmein-42", f"PASS alice:{PASSWORD}") == [
        ":irc.test 900 * *!*@127.0.0.1 alice :You are now logged in as alice"]
    assert numerics(c.say("NICK alice", "USER a 0 * :A"))[0] == "001"


def test_require_account(tmp_path):
    chat = make_chat(tmp_path, require_account=True)
    guest = unregistered(chat, "guest")
    assert guest.say("CAP END") == [
        ":irc.test NOTICE guest :This server is for account holders: log in with SASL, or send "
        "PASS <account>:<password> before NICK and USER",
        "ERROR :Closing Link: 127.0.0.1 (An account is required)"]
    newcomer = unregistered(chat, "newbie")
    assert newcomer.say(f"REGISTER * * {PASSWORD}")[-1] == ":irc.test REGISTER SUCCESS newbie :Account created"
    assert numerics(newcomer.say("CAP END"))[0] == "001"
    back = unregistered(chat, "newbie2")
    sasl_plain(back, "newbie", PASSWORD)
    assert numerics(back.say("CAP END"))[0] == "001"


# --- what others see ------------------------------------------------------------------


def test_account_notify_account_tag_extended_join_and_whois(chat):
    account_made(chat, "alice")
    witness = Peer(chat, "wit", now=NOW, caps="account-notify account-tag extended-join")
    plain = Peer(chat, "plain", now=NOW)
    c = unregistered(chat, "alice")
    sasl_plain(c, "alice", PASSWORD)
    c.say("CAP END")
    assert witness.new()[-1] == "@account=alice :alice!alice@127.0.0.1 JOIN #lobby alice alice"
    guest = Peer(chat, "guest", now=NOW)
    assert witness.new() == [":guest!guest@127.0.0.1 JOIN #lobby * :Guest Real"]
    c.say("PRIVMSG #lobby :hello")
    assert witness.new() == ["@account=alice :alice!alice@127.0.0.1 PRIVMSG #lobby :hello"]
    assert plain.new()[-1] == ":alice!alice@127.0.0.1 PRIVMSG #lobby :hello"
    ns(c, "LOGOUT")
    assert witness.new() == [":alice!alice@127.0.0.1 ACCOUNT *"]
    ns(c, f"IDENTIFY {PASSWORD}")
    assert witness.new() == ["@account=alice :alice!alice@127.0.0.1 ACCOUNT alice"]
    assert plain.new() == []
    whois = guest.say("WHOIS alice")
    assert ":irc.test 330 guest alice alice :is logged in as" in whois
    assert not any(" 330 " in line for line in guest.say("WHOIS guest"))


# --- throttling ------------------------------------------------------------------------


def test_failed_logins_are_throttled_per_address_and_a_right_one_elsewhere_works(tmp_path, caplog):
    chat = make_chat(tmp_path, login_burst=3, login_interval=10, account_login_burst=10)
    account_made(chat, "alice")
    attacker = Peer(chat, "mallory", now=NOW, host="10.0.0.66")
    attacker.new()
    with caplog.at_level(logging.INFO, logger="geventchat"):
        answers = [ns(attacker, f"IDENTIFY alice guess{i:04d}")[0] for i in range(5)]
    assert answers[:3] == ["Invalid account or password"] * 3
    assert answers[3:] == ["Too many failed logins to your address; try again in 10 seconds"] * 2
    assert ns(attacker, f"IDENTIFY alice {PASSWORD}") == [
        "Too many failed logins to your address; try again in 10 seconds"]  # not even checked
    elsewhere = Peer(chat, "alice2", now=NOW, host="10.0.0.7")
    elsewhere.new()
    attacker.new()
    assert ns(elsewhere, f"IDENTIFY alice {PASSWORD}")[-1] == "You are now logged in as alice"
    failures = [r.getMessage() for r in caplog.records if "login failed" in r.getMessage()]
    assert failures == ["login failed: alice from 10.0.0.66 (NickServ IDENTIFY)"] * 3
    assert any("3 failed logins from 10.0.0.66" in r.getMessage() for r in caplog.records)
    # the budget comes back with time: one attempt per interval
    assert ns(attacker, "IDENTIFY alice guess9999", )[0].startswith("Too many")
    later = attacker.say(f"PRIVMSG NickServ :IDENTIFY alice {PASSWORD}", now=NOW + 10)
    assert later[-1].endswith("You are now logged in as alice")


def test_failed_logins_to_one_account_from_many_addresses_lock_it_for_a_while(tmp_path):
    chat = make_chat(tmp_path, login_burst=5, account_login_burst=4, account_login_interval=5)
    account_made(chat, "alice")
    for i in range(4):
        c = unregistered(chat, f"bot{i}", host=f"10.1.0.{i}")
        assert sasl_plain(c, "alice", "guess-guess") == [f":irc.test 904 bot{i} :SASL authentication failed"]
    c = unregistered(chat, "owner", host="10.2.0.1")
    assert sasl_plain(c, "alice", PASSWORD) == [
        ":irc.test 902 owner :Too many failed logins to that account; try again in 5 seconds",
        ":irc.test 904 owner :SASL authentication failed: Too many failed logins to that account; "
        "try again in 5 seconds"]


# --- private history ----------------------------------------------------------------------


def history(peer: Peer, target: str) -> list[str]:
    """The lines CHATHISTORY LATEST gives for `target`, without their batch tag."""
    peer.new()
    lines = peer.say(f"CHATHISTORY LATEST {target} * 10")
    assert lines[0].startswith(":irc.test BATCH +") and lines[-1].startswith(":irc.test BATCH -"), lines
    return [line.split(" ", 1)[1] for line in lines[1:-1]]


def test_private_messages_are_kept_only_between_two_accounts_and_read_only_by_them(chat):
    alice = with_account(chat, "alice")
    bob = with_account(chat, "bob")
    guest = Peer(chat, "guest", now=NOW)
    for peer in (alice, bob, guest):
        peer.say("CAP REQ :draft/chathistory batch")
    alice.say("PRIVMSG bob :between accounts", now=NOW + 1)
    guest.say("PRIVMSG alice :from a guest", now=NOW + 2)
    alice.say("PRIVMSG guest :to a guest", now=NOW + 3)
    kept = [":alice!alice@127.0.0.1 PRIVMSG bob :between accounts"]
    assert history(alice, "bob") == kept
    assert history(alice, "guest") == []
    assert history(bob, "ALICE") == kept
    bob.say("QUIT")
    assert history(alice, "bob") == kept  # bob is gone: the nick names his account
    carol = with_account(chat, "carol")
    carol.say("CAP REQ :draft/chathistory batch")
    assert history(carol, "bob") == [] and history(carol, "alice") == []
    assert history(guest, "alice") == []


def test_targets_lists_the_private_conversations_of_an_account_beside_its_channels(chat):
    """draft/chathistory TARGETS: "the targets ... that have had messages between the two timestamps",
    private conversations included, each named as CHATHISTORY LATEST takes it."""
    alice = with_account(chat, "alice")
    bob = with_account(chat, "Bob")
    carol = with_account(chat, "carol")
    for peer in (alice, bob, carol):
        peer.say("CAP REQ :draft/chathistory batch server-time")
    alice.say("PRIVMSG #lobby :in the lobby", now=NOW + 1)
    alice.say("PRIVMSG Bob :between accounts", now=NOW + 2)
    chat.history.flush()
    carol.say("PRIVMSG alice :still waiting to be written", now=NOW + 3)

    def targets(peer: Peer) -> list[str]:
        peer.new()
        lines = peer.say(f"CHATHISTORY TARGETS timestamp={server_time(NOW)} timestamp={server_time(NOW + 10)} 10")
        return [line.split(" ", 1)[1] for line in lines[1:-1]]

    assert targets(alice) == [f":irc.test CHATHISTORY TARGETS #lobby timestamp={server_time(NOW + 1)}",
                              f":irc.test CHATHISTORY TARGETS bob timestamp={server_time(NOW + 2)}",
                              f":irc.test CHATHISTORY TARGETS carol timestamp={server_time(NOW + 3)}"]
    assert targets(bob) == [f":irc.test CHATHISTORY TARGETS #lobby timestamp={server_time(NOW + 1)}",
                            f":irc.test CHATHISTORY TARGETS alice timestamp={server_time(NOW + 2)}"]
    assert history(bob, "alice") == [":alice!alice@127.0.0.1 PRIVMSG Bob :between accounts"]
    guest = Peer(chat, "guest", now=NOW)
    guest.say("CAP REQ :draft/chathistory batch server-time")
    assert targets(guest) == [f":irc.test CHATHISTORY TARGETS #lobby timestamp={server_time(NOW + 1)}"]


def test_targets_past_its_limit_keeps_those_nearest_the_first_timestamp(chat):
    """TARGETS counts from its first timestamp, as BETWEEN does: newest-first bounds give the conversations
    most lately active, oldest-first bounds the earliest; either way listed oldest first."""
    alice = with_account(chat, "alice")
    for n, nick in enumerate(("bob", "carol", "dave")):
        peer = with_account(chat, nick)
        peer.say(f"PRIVMSG alice :hello from {nick}", now=NOW + 1 + n)
    alice.say("CAP REQ :draft/chathistory batch")

    def listed(first: float, second: float) -> list[str]:
        alice.new()
        lines = alice.say(f"CHATHISTORY TARGETS timestamp={server_time(first)} timestamp={server_time(second)} 2")
        return [line.split()[4] for line in lines[1:-1]]

    assert listed(NOW + 100, NOW - 100) == ["carol", "dave"]
    assert listed(NOW - 100, NOW + 100) == ["bob", "carol"]
