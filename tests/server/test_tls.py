"""IRC over TLS: the TLS listener beside the plain one, one chat for both.

A real server with a trustme certificate; clients are the standard library's
TLS sockets. Everything a plain client can do, a TLS client can do, and the
two talk to each other.
"""

from __future__ import annotations

import contextlib
import hashlib
import signal
import socket
import ssl
import time

import pytest

from tests.support.client import CAPS, IrcClient
from tests.support.server import start_server
from tests.support.tls import make_tls_files


@pytest.fixture
def tls_files(tmp_path):
    return make_tls_files(tmp_path)


@pytest.fixture
def tls_server(server_factory, tls_files):
    return server_factory(*tls_files.flags(), "--registration-timeout", "2")


@pytest.fixture
def connect(tls_server):
    """connect() -> a plain client of the TLS-enabled server; closed at teardown."""
    clients: list[IrcClient] = []

    def make() -> IrcClient:
        clients.append(IrcClient(tls_server.address))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def tls_client(server, tls_files, **options) -> IrcClient:
    return IrcClient(server.tls_address, tls=tls_files.client_context(), **options)


def served_fingerprint(address: tuple[str, int], context: ssl.SSLContext) -> str:
    with socket.create_connection(address, timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as sock:
            return hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()


def test_a_tls_client_chats_with_a_plain_one_both_ways(tls_server, tls_files, connect):
    secure = tls_client(tls_server, tls_files).register("secure")
    plain = connect().register("plain")
    assert secure.expect(r" JOIN ") == ":plain!user@127.0.0.1 JOIN #lobby"
    secure.send("PRIVMSG #lobby :over TLS")
    assert plain.expect(r"PRIVMSG") == ":secure!user@127.0.0.1 PRIVMSG #lobby :over TLS"
    plain.send("PRIVMSG secure :in the clear")
    assert secure.expect(r"PRIVMSG") == ":plain!user@127.0.0.1 PRIVMSG secure :in the clear"
    plain.send("WHOIS secure")
    assert plain.expect(r" 671 ") == ":irc.test 671 plain secure :is using a secure connection"
    plain.send("WHOIS plain")
    assert not any(" 671 " in line for line in plain.sync())
    secure.close()


def test_sts_is_offered_on_the_plain_port_with_the_tls_port(tls_server, tls_files, connect):
    plain = connect()
    plain.send("CAP LS 302")
    tls_port = tls_server.tls_address[1]
    assert plain.expect(r"CAP") == f":irc.test CAP * LS :{CAPS} sts=port={tls_port}"
    secure = tls_client(tls_server, tls_files)
    secure.send("CAP LS 302")
    assert secure.expect(r"CAP") == f":irc.test CAP * LS :{CAPS} sts=duration=0"
    secure.close()


def test_a_client_certificate_fingerprint_is_kept_on_the_session(tls_server, tls_files, tmp_path):
    identity = tls_files.ca.issue_cert("alice@example.org")
    identity.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "alice.pem"))
    context = tls_files.client_context()
    context.load_cert_chain(str(tmp_path / "alice.pem"))
    alice = IrcClient(tls_server.tls_address, tls=context).register("alice")
    der = ssl.PEM_cert_to_DER_cert(identity.cert_chain_pems[0].bytes().decode())
    alice.send("WHOIS alice")
    assert alice.expect(r" 276 ") == (
        f":irc.test 276 alice alice :has client certificate fingerprint {hashlib.sha256(der).hexdigest()}")
    alice.close()


def test_garbage_on_the_tls_port_is_closed_cleanly_and_harms_nobody(tls_server, tls_files, connect):
    witness = connect().register("witness")
    with socket.create_connection(tls_server.tls_address, timeout=10) as raw:
        raw.sendall(b"NICK intruder\r\nUSER i 0 * :Not TLS\r\n")
        received = b""
        while chunk := raw.recv(4096):  # the server closes; nothing it sends is an IRC line
            received += chunk
    assert b"001" not in received and b"NICK" not in received
    tls_server.wait_log(r"handshake from 127\.0\.0\.1 failed: TLS handshake failed")
    witness.send("PRIVMSG #lobby :still here")
    assert witness.sync() == []
    other = tls_client(tls_server, tls_files).register("other")
    other.send("PRIVMSG witness :and TLS still works")
    assert witness.expect(r"PRIVMSG") == ":other!user@127.0.0.1 PRIVMSG witness :and TLS still works"
    other.close()
    assert "Traceback" not in tls_server.log_text()


def test_a_handshake_never_finished_is_closed_at_the_registration_timeout(tls_server):
    """The handshake counts inside the registration timeout (2 s here)."""
    with socket.create_connection(tls_server.tls_address, timeout=10) as raw:
        raw.sendall(b"\x16\x03\x01\x00")  # the first bytes of a ClientHello, and nothing more
        started = time.monotonic()
        assert raw.recv(4096) == b""  # closed by the server, not by our timeout of 10 s
        assert time.monotonic() - started < 9
    tls_server.wait_log(r"handshake from 127\.0\.0\.1 failed: handshake timed out")


