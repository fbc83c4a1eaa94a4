"""Typed lines -> messages to send, and local lines; errors send nothing."""

from __future__ import annotations

import pytest

from geventchat.protocol.message import parse

from curses_client.commands import is_secret, parse_input
from curses_client.incoming import handle
from curses_client.state import ChatState, Kind

NOW = 1_700_000_000.0


def state() -> ChatState:
    """In #lobby, its window on screen, nothing in it yet."""
    s = ChatState(nick="alice", server="irc.test")
    handle(s, parse(":alice!alice@127.0.0.1 JOIN #lobby"), NOW)
    s.scrollback.lines.clear()
    return s


def texts(s: ChatState) -> list[str]:
    return [line.text for line in s.scrollback]


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
    ("/msg", "Usage: /msg <nick|#channel> <text>"),
    ("/msg bob", "Usage: /msg <nick|#channel> <text>"),
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


def test_own_lines_are_shown_and_marked() -> None:
    s = state()
    parse_input(s, "hello", NOW)
    parse_input(s, "/msg bob psst", NOW)
    parse_input(s, "/me waves", NOW)
    lines = list(s.scrollback)
    assert [line.own for line in lines] == [True, True, True]
    assert lines[0].plain().endswith("<alice> hello")
    assert lines[1].plain().endswith("[msg to bob] psst")   # a copy where it was typed
    assert lines[2].plain().endswith("* alice waves")
    query = s.windows.find("bob")
    [private] = list(query.scrollback)
    assert private.plain(query=True).endswith("<alice> psst") and s.windows.active.name == "#lobby"


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
    assert texts(s) == [piece for _, _, piece in out.send]


def test_split_without_spaces_never_cuts_a_character() -> None:
    from curses_client.commands import split_text

    pieces = split_text("漢" * 100, 50)
    assert all(len(p.encode()) <= 50 for p in pieces)
    assert "".join(pieces) == "漢" * 100


def test_long_action_keeps_the_ctcp_wrapping_in_every_piece() -> None:
    out = parse_input(state(), "/me " + "x " * 400, NOW)
    assert len(out.send) > 1
    assert all(piece.startswith("\x01ACTION ") and piece.endswith("\x01") for _, _, piece in out.send)


@pytest.mark.parametrize("line, sent", [
    ("/join #dev", [("JOIN", "#dev")]),
    ("/join #dev,#ops key1", [("JOIN", "#dev", "key1"), ("JOIN", "#ops")]),
    ("/part", [("PART", "#lobby")]),
    ("/part see you", [("PART", "#lobby", "see you")]),
    ("/part #dev bye", [("PART", "#dev", "bye")]),
    ("/topic", [("TOPIC", "#lobby")]),
    ("/topic a new topic", [("TOPIC", "#lobby", "a new topic")]),
    ("/topic #dev release day", [("TOPIC", "#dev", "release day")]),
    ("/kick bob", [("KICK", "#lobby", "bob")]),
    ("/kick bob too loud", [("KICK", "#lobby", "bob", "too loud")]),
    ("/kick #dev bob", [("KICK", "#dev", "bob")]),
    ("/mode", [("MODE", "#lobby")]),
    ("/mode +o bob", [("MODE", "#lobby", "+o", "bob")]),
    ("/mode #dev +k secret", [("MODE", "#dev", "+k", "secret")]),
    ("/op bob carol", [("MODE", "#lobby", "+oo", "bob", "carol")]),
    ("/devoice bob", [("MODE", "#lobby", "-v", "bob")]),
    ("/invite bob", [("INVITE", "bob", "#lobby")]),
    ("/invite bob #ops", [("INVITE", "bob", "#ops")]),
    ("/names #dev", [("NAMES", "#dev")]),
    ("/list", [("LIST",)]),
    ("/register hunter2", [("PRIVMSG", "NickServ", "REGISTER hunter2")]),
    ("/identify hunter2", [("PRIVMSG", "NickServ", "IDENTIFY alice hunter2")]),
    ("/identify alicia hunter2", [("PRIVMSG", "NickServ", "IDENTIFY alicia hunter2")]),
])
def test_channel_and_account_commands(line: str, sent: list) -> None:
    assert parse_input(state(), line, NOW).send == sent


def test_register_uses_the_registration_command_where_the_server_offers_it() -> None:
    s = state()
    s.offered["draft/account-registration"] = "before-connect"
    assert parse_input(s, "/register hunter2 me@example.org", NOW).send == [
        ("REGISTER", "*", "me@example.org", "hunter2")]


def test_identify_with_sasl_after_registration() -> None:
    s = state()
    s.caps.add("sasl")
    assert parse_input(s, "/identify hunter2", NOW).send == [("AUTHENTICATE", "PLAIN")]
    assert handle(s, parse("AUTHENTICATE +"), NOW) == [("AUTHENTICATE", "YWxpY2UAYWxpY2UAaHVudGVyMg==")]


def test_passwords_are_masked_and_not_kept() -> None:
    s = state()
    parse_input(s, "/msg NickServ IDENTIFY hunter2", NOW)
    assert "hunter2" not in " ".join(line.text for w in s.windows for line in w.scrollback)
    assert is_secret("/msg NickServ IDENTIFY hunter2") and is_secret("/register hunter2")
    assert is_secret("/identify hunter2") and not is_secret("/msg bob IDENTIFY hunter2")


def test_windows_are_switched_listed_and_closed() -> None:
    s = state()
    handle(s, parse(":alice!alice@127.0.0.1 JOIN #dev"), NOW)
    parse_input(s, "/query bob", NOW)
    assert [w.label for w in s.windows] == ["status", "#lobby", "#dev", "bob"]
    assert s.windows.active.name == "bob"
    parse_input(s, "/window 2", NOW)
    assert s.windows.active.name == "#lobby"
    parse_input(s, "/window 9", NOW)
    assert texts(s)[-1] == "No window 9: there are 4 (/window list)"
    parse_input(s, "/window #dev", NOW)
    assert s.windows.active.name == "#dev"
    assert parse_input(s, "/close", NOW).send == [("PART", "#dev")]   # closes when the server says we left
    handle(s, parse(":alice!alice@127.0.0.1 PART #dev"), NOW)
    assert [w.label for w in s.windows] == ["status", "#lobby", "bob"]
    parse_input(s, "/window 3", NOW)
    assert parse_input(s, "/close", NOW).send == []
    assert [w.label for w in s.windows] == ["status", "#lobby"]


def test_a_line_from_the_status_window_with_no_channel_is_refused() -> None:
    s = ChatState(nick="alice", server="irc.test", wanted_room="")
    assert parse_input(s, "hello?", NOW).send == []
    assert texts(s)[-1].startswith("This is the status window")


@pytest.mark.parametrize("arg", ["", " ", "#", "#dev", "bob", "+o", "-", "#dev +o", ",,,", "#a,#b k1,k2",
                                 "漢字 😀", "x" * 600, "\t", "0", "99", "close", "list", "next", "prev"])
def test_no_command_raises_whatever_it_is_given(arg: str) -> None:
    from curses_client.commands import COMMANDS

    for name in COMMANDS:
        if name in ("quit", "reconnect"):
            continue
        for where in (1, 2):          # typed in the status window, and in a channel's
            s = state()
            s.windows.show_number(where)
            parse_input(s, f"/{name} {arg}".rstrip(), NOW)
