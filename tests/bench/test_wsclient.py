"""The generator's WebSocket framing, without sockets: what it sends the server reads, what the server sends it reads."""

from __future__ import annotations

from wsproto.connection import SERVER, Connection
from wsproto.events import TextMessage

from bench import wsclient
from geventchat.protocol.websocket import frame_line


def test_each_line_is_one_masked_text_frame_that_a_server_reads_back():
    lines = [b"NICK alice", b"PRIVMSG #lobby :" + b"x" * 200, b"QUIT"]
    data = wsclient.frame_lines(b"".join(line + b"\r\n" for line in lines))
    assert data[1] & 0x80 and data[2 + 4 + 10 + 1] & 0x80  # the mask bit of the first two frames
    assert b"alice" not in data  # masked on the wire
    server = Connection(SERVER)
    server.receive_data(data)
    assert [event.data.encode() for event in server.events() if isinstance(event, TextMessage)] == lines


def test_server_frames_are_read_back_as_lines_whatever_the_reads_cut():
    lines = [b":a!a@h PRIVMSG #lobby :hi", b":s 353 a = #lobby :" + b"n " * 100, b"PING :s"]
    data = b"".join(frame_line(line + b"\r\n") for line in lines)
    for cut in range(len(data) + 1):
        first, rest = wsclient.read_frames(data[:cut])
        assert wsclient.whole(data[:cut]) == cut - len(rest)
        second, left = wsclient.read_frames(rest + data[cut:])
        assert first + second == lines and left == b""


def test_the_upgrade_answer_is_read_whole_or_waited_for():
    head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    assert wsclient.upgrade_answer(head[:20]) == (None, head[:20])
    assert wsclient.upgrade_answer(head + b"\x81\x02hi") == (True, b"\x81\x02hi")
    assert wsclient.upgrade_answer(b"HTTP/1.1 403 Forbidden\r\n\r\n")[0] is False
    request = wsclient.upgrade_request("127.0.0.1", 8080)
    assert request.startswith(b"GET / HTTP/1.1\r\n") and b"Sec-WebSocket-Protocol: text.ircv3.net\r\n" in request
