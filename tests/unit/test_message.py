"""Parsing and formatting single lines, hostile shapes included (RFC 1459 2.3.1)."""

import pytest

from geventchat.protocol.message import MAX_LINE, Message, ParseError, format_line, parse


@pytest.mark.parametrize(
    "raw, expected",
    [
        (b"NICK alice", Message("NICK", ("alice",))),
        (b"nick alice", Message("NICK", ("alice",))),
        (b":forged!x@y PRIVMSG #lobby :hi there", Message("PRIVMSG", ("#lobby", "hi there"), "forged!x@y")),
        (b"PRIVMSG #lobby ::starts with colon", Message("PRIVMSG", ("#lobby", ":starts with colon"))),
        (b"PRIVMSG #lobby :a : b :c", Message("PRIVMSG", ("#lobby", "a : b :c"))),
        (b"PRIVMSG #lobby :", Message("PRIVMSG", ("#lobby", ""))),
        (b"PRIVMSG #lobby :  spaced  ", Message("PRIVMSG", ("#lobby", "  spaced  "))),
        (b"USER guest tolmoon tolsun Ronnie Reagan", Message("USER", ("guest", "tolmoon", "tolsun", "Ronnie", "Reagan"))),
        (b"PING   many   spaces", Message("PING", ("many", "spaces"))),
        (b"@time=x;y=z PRIVMSG a :b", Message("PRIVMSG", ("a", "b"), tags={"time": "x", "y": "z"})),
        (b"@+draft/react=\\:\\s;+x PRIVMSG a :b", Message("PRIVMSG", ("a", "b"), tags={"+draft/react": "; ", "+x": ""})),
        (b"CAP LS 302", Message("CAP", ("LS", "302"))),
    ],
)
def test_parse(raw, expected):
    assert parse(raw) == expected


@pytest.mark.parametrize("raw", [b"", b"   ", b":prefix-only", b":prefix ", b"@tags-only", b"\r\n", b"\0"])
def test_lines_without_a_command_are_parse_errors(raw):
    with pytest.raises(ParseError):
        parse(raw)


def test_fifteen_plus_params_fold_the_rest_into_the_fifteenth():
    """RFC 2812 2.3.1: up to 14 middle parameters, then the rest is the trailing one."""
    words = [f"p{i}" for i in range(20)]
    msg = parse(("CMD " + " ".join(words)).encode())
    assert len(msg.params) == 15
    assert msg.params[:14] == tuple(words[:14])
    assert msg.params[14] == " ".join(words[14:])


def test_invalid_utf8_is_read_as_latin1():
    msg = parse(b"PRIVMSG #lobby :caf\xe9 \xff\xfe")
    assert msg.params[1] == "caf\u00e9 \u00ff\u00fe"


def test_valid_utf8_is_kept():
    assert parse("PRIVMSG #lobby :héllo ☃ 漢字".encode()).params[1] == "héllo ☃ 漢字"


def test_format_uses_a_colon_for_text_and_only_where_needed():
    assert format_line("PRIVMSG", "#lobby", "hi", prefix="a!b@c") == b":a!b@c PRIVMSG #lobby :hi\r\n"
    assert format_line("JOIN", "#lobby", prefix="a!b@c") == b":a!b@c JOIN #lobby\r\n"
    assert format_line("NICK", "new", prefix="a!b@c") == b":a!b@c NICK new\r\n"
    assert format_line("001", "me", "Welcome") == b"001 me :Welcome\r\n"
    assert format_line("004", "me", "srv", "v1", "i", "nt") == b"004 me srv v1 i nt\r\n"
    assert format_line("CAP", "*", "LS", "") == b"CAP * LS :\r\n"
    assert format_line("X", "a", ":b") == b"X a ::b\r\n"


def test_format_never_lets_cr_lf_nul_through():
    line = format_line("PRIVMSG", "#lobby", "evil\r\nQUIT :x\0", prefix="a\r\n!b@c")
    assert line.count(b"\r") == 1 and line.count(b"\n") == 1 and b"\0" not in line
    assert line.endswith(b"\r\n")


def test_format_keeps_middle_params_single_words():
    line = format_line("X", "two words", "last")
    assert parse(line.rstrip(b"\r\n")).params == ("two_words", "last")


def test_format_truncates_to_512_bytes_on_a_utf8_boundary():
    line = format_line("PRIVMSG", "#lobby", "漢" * 400, prefix="alice!alice@127.0.0.1")
    assert len(line) <= MAX_LINE and line.endswith(b"\r\n")
    line[:-2].decode("utf-8")  # would raise if a character had been cut in half


def test_round_trip():
    msg = Message("PRIVMSG", ("#lobby", "hello: world  "), "n!u@h")
    assert parse(format_line(msg.command, *msg.params, prefix=msg.prefix)) == msg
