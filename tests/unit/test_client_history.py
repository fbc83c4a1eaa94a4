"""History and echo as transcripts: what the client asks for, and where the answers land, once each."""

from __future__ import annotations

import time

from curses_client import history, talk
from curses_client.backlog import format_time
from curses_client.scrollback import Line
from curses_client.state import ChatState, Kind, Phase, Settings
from tests.support.client_state import NOW, feed

T = format_time(NOW - 3600)   # an hour ago


def texts(state: ChatState, name: str = "#lobby") -> list[str]:
    return [line.text for line in state.windows.find(name).scrollback]


def with_caps(**settings) -> ChatState:
    state = ChatState(nick="alice", server="irc.test", settings=Settings(**settings))
    assert feed(state, ":irc.test CAP * LS :batch draft/chathistory echo-message message-tags server-time") == [
        ("CAP", "REQ", "message-tags server-time batch echo-message draft/chathistory")]
    assert feed(state, ":irc.test CAP * ACK :message-tags server-time batch echo-message draft/chathistory") == [
        ("CAP", "END")]
    feed(state, ":irc.test 001 alice :Welcome", ":irc.test 005 alice CHATHISTORY=50 :are supported",
         ":irc.test 422 alice :No MOTD")
    return state


def said(n: int, who: str = "bob", target: str = "#lobby") -> str:
    stamp = format_time(NOW - 3600 + n)
    return f"@batch=h;msgid=m{n};time={stamp} :{who}!b@h PRIVMSG {target} :line {n}"


def answer(*lines: str, target: str = "#lobby") -> tuple[str, ...]:
    return (f":irc.test BATCH +h chathistory {target}", *lines, ":irc.test BATCH -h")


def test_joining_asks_for_the_latest_and_history_lands_before_live_lines() -> None:
    state = with_caps(history_lines=100)
    assert feed(state, ":alice!a@h JOIN #lobby") == [("CHATHISTORY", "LATEST", "#lobby", "*", "50")]
    feed(state, "@msgid=m3 :bob!b@h PRIVMSG #lobby :line 3",        # live, while the answer is on its way
         ":irc.test 353 alice = #lobby :alice bob", ":irc.test 366 alice #lobby :End")
    assert texts(state) == []                                         # held
    feed(state, *answer(said(1), said(2), said(3)))
    # line 3 came live after our JOIN: it stays after the marker, and is not repeated from history.
    assert texts(state) == ["line 1", "line 2", "End of history; live from here",
                            "You joined #lobby", "line 3", "2 in #lobby: alice bob"]
    lines = list(state.windows.find("#lobby").scrollback)
    assert lines[0].history and lines[0].when == NOW - 3600 + 1 and lines[2].kind is Kind.MARKER
    assert state.windows.find("#lobby").backlog.exhausted      # 3 of 50: nothing older


def test_joining_again_asks_for_what_came_after_and_pages_until_caught_up() -> None:
    state = with_caps(history_catchup=5)
    feed(state, ":alice!a@h JOIN #lobby", *answer(said(1), said(2)))
    history.connection_lost(state)
    state.caps, state.features.chathistory = {"batch", "draft/chathistory", "message-tags"}, 2
    assert feed(state, ":alice!a@h JOIN #lobby") == [("CHATHISTORY", "AFTER", "#lobby", "msgid=m2", "2")]
    assert feed(state, *answer(said(3), said(4))) == [("CHATHISTORY", "AFTER", "#lobby", "msgid=m4", "2")]
    assert feed(state, *answer(said(5))) == []
    assert texts(state)[-4:] == ["line 4", "line 5",
                                 "End of what was said while you were away (3 lines); live from here",
                                 "You joined #lobby"]
    assert texts(state).count("line 2") == 1


def test_an_unknown_msgid_is_asked_again_by_its_time() -> None:
    state = with_caps()
    feed(state, ":alice!a@h JOIN #lobby", *answer(said(1)))
    history.connection_lost(state)
    feed(state, ":alice!a@h JOIN #lobby")
    assert feed(state, *answer()) == [("CHATHISTORY", "AFTER", "#lobby", f"timestamp={format_time(NOW - 3599)}",
                                       "50")]
    feed(state, *answer(said(1), said(2)))   # the seam overlaps: shown once
    assert texts(state).count("line 1") == 1 and "line 2" in texts(state)


def test_pageup_at_the_top_asks_for_older_lines_and_they_go_in_front() -> None:
    state = with_caps(history_lines=2)
    feed(state, ":alice!a@h JOIN #lobby", *answer(said(8), said(9)))
    window = state.windows.find("#lobby")
    assert history.older(state, window, NOW) == [("CHATHISTORY", "BEFORE", "#lobby", "msgid=m8", "2")]
    assert history.older(state, window, NOW) == []                  # one at a time
    assert history.loading(window)
    feed(state, *answer(said(6), said(7)))
    assert texts(state)[:4] == ["line 6", "line 7", "line 8", "line 9"]
    assert history.older(state, window, NOW) == [("CHATHISTORY", "BEFORE", "#lobby", "msgid=m6", "2")]
    feed(state, *answer(said(5)))
    assert texts(state)[:2] == ["Beginning of the history of #lobby on the server", "line 5"]
    assert history.older(state, window, NOW) == []                  # nothing older


