"""Typed lines -> messages to send, and local lines; errors send nothing."""

from __future__ import annotations

import pytest

from curses_client.commands import parse_input
from curses_client.state import ChatState, Kind

NOW = 1_700_000_000.0


def state() -> ChatState:
    s = ChatState(nick="alice", server="irc.test")
    s.room = "#lobby"
    return s


@pytest.mark.parametrize("line, sent", [
    ("hello", [("PRIVMSG", "#lobby", "hello")]),
    ("//etc/passwd is a file", [("PRIVMSG", "#lobby", "/etc/passwd is a file")]),
    ("/msg bob hi there", [("PRIVMSG", "bob", "hi there")]),
    ("/me waves", [("PRIVMSG", "#lobby", "\x01ACTION waves\x01")]),
    ("/nick alicia", [("NICK", "alicia")]),
    ("/whois bob", [("WHOIS", "bob")]),
    ("/names", [("NAMES", "#lobby")]),
    ("/who", [("WHO", "#lobby")]),
    ("/raw PRIVMSG bob :raw hi", [("PRIVMSG", "bob", "raw hi")]),
    ("/quit see you", [("QUIT", "see you")]),
    ("/quit", [("QUIT", "Leaving")]),
    ("QUIT", [("QUIT", "Leaving")]),
    ("/QUIT bye", [("QUIT", "bye")]),
])
def test_what_is_sent(line: str, sent: list) -> None:
    assert parse_input(state(), line, NOW).send == sent


@pytest.mark.parametrize("line, error", [
    ("/frobnicate", "Unknown command /frobnicate; /help lists the commands"),
    ("/msg", "Usage: /msg <nick> <text>"),
    ("/msg bob", "Usage: /msg <nick> <text>"),
    ("/nick", "Usage: /nick <new nick>"),
    ("/whois", "Usage: /whois <nick>"),
    ("/me", "Usage: /me <action>"),
    ("/raw", "Usage: /raw <IRC line>"),
])
def test_mistakes_are_one_local_line_and_send_nothing(line: str, error: str) -> None:
    s = state()
    out = parse_input(s, line, NOW)
    assert out.send == [] and out.quit is None
    [shown] = list(s.scrollback)
    assert (shown.kind, shown.text) == (Kind.ERROR, error)


def test_own_lines_are_echoed_and_marked() -> None:
    s = state()
    parse_input(s, "hello", NOW)
    parse_input(s, "/msg bob psst", NOW)
    parse_input(s, "/me waves", NOW)
    lines = list(s.scrollback)
    assert [line.own for line in lines] == [True, True, True]
    assert lines[0].plain().endswith("<alice> hello")
    assert lines[1].plain().endswith("[msg to bob] psst")
    assert lines[2].plain().endswith("* alice waves")


def test_quit_says_to_quit() -> None:
    assert parse_input(state(), "/quit bye", NOW).quit == "bye"


def test_invalid_nick_is_refused_locally() -> None:
    s = state()
    assert parse_input(s, "/nick 9lives", NOW).send == []


def test_help_lists_every_command() -> None:
    s = state()
    parse_input(s, "/help", NOW)
    text = "\n".join(line.text for line in s.scrollback)
    for name in ("/quit", "/nick", "/msg", "/me", "/whois", "/names", "/who", "/raw", "/help"):
        assert name in text


def test_long_lines_are_split_to_fit_the_relayed_line() -> None:
    from geventchat.protocol.message import format_line

    s = state()
    s.prefix = "alice!alice@client.example.org"
    text = " ".join(f"wörd{i:03}漢" for i in range(200))
    out = parse_input(s, text, NOW)
    assert len(out.send) > 1
    for _, target, piece in out.send:
        assert len(format_line("PRIVMSG", target, piece, prefix=s.prefix)) <= 512
    assert " ".join(piece for _, _, piece in out.send) == text
    assert [line.text for line in s.scrollback] == [piece for _, _, piece in out.send]


def test_split_without_spaces_never_cuts_a_character() -> None:
    from curses_client.commands import split_text

    pieces = split_text("漢" * 100, 50)
    assert all(len(p.encode()) <= 50 for p in pieces)
    assert "".join(pieces) == "漢" * 100


def test_long_action_keeps_the_ctcp_wrapping_in_every_piece() -> None:
    out = parse_input(state(), "/me " + "x " * 400, NOW)
    assert len(out.send) > 1
    assert all(piece.startswith("\x01ACTION ") and piece.endswith("\x01") for _, _, piece in out.send)
