"""IRC over WebSocket without sockets: framing once per view, the handshake, Origin and X-Forwarded-For.

A server frame is unmasked, so one framed line is the same bytes for every
recipient; the IRCv3 WebSocket spec: "each message MUST consist of a single
IRC line, except that servers and clients MUST NOT include trailing \\r or
\\n characters in the message".
"""

from __future__ import annotations

import base64

import pytest
from wsproto.connection import CLIENT, Connection
from wsproto.events import BytesMessage, CloseConnection, TextMessage

from geventchat.config import Config
from geventchat.core.caps import WS_BINARY, WS_TEXT
from geventchat.core.chat import Chat
from geventchat.core.session import TransportInfo
from geventchat.protocol.websocket import OPCODE_BINARY, close_frame, frame, frame_line
from geventchat.web import handshake
from geventchat.web.policy import client_address, networks, origin_allowed
from tests.support.peer import Peer

WS = TransportInfo("ws", ip="127.0.0.1", framing=WS_TEXT)
WS_BIN = TransportInfo("ws", ip="127.0.0.1", framing=WS_BINARY)


def read_frames(data: bytes) -> list[str | bytes | tuple[int, str]]:
    """What a WebSocket client (wsproto's) reads from these server bytes."""
    client = Connection(CLIENT)
    client.receive_data(data)
    out: list = []
    for event in client.events():
        if isinstance(event, (TextMessage, BytesMessage)):
            assert event.message_finished
            out.append(event.data)
        elif isinstance(event, CloseConnection):
            out.append((event.code, event.reason))
    return out


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_a_frame_of_any_length_reads_back_as_one_message(size):
    payload = b"x" * size
    assert read_frames(frame(payload)) == ["x" * size]
    assert read_frames(frame(payload, OPCODE_BINARY)) == [payload]


def test_a_line_loses_its_crlf_and_a_close_frame_carries_its_code():
    assert read_frames(frame_line(b"PING :x\r\n") + close_frame(1000, "bye")) == ["PING :x", (1000, "bye")]


def test_a_relayed_line_is_framed_once_per_view():
    chat = Chat(Config.from_flags(server_name="irc.test"))
    text_a, text_b = Peer(chat, "ta", transport=WS), Peer(chat, "tb", transport=WS)
    binary = Peer(chat, "bin", transport=WS_BIN)
    tagged_a = Peer(chat, "tga", caps="server-time", transport=WS)
    tagged_b = Peer(chat, "tgb", caps="server-time", transport=WS)
    plain = Peer(chat, "plain")
    Peer(chat, "alice").say("PRIVMSG #lobby :once")
    assert text_a.raw[-1] is text_b.raw[-1]
    assert tagged_a.raw[-1] is tagged_b.raw[-1]
    assert read_frames(text_a.raw[-1]) == [":alice!alice@127.0.0.1 PRIVMSG #lobby :once"]
    assert read_frames(binary.raw[-1]) == [b":alice!alice@127.0.0.1 PRIVMSG #lobby :once"]
    [tagged] = read_frames(tagged_a.raw[-1])
    assert tagged.startswith("@time=") and tagged.endswith(" :alice!alice@127.0.0.1 PRIVMSG #lobby :once")
    assert plain.raw[-1] == b":alice!alice@127.0.0.1 PRIVMSG #lobby :once\r\n"


def test_replies_to_one_websocket_client_are_framed_one_line_each():
    chat = Chat(Config.from_flags(server_name="irc.test"))
    web = Peer(chat, "web", transport=WS)
    lines = [line for data in web.raw for line in read_frames(data)]
    assert lines[0] == ":irc.test 001 web :Welcome to the geventchat IRC Network web!web@127.0.0.1"
    assert lines[-1] == ":irc.test 366 web #lobby :End of /NAMES list."
    assert len(lines) == len(web.raw)  # one message per queued line


# --- the handshake -------------------------------------------------------------

