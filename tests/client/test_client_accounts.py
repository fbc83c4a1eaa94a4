"""Accounts with the real server: /register, SASL PLAIN on connect (and a wrong password),
/identify later, SASL EXTERNAL with a client certificate; the status bar names the account."""

from __future__ import annotations

import pytest

from tests.client.conftest import FAST
from tests.support.client import IrcClient
from tests.support.server import CHEAP_ARGON2

pytestmark = pytest.mark.timeout(60)

PASSWORD = "correct-horse-battery"


@pytest.fixture
def accounts_server(server_factory):
    return server_factory(*CHEAP_ARGON2, *FAST)


def test_register_then_sasl_plain_and_a_wrong_password(accounts_server, spawn) -> None:
    alice = spawn("alice", server=accounts_server)
    alice.send_line(f"/register {PASSWORD}")
    alice.wait_status("alice (alice) |")
    alice.press("alt-1")
    alice.wait_said("Account alice registered")
    assert not any("horse" in row for row in alice.display)
    alice.send_line("/quit")
    assert alice.wait_exit() == 0

    again = spawn("alice", "--sasl", server=accounts_server, env={"CHAT_PASSWORD": PASSWORD})
    again.wait_status("alice (alice) |")              # logged in before anyone saw us, nick kept

    wrong = spawn("alice", "--sasl", server=accounts_server, env={"CHAT_PASSWORD": "not it"})
    wrong.press("alt-1")
    wrong.wait_said("Not logged in: login as alice failed (PLAIN): SASL authentication failed; "
                    "going on without an account")
    wrong.wait_status("alice_ |")                     # on, under another nick: alice is taken
    assert "(alice)" not in wrong.status()


def test_identify_after_connecting(accounts_server, spawn) -> None:
    first = spawn("alice", server=accounts_server)
    first.send_line(f"/register {PASSWORD}")
    first.wait_status("alice (alice) |")
    first.send_line("/quit")
    first.wait_exit()
    bob = spawn("bob", server=accounts_server)
    bob.send_line(f"/identify alice {PASSWORD}")
    bob.wait_status("bob (alice) |")
    bob.press("alt-1")
    bob.wait_said("You are logged in as alice")


def test_sasl_external_with_a_client_certificate(server_factory, tls_files, spawn, tmp_path) -> None:
    server = server_factory(*CHEAP_ARGON2, *FAST, *tls_files.flags())
    _, port = server.tls_address
    identity = tls_files.ca.issue_cert("alice@example.org")
    cert = tmp_path / "alice.pem"
    identity.private_key_and_cert_chain_pem.write_to_path(str(cert))
    trust = ("--tls-ca", str(tls_files.cert.parent / "ca.pem"), "--tls-cert", str(cert))
    alice = spawn("alice", *trust, server=server, port=port)
    alice.send_line(f"/register {PASSWORD}")
    alice.wait_status("alice (alice) |")
    alice.send_line("/nickserv CERT ADD")             # this certificate logs in to alice from now on
    alice.wait_said("now logs in to alice")
    alice.send_line("/quit")
    alice.wait_exit()
    again = spawn("alice", "--sasl", *trust, server=server, port=port)
    again.wait_status("alice (alice) |")


def test_the_password_is_asked_for_without_echo(accounts_server, spawn) -> None:
    owner = IrcClient(accounts_server.address)
    owner.send("NICK alice", "USER a 0 * :A", f"REGISTER * * {PASSWORD}")
    owner.expect(r"REGISTER SUCCESS alice")
    owner.send("QUIT")
    owner.read_until_closed()
    alice = spawn("alice", "--sasl", server=accounts_server, wait=False)
    alice.wait_text("Password for alice (not shown):")
    alice.type(f"{PASSWORD}\r")
    alice.wait_status("alice (alice) |", timeout=10)
    assert b"horse" not in alice.raw                  # never echoed, never drawn

    wrong = spawn("alice", "--sasl", "--sasl-required", server=accounts_server, wait=False)
    wrong.wait_text("Password for alice (not shown):")
    wrong.type("guess-again\r")
    wrong.wait_status("not reconnecting", timeout=10)
    wrong.wait_said("Not logged in: login as alice failed (PLAIN): SASL authentication failed; "
                    "leaving (--sasl-required)")
    assert b"guess-again" not in wrong.raw
