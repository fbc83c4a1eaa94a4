"""IRC over WebSocket against a real server: the same chat, limits and reasons as over TCP.

A `websockets` client (not the server's own wsproto) on the web listener,
and plain TCP clients beside it. IRCv3 WebSocket: "each message MUST
consist of a single IRC line", text.ircv3.net as text messages,
binary.ircv3.net as binary ones.
"""

from __future__ import annotations

import socket
import time

import pytest
from websockets.exceptions import InvalidStatus

from tests.support.client import IrcClient
from tests.support.server import start_server
from tests.support.tls import make_tls_files
from tests.support.ws import BINARY, TEXT, WsClient, masked, messages_until_closed, open_websocket, raw_upgrade

ALLOWED = "https://app.example.net"


@pytest.fixture(scope="module")
def server():
    """One server for the transcripts: loopback is exempt from --max-per-ip 2, addresses named by
    the trusted proxy 127.0.0.2 are not."""
    process = start_server("--web-port", "0", "--flood-burst", "50", "--max-per-ip", "2",
                           "--web-origin", ALLOWED, "--trusted-proxy", "127.0.0.2/32")
    yield process
    process.stop()
    assert "Traceback" not in process.log_text(), process.log_text()


@pytest.fixture
def clients(server):
    """tcp(nick) / ws(nick, **options): registered clients, closed at teardown."""
    made: list[IrcClient] = []

    class Make:
        @staticmethod
        def tcp(nick: str) -> IrcClient:
            made.append(IrcClient(server.address))
            return made[-1].register(nick)

        @staticmethod
        def ws(nick: str | None = None, **options) -> WsClient:
            made.append(WsClient(server.web_address, **options))
            return made[-1].register(nick) if nick else made[-1]

    yield Make
    for client in made:
        client.close()


def test_both_subprotocols_one_line_per_message(clients):
    text = clients.ws("wtext", subprotocols=[TEXT])
    binary = clients.ws("wbin", subprotocols=[BINARY, TEXT])
    assert (text.subprotocol, binary.subprotocol) == (TEXT, BINARY)
    for client, kind in ((text, str), (binary, bytes)):
        assert client.messages and all(type(m) is kind for m in client.messages)
        assert not any(("\r" in m or "\n" in m) if kind is str else (b"\r" in m or b"\n" in m)
                       for m in client.messages)
    assert text.messages[0] == ":irc.test 001 wtext :Welcome to the geventchat IRC Network wtext!user@127.0.0.1"
    assert binary.messages[0] == b":irc.test 001 wbin :Welcome to the geventchat IRC Network wbin!user@127.0.0.1"


def test_no_subprotocol_is_text_and_any_path_upgrades(server):
    for path in ("/", "/irc/anything?x=1"):
        ws = open_websocket(server.web_address, subprotocols=None, path=path)
        ws.send("PING :here")
        assert ws.recv(timeout=10) == ":irc.test PONG irc.test :here"
        ws.close()


def test_a_websocket_and_a_tcp_client_chat_both_ways(clients):
    web = clients.ws("webby", subprotocols=[BINARY])
    tcp = clients.tcp("tcpy")
    assert web.expect(r" JOIN ") == ":tcpy!user@127.0.0.1 JOIN #lobby"
    web.send("PRIVMSG #lobby :from the browser")
    assert tcp.expect(r"^:webby!.* PRIVMSG") == ":webby!user@127.0.0.1 PRIVMSG #lobby :from the browser"
    tcp.send("PRIVMSG webby :to the browser")
    assert web.expect(r"^:tcpy!.* PRIVMSG") == ":tcpy!user@127.0.0.1 PRIVMSG webby :to the browser"
    assert web.messages[-1] == b":tcpy!user@127.0.0.1 PRIVMSG webby :to the browser"


def test_a_text_client_never_gets_invalid_utf8(clients):
    """IRCv3: "Servers MUST NOT relay non-UTF-8 content to clients using text messages"."""
    web = clients.ws("utf", subprotocols=[TEXT])
    tcp = clients.tcp("latin")
    tcp.send_raw(b"PRIVMSG #lobby :caf\xe9 cr\xe8me\r\n")
    assert web.expect(r"^:latin!.* PRIVMSG") == ":latin!user@127.0.0.1 PRIVMSG #lobby :café crème"