KEY = base64.b64encode(b"0123456789abcdef")


def upgrade_headers(**extra: bytes) -> list[tuple[bytes, bytes]]:
    headers = {b"host": b"chat.example.org", b"upgrade": b"websocket", b"connection": b"keep-alive, Upgrade",
               b"sec-websocket-version": b"13", b"sec-websocket-key": KEY}
    headers.update({key.replace("_", "-").encode(): value for key, value in extra.items()})
    return list(headers.items())


def test_the_accept_token_is_the_rfc_one():
    """RFC 6455 1.3: the key dGhlIHNhbXBsZSBub25jZQ== is answered s3pPLMBiTxaQ9kYGzzhZRbK+xOo=."""
    answer = handshake.answer(b"GET", upgrade_headers(sec_websocket_key=b"dGhlIHNhbXBsZSBub25jZQ=="))
    assert (b"sec-websocket-accept", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") in answer.headers


@pytest.mark.parametrize("offered, chosen", [
    (b"binary.ircv3.net, text.ircv3.net", "binary.ircv3.net"),
    (b"text.ircv3.net, binary.ircv3.net", "text.ircv3.net"),
    (b"chat, text.ircv3.net", "text.ircv3.net"),
    (None, None),
])
def test_the_clients_preferred_irc_subprotocol_is_chosen(offered, chosen):
    extra = {"sec_websocket_protocol": offered} if offered else {}
    answer = handshake.answer(b"GET", upgrade_headers(**extra))
    assert answer.subprotocol == chosen
    assert ((b"sec-websocket-protocol", chosen.encode()) in answer.headers) if chosen else \
        all(name != b"sec-websocket-protocol" for name, _ in answer.headers)


@pytest.mark.parametrize("method, extra, status", [
    (b"POST", {}, 405),
    (b"GET", {"sec_websocket_version": b"8"}, 426),
    (b"GET", {"sec_websocket_key": b"short"}, 400),
    (b"GET", {"connection": b"keep-alive"}, 400),
])
def test_a_bad_upgrade_is_refused_with_its_status(method, extra, status):
    answer = handshake.answer(method, upgrade_headers(**extra))
    assert isinstance(answer, handshake.Refusal) and answer.status == status


@pytest.mark.parametrize("origin, host, allowed, ok", [
    (None, "chat.example.org", (), True),  # not a browser
    ("https://chat.example.org", "chat.example.org", (), True),  # the page's own
    ("http://chat.example.org:8080", "chat.example.org:8080", (), True),
    ("https://chat.example.org:443", "chat.example.org", (), True),
    ("https://evil.example", "chat.example.org", (), False),
    ("https://chat.example.org.evil.example", "chat.example.org", (), False),
    ("null", "chat.example.org", (), False),
    ("https://app.example.net", "chat.example.org", ("https://app.example.net",), True),
    ("https://evil.example", "chat.example.org", ("*",), True),
])
def test_origin(origin, host, allowed, ok):
    assert origin_allowed(origin, host, allowed) is ok


@pytest.mark.parametrize("peer, header, expected", [
    ("198.51.100.1", "203.0.113.7", "198.51.100.1"),  # not a trusted proxy: its word is not taken
    ("10.0.0.5", "203.0.113.7", "203.0.113.7"),
    ("10.0.0.5", "192.0.2.66, 203.0.113.7, 10.0.0.9", "203.0.113.7"),  # the last hop not ours
    ("10.0.0.5", "[2001:db8::7]:5555", "2001:db8::7"),
    ("10.0.0.5", "203.0.113.7:5555", "203.0.113.7"),
    ("10.0.0.5", None, "10.0.0.5"),
    ("10.0.0.5", "not-an-address", None),
])
def test_x_forwarded_for_only_from_a_trusted_proxy(peer, header, expected):
    assert client_address(peer, header, networks(["10.0.0.0/8"])) == expected