def test_sighup_rotates_the_certificate_for_new_connections_only(tls_server, tls_files, connect):
    before = served_fingerprint(tls_server.tls_address, tls_files.client_context())
    staying = tls_client(tls_server, tls_files).register("staying")
    witness = connect().register("witness")
    tls_files.issue()
    tls_server.proc.send_signal(signal.SIGHUP)
    tls_server.wait_log(r"TLS certificate reloaded")
    after = served_fingerprint(tls_server.tls_address, tls_files.client_context())
    assert after != before
    staying.send("PRIVMSG #lobby :still connected with the old certificate")
    assert witness.expect(r"PRIVMSG") == ":staying!user@127.0.0.1 PRIVMSG #lobby :still connected with the old certificate"
    staying.close()


def test_a_broken_certificate_on_sighup_keeps_the_old_one(tls_server, tls_files):
    before = served_fingerprint(tls_server.tls_address, tls_files.client_context())
    tls_files.cert.write_text("not a certificate\n")
    tls_server.proc.send_signal(signal.SIGHUP)
    tls_server.wait_log(r"TLS certificate not reloaded, the old one stays")
    assert served_fingerprint(tls_server.tls_address, tls_files.client_context()) == before


def test_an_untrusted_client_is_refused_by_its_own_side(tls_server):
    """A client that checks certificates refuses a server it was not told to trust."""
    with socket.create_connection(tls_server.tls_address, timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")


def test_tls_port_without_a_certificate_is_a_usage_error():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "geventchat", "--tls-port", "6697"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--tls-port needs --tls-cert PATH" in result.stderr
    assert "openssl req -x509" in result.stderr


def test_an_unreadable_certificate_is_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match=r"cannot use TLS certificate .*missing\.pem"):
        start_server("--tls-cert", str(tmp_path / "missing.pem"), timeout=10)


def test_lines_sent_with_the_last_handshake_flight_are_read(tls_server, tls_files):
    """Some clients (weechat with GnuTLS) send their first lines in the packet that ends the handshake."""
    context = tls_files.client_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with socket.create_connection(tls_server.tls_address, timeout=10) as raw:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                if outgoing.pending:
                    raw.sendall(outgoing.read())
                incoming.write(raw.recv(65536))
        tls.write(b"NICK early\r\nUSER early 0 * :Early Bird\r\n")
        raw.sendall(outgoing.read())  # the client's Finished (if any is left) and the lines, in one send
        received = b""
        while b" 001 early " not in received:
            data = raw.recv(65536)
            assert data, "closed without a welcome"
            incoming.write(data)
            with contextlib.suppress(ssl.SSLWantReadError):
                while chunk := tls.read(65536):
                    received += chunk


def test_a_large_batch_leaves_no_large_buffer_behind_on_its_connection(tls_files):
    """OpenSSL's memory buffers keep the most they ever held: a 450 KB flush (a flat-out batch,
    a WHO of thousands) must not leave each TLS connection holding 450 KB for the rest of its life."""
    import ctypes
    import threading

    from OpenSSL import SSL

    from geventchat.transports.tls import TlsStream, server_context

    class MallocInfo(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallocInfo

    def heap_in_use() -> int:
        info = libc.mallinfo2()
        return info.uordblks + info.hblkhd

    context = server_context(str(tls_files.cert), str(tls_files.key))
    client_context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    streams, sockets, clients = [], [], []
    for _ in range(20):
        server_end, client_end = socket.socketpair()
        client = SSL.Connection(client_context, client_end)
        client.set_connect_state()
        shaking = threading.Thread(target=client.do_handshake)
        shaking.start()
        stream = TlsStream(server_end, 4096, context)
        stream.start()
        shaking.join()
        streams.append(stream)
        clients.append(client)
        sockets += (server_end, client_end)
    batch = b":alice!alice@127.0.0.1 PRIVMSG #lobby :a line of ordinary length for a chat message\r\n" * 5000
    first = streams[0].seal(batch)  # what one client will read back
    before = heap_in_use()
    for stream in streams[1:]:
        sealed = stream.seal(batch)
        assert len(sealed) > len(batch)  # every byte encrypted, in records
        del sealed
    held = (heap_in_use() - before) / (len(streams) - 1)
    sending = threading.Thread(target=sockets[0].sendall, args=(first,))
    sending.start()
    received = b""
    while len(received) < len(batch):
        received += clients[0].recv(65536)
    sending.join()
    assert received == batch  # the client reads the batch whole, in order
    for sock in sockets:
        sock.close()
    assert held < 64 * 1024, f"each connection kept {held / 1024:.0f} KiB after sealing {len(batch) / 1024:.0f} KiB"
