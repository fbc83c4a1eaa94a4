"""The client over TLS against the real server's TLS listener, with a throwaway CA (trustme).

Trusted through --tls-ca or a pinned fingerprint it chats with a plain
client; an untrusted certificate or a wrong pin is refused with a clear
message and no reconnect loop; --tls-insecure connects and says so loudly.
"""

from __future__ import annotations

import hashlib
import ssl
import time

import pytest

from tests.support.client import IrcClient

pytestmark = pytest.mark.timeout(40)


@pytest.fixture
def tls_server(server_factory, tls_files):
    return server_factory(*tls_files.flags())


def fingerprint(tls_files) -> str:
    leaf = tls_files.cert.read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(leaf)).hexdigest()


def connections(server) -> int:
    return sum(1 for line in list(server.log) if " connect " in line or "handshake" in line)


def test_tls_with_a_trusted_ca_chats_with_a_plain_client(tls_server, tls_files, spawn) -> None:
    bob = IrcClient(tls_server.address).register("bob")
    _, port = tls_server.tls_address
    alice = spawn("alice", "--tls", "--tls-ca", str(tls_files.cert.parent / "ca.pem"), server=tls_server,
                  port=port, cols=100)
    alice.wait_status("#lobby (2 users)")
    assert "| TLS |" in alice.status()
    alice.press("alt-1")
    alice.wait_said(f"Connected to 127.0.0.1:{port} over TLS (certificate verified)")
    alice.press("alt-2")
    alice.send_line("hello over tls")
    bob.expect(r"^:alice!\S+ PRIVMSG #lobby :hello over tls$")
    bob.send("PRIVMSG #lobby :hello in plain")
    alice.wait_pane("<bob> hello in plain")
    bob.close()


def test_an_untrusted_certificate_is_refused_clearly_and_not_retried(tls_server, spawn) -> None:
    _, port = tls_server.tls_address
    alice = spawn("alice", "--tls", server=tls_server, port=port, wait=False)
    alice.wait_said("the server's TLS certificate was refused (unable to get local issuer certificate); "
                    "--tls-ca FILE trusts another CA, --tls-fingerprint pins this certificate")
    alice.wait_status("not reconnecting")
    tls_server.wait_log("handshake from 127.0.0.1 failed")
    deadline = time.monotonic() + 1.5   # the usual backoff would have tried again after 1 s
    while time.monotonic() < deadline:
        alice.pump(0.1)
    assert connections(tls_server) == 1, tls_server.log_text()
    assert not alice.has("Traceback")


def test_a_pinned_fingerprint_is_the_only_trust_needed(tls_server, tls_files, spawn) -> None:
    _, port = tls_server.tls_address
    pin = ":".join(fingerprint(tls_files)[i:i + 2] for i in range(0, 64, 2))
    alice = spawn("alice", "--tls-fingerprint", pin, server=tls_server, port=port, cols=100)
    alice.press("alt-1")
    alice.wait_pane("over TLS (pinned certificate)")
    wrong = "00" * 32
    bob = spawn("bob", "--tls-fingerprint", wrong, server=tls_server, port=port, wait=False)
    bob.wait_said(f"the server's certificate has the SHA-256 fingerprint {pin.upper()}, not the one given "
                  "with --tls-fingerprint")
    bob.wait_status("not reconnecting")


def test_no_verification_is_said_loudly(tls_server, tls_files, spawn) -> None:
    _, port = tls_server.tls_address
    alice = spawn("alice", "--tls-insecure", server=tls_server, port=port)
    alice.press("alt-1")
    alice.wait_said("TLS certificate NOT VERIFIED (--tls-insecure): anyone between you and the server can "
                    "read and change this chat")
    pin = ":".join(fingerprint(tls_files)[i:i + 2] for i in range(0, 64, 2)).upper()
    alice.wait_said(f"The server's certificate: SHA-256 {pin} (--tls-fingerprint pins it)")
    assert "TLS NOT VERIFIED" in alice.status()
    y = alice.row_of("NOT VERIFIED (--tls-insecure)")
    assert alice.cells(y)[len("HH:MM !!! ")].fg == "red"


def test_a_client_certificate_is_presented(tls_server, tls_files, spawn, tmp_path) -> None:
    """--tls-cert: the server sees our certificate (WHOIS shows its owner the fingerprint it keeps)."""
    mine = tls_files.ca.issue_cert("alice@example.org")
    cert = tmp_path / "alice.pem"
    mine.private_key_and_cert_chain_pem.write_to_path(str(cert))
    der = ssl.PEM_cert_to_DER_cert(mine.cert_chain_pems[0].bytes().decode())
    _, port = tls_server.tls_address
    alice = spawn("alice", "--tls-cert", str(cert), "--tls-ca", str(tls_files.cert.parent / "ca.pem"),
                  server=tls_server, port=port)
    alice.send_line("/whois alice")
    alice.wait_said(f"has client certificate fingerprint {hashlib.sha256(der).hexdigest()}")