def test_an_oversized_message_is_answered_like_an_overlong_line(clients):
    web = clients.ws("big")
    witness = clients.tcp("witness1")
    web.send("PRIVMSG #lobby :" + "x" * 600)
    assert web.expect(r" 417 ") == ":irc.test 417 big :Input line was too long"
    web.send_raw(b"PRIVMSG #lobby :" + b"y" * (4 << 20))  # 4 MiB in one binary message: skipped, not kept
    assert web.expect(r" 417 ") == ":irc.test 417 big :Input line was too long"
    web.ws.send(iter(["PRIVMSG #lobby :", "z" * 3000, "z" * 3000]))  # fragmented, too long all together
    assert web.expect(r" 417 ") == ":irc.test 417 big :Input line was too long"
    web.send("PRIVMSG #lobby :" + "w" * 400)  # within a line: relayed
    assert witness.expect(r"^:big!.* PRIVMSG") == ":big!user@127.0.0.1 PRIVMSG #lobby :" + "w" * 400
    assert [line for line in web.sync() if " 417 " in line] == []


def test_a_wrong_origin_is_refused_before_the_upgrade(server, clients):
    host, port = server.web_address
    with pytest.raises(InvalidStatus) as refused:
        open_websocket(server.web_address, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    assert b"https://evil.example may not open a WebSocket" in refused.value.response.body
    server.wait_log(r"web: refuse 127\.0\.0\.1: Origin https://evil\.example is not allowed")
    for origin in (f"http://{host}:{port}", ALLOWED, None):  # its own page, a listed one, not a browser
        client = clients.ws(origin=origin)
        client.send("PING :ok")
        assert client.expect("PONG") == ":irc.test PONG irc.test :ok"


def test_x_forwarded_for_is_taken_from_a_trusted_proxy_only(server, clients):
    """The trusted proxy 127.0.0.2 names its clients; anyone else's header is ignored; the
    per-address limit (2) counts the named address."""
    witness = clients.tcp("witness2")

    def via(source: str, forwarded: str) -> socket.socket:
        sock = socket.create_connection(server.web_address, timeout=10, source_address=(source, 0))
        return sock

    from websockets.sync.client import connect

    def proxied(forwarded: str, source: str = "127.0.0.2"):
        return connect(f"ws://{server.web_address[0]}:{server.web_address[1]}/", sock=via(source, forwarded),
                       subprotocols=[TEXT], additional_headers={"X-Forwarded-For": forwarded}, compression=None,
                       proxy=None, ping_interval=None, open_timeout=10, max_queue=None, legacy=True)

    direct = proxied("203.0.113.9", source="127.0.0.1")
    direct.send("NICK direct"), direct.send("USER d 0 * :Direct")
    assert witness.expect(r" JOIN ") == ":direct!d@127.0.0.1 JOIN #lobby"
    kept = [proxied("203.0.113.7") for _ in range(2)]
    for i, ws in enumerate(kept):
        ws.send(f"NICK behind{i}"), ws.send("USER b 0 * :Behind")
        assert witness.expect(r" JOIN ") == f":behind{i}!b@203.0.113.7 JOIN #lobby"
    third = proxied("198.51.100.1, 203.0.113.7")
    assert third.recv(timeout=10) == "ERROR :Closing Link: 203.0.113.7 (Too many connections from your host)"
    other = proxied("203.0.113.8")
    other.send("NICK other"), other.send("USER o 0 * :Other")
    assert witness.expect(r" JOIN ") == ":other!o@203.0.113.8 JOIN #lobby"
    for ws in (direct, *kept, third, other):
        ws.close()


def test_client_pings_are_answered_and_a_close_is_a_quit(clients):
    web = clients.ws("closer")
    witness = clients.tcp("witness3")
    assert web.ws.ping().wait(10)
    web.ws.close()
    assert witness.expect(r" QUIT ") == ":closer!user@127.0.0.1 QUIT :Remote host closed the connection"


def test_bad_frames_end_only_that_client(server, clients):
    witness = clients.tcp("witness4")
    sock, head = raw_upgrade(server.web_address)
    assert head.startswith(b"HTTP/1.1 101 ")
    sock.sendall(masked(b"NICK rude") + masked(b"USER r 0 * :Rude") + masked(b"\xff\xfe not utf-8"))
    assert witness.expect(r" QUIT ") == ":rude!r@127.0.0.1 QUIT :WebSocket error: invalid UTF-8 in a text message"
    sock.close()


def test_flood_control_closes_a_websocket_client_like_a_tcp_one(server_factory):
    """Three hundred lines at once, as one write of frames or of CRLF lines: the same end for both."""
    server = server_factory("--web-port", "0")  # the default flood limits
    witness = IrcClient(server.address).register("witness")
    flood = [b"PRIVMSG #lobby :flood %d" % i for i in range(300)]
    web, head = raw_upgrade(server.web_address)
    assert head.startswith(b"HTTP/1.1 101 ")
    web.sendall(b"".join(masked(line) for line in (b"NICK wsflood", b"USER u 0 * :Flood", *flood)))
    assert messages_until_closed(web)[-1] == "ERROR :Closing Link: 127.0.0.1 (Excess flood)"
    assert witness.expect(r" QUIT ") == ":wsflood!u@127.0.0.1 QUIT :Excess flood"
    tcp = IrcClient(server.address)
    tcp.send_raw(b"".join(line + b"\r\n" for line in (b"NICK tcpflood", b"USER u 0 * :Flood", *flood)))
    assert tcp.read_until_closed()[-1] == "ERROR :Closing Link: 127.0.0.1 (Excess flood)"
    assert witness.expect(r" QUIT ") == ":tcpflood!u@127.0.0.1 QUIT :Excess flood"
    for client in (web, tcp, witness):
        client.close()


def test_sendq_closes_a_websocket_client_that_does_not_read(server_factory):
    server = server_factory("--web-port", "0", "--sendq", "65536", "--flood-burst", "100000",
                            "--flood-rate", "100000")
    witness = IrcClient(server.address).register("witness")
    victim, head = raw_upgrade(server.web_address, rcvbuf=4096)
    assert head.startswith(b"HTTP/1.1 101 ")
    victim.sendall(masked(b"NICK victim") + masked(b"USER v 0 * :Never Reads"))
    witness.expect(r"^:victim!v@127\.0\.0\.1 JOIN")
    flooder = IrcClient(server.address).register("flooder")
    text = "f" * 400
    quit_line = None
    deadline = time.monotonic() + 20
    sent = 0
    while quit_line is None and time.monotonic() < deadline:
        flooder.send(*(f"PRIVMSG #lobby :{sent + i} {text}" for i in range(100)))
        sent += 100
        while quit_line is None:
            line = witness.read_line()
            if line.startswith(":victim!"):
                quit_line = line
            elif f"PRIVMSG #lobby :{sent - 1} " in line:
                break
    assert quit_line == ":victim!v@127.0.0.1 QUIT :SendQ exceeded"
    server.wait_log(r"quit \S+ victim SendQ exceeded")
    for client in (witness, flooder):
        client.close()
    victim.close()


def test_websocket_over_tls_with_the_irc_certificate_and_no_client_certificate_asked(server_factory, tmp_path):
    files = make_tls_files(tmp_path)
    server = server_factory(*files.flags(), "--web-port", "0")
    server.wait_log(r"chat page at https://127\.0\.0\.1:\d+/")
    identity = files.ca.issue_cert("alice@example.org")
    identity.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "alice.pem"))
    context = files.client_context()
    context.load_cert_chain(str(tmp_path / "alice.pem"))
    web = WsClient(server.web_address, tls=context).register("secure")
    plain = IrcClient(server.address).register("plain")
    web.send("PRIVMSG #lobby :over wss")
    assert plain.expect(r"^:secure!.* PRIVMSG") == ":secure!user@127.0.0.1 PRIVMSG #lobby :over wss"
    web.send("WHOIS secure")
    whois = web.sync()
    assert ":irc.test 671 secure secure :is using a secure connection" in whois
    assert not any(" 276 " in line for line in whois)  # the web listener asked for no certificate
    irc = IrcClient(server.tls_address, tls=context).register("alice")  # the IRC TLS port does ask
    irc.send("WHOIS alice")
    assert any(" 276 " in line for line in irc.sync())
    for client in (web, plain, irc):
        client.close()
