"""Server lines in, screen lines and replies out: read like IRC transcripts."""

from __future__ import annotations

import pytest

from curses_client.incoming import alternative_nick
from curses_client.state import ChatState, Kind, Phase
from tests.support.client_state import NOW, feed


def texts(state: ChatState) -> list[str]:
    return [line.text for line in state.scrollback]


def fresh(phase: Phase = Phase.CONNECTED) -> ChatState:
    state = ChatState(nick="alice", server="127.0.0.1:6667")
    state.phase = phase
    state.motd_done = phase is Phase.CONNECTED
    return state


def joined() -> ChatState:
    state = fresh()
    feed(state, ":alice!a@h JOIN #lobby", ":irc.test 353 alice = #lobby :alice @bob",
         ":irc.test 366 alice #lobby :End of /NAMES list.")
    return state


def test_ping_is_answered() -> None:
    assert feed(fresh(), "PING :abc") == [("PONG", "abc")]


def test_cap_ls_ends_negotiation_after_the_last_line() -> None:
    state = fresh(Phase.REGISTERING)
    assert feed(state, ":irc.test CAP * LS * :a b") == []
    assert feed(state, ":irc.test CAP * LS :c") == [("CAP", "END")]


def test_welcome_sets_nick_server_and_phase() -> None:
    state = fresh(Phase.REGISTERING)
    feed(state, ":irc.test 001 alice_ :Welcome to the network alice_")
    assert (state.nick, state.server, state.phase) == ("alice_", "irc.test", Phase.CONNECTED)
    assert texts(state) == ["Welcome to the network alice_"]


def test_join_names_and_counts() -> None:
    state = joined()
    assert state.active.name == "#lobby" and state.active.joined
    assert state.nicks() == ["alice", "bob"]
    feed(state, ":carol!c@h JOIN #lobby")
    assert len(state.active.members) == 3
    assert texts(state)[-1] == "carol (c@h) joined #lobby"
    feed(state, ":carol!c@h QUIT :gone fishing")
    assert len(state.active.members) == 2
    assert texts(state)[-1] == "carol quit (gone fishing)"


def test_nick_change_of_someone_else_and_of_me() -> None:
    state = joined()
    feed(state, ":bob!b@h NICK robert")
    assert "robert" in state.nicks() and texts(state)[-1] == "bob is now known as robert"
    feed(state, ":alice!a@h NICK alicia")
    assert state.nick == "alicia"


def test_room_message_and_mention() -> None:
    state = joined()
    feed(state, ":bob!b@h PRIVMSG #lobby :hi all", ":bob!b@h PRIVMSG #lobby :alice: you there?")
    first, second = list(state.scrollback)[-2:]
    assert (first.kind, first.nick, first.text, first.mention) == (Kind.MESSAGE, "bob", "hi all", False)
    assert second.mention


def test_private_message_and_action() -> None:
    state = joined()
    feed(state, ":bob!b@h PRIVMSG alice :psst", ":bob!b@h PRIVMSG #lobby :\x01ACTION waves\x01")
    [private] = list(state.windows.find("bob").scrollback)
    assert private.kind is Kind.PRIVATE_IN and private.plain().endswith("[msg from bob] psst")
    assert private.plain(query=True).endswith("<bob> psst")
    action = list(state.scrollback)[-1]
    assert action.kind is Kind.ACTION and action.plain().endswith("* bob waves")


def test_ctcp_version_is_answered_by_notice() -> None:
    replies = feed(joined(), ":bob!b@h PRIVMSG alice :\x01VERSION\x01")
    assert replies and replies[0][:2] == ("NOTICE", "bob")


def test_nick_in_use_at_start_tries_another_and_says_so() -> None:
    state = fresh(Phase.REGISTERING)
    assert feed(state, ":irc.test 433 * alice :Nickname is already in use") == [("NICK", "alice_")]
    assert state.nick == "alice_"
    assert "alice_" in texts(state)[-1] and "in use" in texts(state)[-1]


