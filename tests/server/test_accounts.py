"""Accounts, SASL and operators on a real server: sockets, TLS client certificates, the SQLite file, the log.

Every server here hashes passwords with the cheapest argon2id its flags
allow (CHEAP_ARGON2): the rules under test are the same at any cost.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import ssl
import subprocess
import sys

import pytest

from geventchat.core.sasl import encode
from tests.support.client import IrcClient
from tests.support.server import CHEAP_ARGON2, start_server
from tests.support.terminal import Terminal
from tests.support.tls import make_tls_files

PASSWORD = "s3cret-Wombat"
OPER_PASSWORD = "0per-Quokka"
SERVER_PASSWORD = "door-Numbat"


def mkpasswd(password: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geventchat", "mkpasswd", *flags], input=password + "\n",
                          capture_output=True, text=True, timeout=30)


def oper_flag(password: str = OPER_PASSWORD) -> tuple[str, str]:
    result = mkpasswd(password, *CHEAP_ARGON2)
    assert result.returncode == 0, result.stderr
    return ("--oper", f"admin:{result.stdout.strip()}")


def make_account(server, nick: str, password: str = PASSWORD) -> None:
    """Register the account `nick` with draft/account-registration before connecting, then leave."""
    c = IrcClient(server.address)
    c.send("CAP LS 302", f"NICK {nick}", "USER u 0 * :U", f"REGISTER * * {password}", "CAP END")
    c.expect(rf"REGISTER SUCCESS {nick} ")
    c.expect(r" 366 ")
    c.send("QUIT")
    c.read_until_closed()


def sasl_login(client: IrcClient, nick: str, account: str, password: str) -> str:
    """Open with CAP and SASL PLAIN; return the numeric the exchange ended with (903 or 904)."""
    client.send("CAP LS 302", f"NICK {nick}", "USER u 0 * :U", "CAP REQ :sasl", "AUTHENTICATE PLAIN")
    client.expect(r"^AUTHENTICATE \+$")
    client.send(*(f"AUTHENTICATE {chunk}" for chunk in encode("", account, password)))
    return client.expect(r" 90[34] ").split()[1]


@pytest.fixture
def accounts_server(server_factory):
    return server_factory(*CHEAP_ARGON2)


def test_sasl_plain_over_a_socket_keeps_the_registered_nick(accounts_server):
    make_account(accounts_server, "alice")
    guest = IrcClient(accounts_server.address)
    guest.send("NICK alice", "USER g 0 * :G")
    assert guest.expect(r" 433 ") == ":irc.test 433 alice alice :Nickname is reserved by a different account"
    guest.send("NICK guest")
    guest.expect(r" 001 guest ")
    owner = IrcClient(accounts_server.address)
    assert sasl_login(owner, "alice", "alice", PASSWORD) == "903"
    owner.send("CAP END")
    assert owner.expect(r" 001 ").startswith(":irc.test 001 alice ")
    guest.send("WHOIS alice")
    assert guest.expect(r" 330 ") == ":irc.test 330 guest alice alice :is logged in as"


def test_the_password_is_in_no_log_line_and_is_stored_as_an_argon2_hash(server_factory, tmp_path):
    data = tmp_path / "data"
    server = server_factory("--data-dir", str(data), "--log-level", "DEBUG", "--password", SERVER_PASSWORD,
                            "--flood-burst", "50", *oper_flag(), *CHEAP_ARGON2)
    new_password = PASSWORD + "-2"
    c = IrcClient(server.address)
    c.send(f"PASS {SERVER_PASSWORD}", "CAP LS 302", "NICK alice", "USER u 0 * :U", f"REGISTER * * {PASSWORD}",
           "CAP END")
    c.expect(r" 366 ")
    c.send(f"PRIVMSG NickServ :SET PASSWORD {new_password}", "PRIVMSG NickServ :LOGOUT",
           f"PRIVMSG NickServ :IDENTIFY alice {PASSWORD}", f"NS IDENTIFY {new_password}",
           f"OPER admin {PASSWORD}", f"OPER admin {OPER_PASSWORD}")
    c.expect(r" 381 ")
    for password in (PASSWORD, new_password):  # a wrong one, then the right one, by SASL and by PASS
        other = IrcClient(server.address)
        other.send(f"PASS {SERVER_PASSWORD}")
        sasl_login(other, "bob", "alice", password)
        other.close()
        other = IrcClient(server.address)
        other.send(f"PASS {SERVER_PASSWORD}", f"PASS alice:{password}", "NICK carol", "USER u 0 * :U")
        other.expect(r" 366 ")
        other.close()
    c.send("QUIT")
    c.read_until_closed()
    server.wait_log(r"login 5 \* alice \(PASS\)")
    server.stop()
    log = server.log_text()
    for event in ("login failed: alice from 127.0.0.1 (SASL PLAIN)", "login failed: alice from 127.0.0.1 (PASS)",
                  "login failed: operator admin from 127.0.0.1 (OPER)", "login 4 bob alice (SASL PLAIN)",
                  "account 1 alice new password for alice"):
        assert event in log  # every path was taken, and logged
    secrets = [PASSWORD, new_password, OPER_PASSWORD, SERVER_PASSWORD]
    secrets += [base64.b64encode(f"\0alice\0{p}".encode()).decode() for p in (PASSWORD, new_password)]
    for secret in secrets:
        assert secret not in log
    db = sqlite3.connect(data / "accounts.sqlite3")
    (stored,) = db.execute("SELECT password_hash FROM accounts WHERE folded = 'alice'").fetchone()
    db.close()
    assert re.fullmatch(r"\$argon2id\$v=19\$m=8,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}", stored)
    for path in data.iterdir():  # the database, its WAL, the history: nowhere in the clear
        raw = path.read_bytes()
        assert not any(secret.encode() in raw for secret in secrets), path


def test_fifty_wrong_passwords_from_one_address_are_slowed_and_a_right_one_from_elsewhere_works(server_factory):
    server = server_factory(*CHEAP_ARGON2, "--flood-burst", "200", "--login-burst", "5", "--login-interval", "30")
    make_account(server, "alice")
    attacker = IrcClient(server.address, source="127.0.0.1")
    attacker.send("CAP LS 302", "NICK mallory", "USER m 0 * :M", "CAP REQ :sasl")
    for i in range(50):
        attacker.send("AUTHENTICATE PLAIN", *(f"AUTHENTICATE {c}" for c in encode("", "alice", f"guess-{i:03d}")))
    answers = [attacker.expect(r" 904 ").split(" :", 1)[1] for _ in range(50)]
    assert answers[:5] == ["SASL authentication failed"] * 5
    assert all(re.fullmatch(r"SASL authentication failed: Too many failed logins to your address; "
                            r"try again in \d+ seconds", answer) for answer in answers[5:])
    # slowed means not even checked: the right password from there is refused too
    attacker.send("AUTHENTICATE PLAIN", *(f"AUTHENTICATE {c}" for c in encode("", "alice", PASSWORD)))
    assert "Too many failed logins" in attacker.expect(r" 904 ")
    owner = IrcClient(server.address, source="127.0.0.2")
    assert sasl_login(owner, "alice", "alice", PASSWORD) == "903"
    owner.send("CAP END")
    owner.expect(r" 001 alice ")
    failures = [line for line in server.log if "login failed: alice from 127.0.0.1" in line]
    assert len(failures) == 5
    server.wait_log(r"WARNING login: 5 failed logins from 127\.0\.0\.1; its attempts are now slowed")


def test_server_password(server_factory):
    server = server_factory(*CHEAP_ARGON2, "--password", SERVER_PASSWORD)
    without = IrcClient(server.address)
    without.send("NICK a", "USER a 0 * :A")
    assert without.read_until_closed() == [":irc.test 464 a :Password incorrect",
                                           "ERROR :Closing Link: 127.0.0.1 (Bad password)"]
    wrong = IrcClient(server.address)
    wrong.send("PASS not-it", "NICK b", "USER b 0 * :B")
    assert wrong.read_until_closed()[-1] == "ERROR :Closing Link: 127.0.0.1 (Bad password)"
    right = IrcClient(server.address)
    right.send(f"PASS {SERVER_PASSWORD}", "NICK c", "USER c 0 * :C")
    right.expect(r" 001 c ")


def test_require_account_closes_guests_and_welcomes_account_holders(server_factory):
    server = server_factory(*CHEAP_ARGON2, "--require-account")
    guest = IrcClient(server.address)
    guest.send("NICK guest", "USER g 0 * :G")
    assert guest.read_until_closed()[-1] == "ERROR :Closing Link: 127.0.0.1 (An account is required)"
    make_account(server, "alice")  # REGISTER before connecting is how a newcomer gets in
    member = IrcClient(server.address)
    member.send(f"PASS alice:{PASSWORD}", "NICK alice", "USER a 0 * :A")
    member.expect(r" 900 ")
    member.expect(r" 001 alice ")


def test_oper_kill_kline_unkline_and_a_ban_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    flags = ("--data-dir", str(data), *oper_flag(), *CHEAP_ARGON2)
    server = start_server(*flags)
    try:
        boss = IrcClient(server.address).register("boss")
        pleb = IrcClient(server.address).register("pleb")
        pleb.send("KLINE *@127.0.0.2 :x")
        assert pleb.expect(r" 481 ") == ":irc.test 481 pleb :Permission Denied- You're not an IRC operator"
        boss.send("OPER admin wrong-one")
        assert boss.expect(r" 464 ") == ":irc.test 464 boss :Password incorrect"
        boss.send("OPER nobody x")
        boss.expect(r" 491 boss ")
        boss.send(f"OPER admin {OPER_PASSWORD}")
        boss.expect(r" 381 boss ")
        boss.send("KILL pleb :enough")
        assert pleb.read_until_closed()[-1] == "ERROR :Closing Link: 127.0.0.1 (Killed (admin (enough)))"
        far = IrcClient(server.address, source="127.0.0.2").register("far")
        boss.send("KLINE 1h *@127.0.0.2 :go away")
        assert far.read_until_closed()[-2:] == [":irc.test 465 far :You are banned from this server (go away)",
                                                "ERROR :Closing Link: 127.0.0.2 (K-lined)"]
        boss.expect(r"K-line \*@127\.0\.0\.2 added for 3600 seconds: go away \(1 connected client")
    finally:
        server.stop()
    server = start_server(*flags)
    try:
        again = IrcClient(server.address, source="127.0.0.2")
        again.send("NICK again", "USER a 0 * :A")
        assert again.read_until_closed() == [":irc.test 465 again :You are banned from this server (go away)",
                                             "ERROR :Closing Link: 127.0.0.2 (K-lined)"]
        boss = IrcClient(server.address).register("boss")
        boss.send(f"OPER admin {OPER_PASSWORD}", "UNKLINE *@127.0.0.2")
        boss.expect(r"K-line \*@127\.0\.0\.2 removed")
        IrcClient(server.address, source="127.0.0.2").register("back")
    finally:
        server.stop()


def test_sasl_external_with_a_tls_client_certificate(server_factory, tmp_path):
    tls = make_tls_files(tmp_path)
    server = server_factory(*CHEAP_ARGON2, *tls.flags())
    identity = tls.ca.issue_cert("alice@example.org")
    identity.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "alice.pem"))
    context = tls.client_context()
    context.load_cert_chain(str(tmp_path / "alice.pem"))
    der = ssl.PEM_cert_to_DER_cert(identity.cert_chain_pems[0].bytes().decode())
    certfp = hashlib.sha256(der).hexdigest()
    first = IrcClient(server.tls_address, tls=context)
    first.send("CAP LS 302", "NICK alice", "USER a 0 * :A", f"REGISTER * * {PASSWORD}", "CAP END")
    first.expect(r" 366 ")
    first.send("PRIVMSG NickServ :CERT ADD")
    first.expect(rf"Certificate {certfp} now logs in to alice")
    first.send("QUIT")
    first.read_until_closed()
    again = IrcClient(server.tls_address, tls=context)
    again.send("CAP LS 302", "NICK alice", "USER a 0 * :A", "CAP REQ :sasl", "AUTHENTICATE EXTERNAL")
    again.expect(r"^AUTHENTICATE \+$")
    again.send("AUTHENTICATE +")
    assert again.expect(r" 900 ") == ":irc.test 900 alice alice!a@127.0.0.1 alice :You are now logged in as alice"
    again.expect(r" 903 ")
    again.send("CAP END")
    again.expect(r" 001 alice ")


def test_mkpasswd_reads_standard_input_and_refuses_nothing():
    made = mkpasswd("hunter22", *CHEAP_ARGON2)
    assert made.returncode == 0 and made.stdout.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert "hunter22" not in made.stdout + made.stderr
    empty = mkpasswd("", *CHEAP_ARGON2)
    assert empty.returncode == 2
    assert empty.stderr.startswith("chat-server mkpasswd: no password given")


def test_mkpasswd_at_a_terminal_asks_twice_without_echo():
    term = Terminal([sys.executable, "-m", "geventchat", "mkpasswd", *CHEAP_ARGON2], name="mkpasswd")
    try:
        term.wait_text("Password:", timeout=10)
        term.send_line("hunter22")
        term.wait_text("Again:")
        term.send_line("hunter22")
        term.wait_text("$argon2id$v=19$m=8,t=1,p=1$")
        assert term.wait_exit() == 0
        assert not term.has("hunter22")  # never echoed
    finally:
        term.close()


def test_an_oper_flag_without_a_hash_is_a_usage_error_that_does_not_repeat_it():
    result = subprocess.run([sys.executable, "-m", "geventchat", "--oper", "admin:plain-text-password"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "an operator is NAME:HASH" in result.stderr and "plain-text-password" not in result.stderr