def test_a_failed_request_lets_the_live_lines_through() -> None:
    state = with_caps()
    feed(state, ":alice!a@h JOIN #lobby", "@msgid=x :bob!b@h PRIVMSG #lobby :live")
    feed(state, ":irc.test FAIL CHATHISTORY MESSAGE_ERROR LATEST #lobby :The history store failed")
    assert texts(state) == ["You joined #lobby", "live",
                            "History not available: The history store failed"]


def test_own_lines_are_confirmed_by_their_echo_or_flagged() -> None:
    state = with_caps(echo_timeout=10)
    feed(state, ":alice!a@h JOIN #lobby", *answer())
    mine = Line(NOW, Kind.MESSAGE, "hello", "alice", own=True)
    state.windows.find("#lobby").add(mine)
    talk.await_echo(state, "#lobby", "hello", mine, NOW)
    assert mine.pending and mine.plain().startswith("sent  <alice> hello")
    feed(state, "@msgid=e1 :alice!a@h PRIVMSG #lobby :hello")
    assert not mine.pending and texts(state).count("hello") == 1
    assert state.windows.find("#lobby").backlog.known("e1")
    other = Line(NOW, Kind.MESSAGE, "anyone?", "alice", own=True)
    state.windows.find("#lobby").add(other)
    talk.await_echo(state, "#lobby", "anyone?", other, NOW)
    talk.expire_echoes(state, NOW + 11)
    assert other.unconfirmed and other.plain().endswith("anyone? (not confirmed by the server)")


def test_a_line_whose_echo_the_lost_connection_took_is_confirmed_by_history() -> None:
    state = with_caps()
    feed(state, ":alice!a@h JOIN #lobby", *answer(said(1)))
    mine = Line(NOW, Kind.MESSAGE, "line 2", "alice", own=True)
    state.windows.find("#lobby").add(mine)
    talk.await_echo(state, "#lobby", "line 2", mine, NOW)
    unheard = Line(NOW, Kind.MESSAGE, "never arrived", "alice", own=True)
    state.windows.find("#lobby").add(unheard)
    talk.await_echo(state, "#lobby", "never arrived", unheard, NOW)
    history.connection_lost(state)
    feed(state, ":alice!a@h JOIN #lobby", *answer(said(2, who="alice"), said(3)))
    assert not mine.pending and not mine.unconfirmed and texts(state).count("line 2") == 1
    assert unheard.unconfirmed


def test_history_from_another_day_shows_its_date() -> None:
    old = Line(time.time() - 3 * 86400, Kind.MESSAGE, "long ago", "bob", history=True)
    assert old.clock() == time.strftime("%b %d %H:%M", time.localtime(old.when))
    assert Line(time.time(), Kind.MESSAGE, "now", "bob", history=True).clock() == time.strftime("%H:%M")


def test_without_the_capabilities_nothing_is_asked() -> None:
    state = ChatState(nick="alice", server="irc.test")
    state.phase = Phase.CONNECTED
    assert feed(state, ":irc.test CAP * LS :multi-prefix") == [("CAP", "REQ", "multi-prefix")]
    feed(state, ":irc.test CAP * ACK :multi-prefix")
    assert feed(state, ":alice!a@h JOIN #lobby") == []
    assert texts(state) == ["You joined #lobby"]


def test_without_history_a_line_whose_echo_was_lost_is_flagged_on_reconnect() -> None:
    state = ChatState(nick="alice", server="irc.test")
    feed(state, ":irc.test CAP * LS :echo-message", ":irc.test CAP * ACK :echo-message",
         ":irc.test 001 alice :Welcome", ":irc.test 422 alice :No MOTD", ":alice!a@h JOIN #lobby")
    mine = Line(NOW, Kind.MESSAGE, "into the void", "alice", own=True)
    state.windows.find("#lobby").add(mine)
    talk.await_echo(state, "#lobby", "into the void", mine, NOW)
    history.connection_lost(state)
    state.caps = {"echo-message"}
    feed(state, ":irc.test 001 alice :Welcome", ":irc.test 422 alice :No MOTD")
    assert mine.unconfirmed and not state.lost_echoes


def test_a_slow_answer_stops_holding_live_lines_after_the_wait() -> None:
    state = with_caps(history_wait=5)
    feed(state, ":alice!a@h JOIN #lobby", "@msgid=x :bob!b@h PRIVMSG #lobby :live")
    history.expire(state, NOW + 4)
    assert texts(state) == []
    history.expire(state, NOW + 5)
    assert texts(state) == ["You joined #lobby", "live"]
    feed(state, *answer(said(1)))          # late: it still lands, after what is shown
    assert texts(state) == ["You joined #lobby", "live", "line 1", "End of history; live from here"]