def test_nick_in_use_later_only_says_so() -> None:
    state = joined()
    assert feed(state, ":irc.test 433 alice bob :Nickname is already in use") == []
    assert texts(state)[-1] == "Nick bob is already in use"


@pytest.mark.parametrize("nick, alt", [
    ("alice", "alice_"), ("abcdefghi", "abcdefgh1"), ("abcdefgh1", "abcdefgh2"), ("abcdefg_9", "abcdefg10"),
])
def test_alternative_nicks_fit_the_length(nick: str, alt: str) -> None:
    assert alternative_nick(nick, 9) == alt


def test_errors_are_shown_in_words() -> None:
    state = joined()
    feed(state, ":irc.test 401 alice nobody :No such nick/channel", ":irc.test 421 alice FOO :Unknown command")
    assert texts(state)[-2:] == ["No such nick or channel: nobody", "The server does not know the command FOO"]
    assert list(state.scrollback)[-1].kind is Kind.ERROR


def test_whois_is_readable() -> None:
    state = joined()
    feed(state, ":irc.test 311 alice bob b host.example * :Bob Builder",
         ":irc.test 312 alice bob irc.test :geventchat",
         ":irc.test 317 alice bob 5 1700000000 :seconds idle, signon time",
         ":irc.test 318 alice bob :End of /WHOIS list.")
    assert texts(state)[-4:-1] == ["bob is b@host.example (Bob Builder)", "bob is connected to irc.test (geventchat)",
                                   texts(state)[-2]]
    assert texts(state)[-2].startswith("bob has been idle 5 seconds, signed on ")


def test_error_line_says_why() -> None:
    state = joined()
    feed(state, "ERROR :Closing Link: 127.0.0.1 (Server shutting down)")
    assert texts(state)[-1] == "Server closed the link: Closing Link: 127.0.0.1 (Server shutting down)"


def test_no_join_after_motd_schedules_our_own() -> None:
    state = fresh()
    feed(state, ":irc.test 422 alice :MOTD File is missing")
    assert state.join_due is not None and state.join_due > NOW


def test_formatting_codes_are_stripped() -> None:
    state = joined()
    feed(state, ":bob!b@h PRIVMSG #lobby :\x02bold\x02 \x0304red\x03")
    assert texts(state)[-1] == "bold red"


@pytest.mark.parametrize("line", [
    ":x 999", ":x 311 alice", "PRIVMSG", ":x JOIN", ":x 353", "NICK", ":x 317 a b", "BATCH", "BATCH +", "BATCH -zz",
    "@batch=nope :x PRIVMSG #lobby :hi", ":x BATCH +a chathistory", ":x BATCH -a", "FAIL", "FAIL CHATHISTORY",
    "AUTHENTICATE", "AUTHENTICATE +", ":x 900", ":x 904", ":x 903", "CAP", "CAP * LS", "CAP * ACK", "CAP * NEW",
    ":x MODE", ":x MODE #lobby", ":x MODE #lobby +o", ":x MODE #lobby +ov-b", ":x KICK", ":x KICK #lobby",
    ":x PART", ":x TOPIC", ":x 332", ":x 333 a #lobby", ":x 366", ":x INVITE", ":x 005 alice PREFIX=(ov)@",
    ":x 005 alice CHANMODES= PREFIX= CHATHISTORY=x", ":x REGISTER", "@time=garbage;msgid= :b!b@h PRIVMSG #lobby :t",
    ":alice!a@h PRIVMSG", ":b!b@h PRIVMSG @#lobby :to the ops", ":b!b@h NOTICE", ":b!b@h PRIVMSG alice :\x01",
    ":x 324 alice", ":x 329 alice #lobby notanumber", ":x 341"])
def test_short_or_odd_lines_never_raise(line: str) -> None:
    feed(joined(), line)
    with_everything = joined()
    with_everything.caps = {"batch", "draft/chathistory", "echo-message", "message-tags", "server-time", "sasl"}
    feed(with_everything, ":x BATCH +h chathistory #lobby", line, "@batch=h " + line if not line.startswith("@")
         else line, ":x BATCH -h", line)
