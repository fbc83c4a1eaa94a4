"""Splitting a byte stream into lines: CR, LF, CRLF; overlong lines never kept."""

from geventchat.protocol.framing import TOO_LONG, LineBuffer


def test_crlf_lf_and_cr_all_end_lines():
    buf = LineBuffer()
    assert buf.feed(b"A\r\nB\nC\rD") == [b"A", b"B", b"C"]
    assert buf.feed(b"\r\n") == [b"D"]


def test_a_line_split_across_reads_is_joined():
    buf = LineBuffer()
    assert buf.feed(b"PRIVMSG #lob") == []
    assert buf.feed(b"by :hi\r") == [b"PRIVMSG #lobby :hi"]
    assert buf.feed(b"\nNEXT\r\n") == [b"NEXT"]  # the LF of a split CRLF is an empty line, dropped


def test_empty_lines_are_dropped():
    assert LineBuffer().feed(b"\r\n\r\n\n\rX\n") == [b"X"]


def test_512_bytes_with_crlf_is_the_limit():
    buf = LineBuffer()
    assert buf.feed(b"x" * 510 + b"\r\n") == [b"x" * 510]
    assert buf.feed(b"x" * 511 + b"\r\n") == [TOO_LONG]


def test_overlong_partial_line_is_reported_once_and_skipped_to_its_end():
    buf = LineBuffer()
    assert buf.feed(b"y" * 600) == [TOO_LONG]
    assert buf.pending == 0
    for _ in range(100):  # keeps running: never kept, never reported again
        assert buf.feed(b"y" * 65536) == []
        assert buf.pending <= 512
    assert buf.feed(b"yyy\r\nPING ok\r\n") == [b"PING ok"]
