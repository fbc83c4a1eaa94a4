"""History and echo as transcripts: what the client asks for, and where the answers land, once each."""

from __future__ import annotations

import time

from curses_client import history, talk
from curses_client.backlog import format_time
from curses_client.scrollback import Line
from curses_client.state import Activity, ChatState, Kind, Phase, Settings, WindowKind
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


# --- private conversations found again: CHATHISTORY TARGETS ---------------------

DAY = 86_400


def logged_in(*welcome: str, now: float = NOW, **settings) -> tuple[ChatState, list[tuple[str, ...]]]:
    """A client logged in with SASL before registration ends; also what it sends at the end of the welcome."""
    state = ChatState(nick="alice", server="irc.test", settings=Settings(**settings))
    feed(state, ":irc.test CAP * LS :batch draft/chathistory echo-message message-tags server-time",
         ":irc.test CAP * ACK :message-tags server-time batch echo-message draft/chathistory")
    return state, register(state, *welcome, now=now)


def register(state: ChatState, *welcome: str, now: float = NOW) -> list[tuple[str, ...]]:
    """Registration as the server runs it, the SASL login first (the session resets these on each connect)."""
    state.phase, state.motd_done, state.account = Phase.REGISTERING, False, None
    return feed(state, ":irc.test 900 alice alice!a@h alice :You are now logged in as alice",
                ":irc.test 001 alice :Welcome", ":irc.test 005 alice CHATHISTORY=100 :are supported", *welcome,
                ":irc.test 422 alice :No MOTD", now=now)


def targets_asked(start: float, end: float, limit: int = 50) -> list[tuple[str, ...]]:
    """The TARGETS request for a span, its end first: past the limit the most lately active are kept."""
    return [("CHATHISTORY", "TARGETS", f"timestamp={format_time(end)}", f"timestamp={format_time(start)}",
             str(limit))]


def targets(*names: str) -> tuple[str, ...]:
    """A TARGETS answer naming these targets, each with a line a minute ago."""
    stamp = format_time(NOW - 60)
    return (":irc.test BATCH +t draft/chathistory-targets",
            *(f"@batch=t :irc.test CHATHISTORY TARGETS {name} timestamp={stamp}" for name in names),
            ":irc.test BATCH -t")


def status_texts(state: ChatState) -> list[str]:
    return [line.text for line in state.windows.status.scrollback]


def test_logged_in_the_first_connection_asks_which_conversations_had_lines_in_the_last_day() -> None:
    """TARGETS is asked once registered and logged in: from --history-dm-days back to the server's time now
    and a little slack, at most --history-dm-max conversations."""
    _, sent = logged_in(history_dm_max=30)
    assert sent == targets_asked(NOW - DAY, NOW + history.CLOCK_SLACK, 30)
    _, sent = logged_in(history_dm_days=0.5)
    assert sent == targets_asked(NOW - DAY / 2, NOW + history.CLOCK_SLACK)
    _, sent = logged_in(history_dm_days=0)
    assert sent == []


def test_the_span_is_on_the_servers_clock() -> None:
    """The end of the span is the server's time of the line that ends the welcome, not the local clock."""
    state = ChatState(nick="alice", server="irc.test")
    feed(state, ":irc.test CAP * LS :batch draft/chathistory server-time",
         ":irc.test CAP * ACK :batch draft/chathistory server-time")
    server_now = NOW + 300
    sent = feed(state, ":irc.test 900 alice alice!a@h alice :You are now logged in as alice",
                ":irc.test 001 alice :Welcome",
                f"@time={format_time(server_now)} :irc.test 422 alice :No MOTD")
    assert sent == targets_asked(server_now - DAY, server_now + history.CLOCK_SLACK)


def test_not_logged_in_or_without_history_nothing_is_asked() -> None:
    """No account, or a server without draft/chathistory: no TARGETS, and the requests are the channel's own."""
    state = with_caps()
    assert feed(state, ":alice!a@h JOIN #lobby") == [("CHATHISTORY", "LATEST", "#lobby", "*", "50")]
    assert list(state.history_asked) == [history.Asked("#lobby", "LATEST", 50)]   # no TARGETS among them
    plain = ChatState(nick="alice", server="irc.test")
    feed(plain, ":irc.test CAP * LS :sasl multi-prefix", ":irc.test CAP * ACK :multi-prefix")
    assert feed(plain, ":irc.test 900 alice alice!a@h alice :You are now logged in as alice",
                ":irc.test 001 alice :Welcome", ":irc.test 422 alice :No MOTD") == []
    assert not plain.history_asked


def test_a_login_after_the_welcome_asks_then() -> None:
    """/identify later: the 900 that says so asks, once for the connection."""
    state = with_caps()
    assert feed(state, ":irc.test 900 alice alice!a@h alice :You are now logged in as alice") == targets_asked(
        NOW - DAY, NOW + history.CLOCK_SLACK)
    assert feed(state, ":irc.test 900 alice alice!a@h alice :You are now logged in as alice") == []


def test_of_a_channel_and_a_nick_only_the_nick_is_asked_for_and_its_window_filled_and_marked() -> None:
    """Channels in the answer are left to their JOIN; a nick gets a window, its LATEST lines with their
    own times, and the mark a new private message gives."""
    state, _ = logged_in()
    status_before = len(state.windows.status.scrollback)
    assert feed(state, *targets("#lobby", "bob")) == [("CHATHISTORY", "LATEST", "bob", "*", "100")]
    assert state.windows.find("#lobby") is None
    assert len(state.windows.status.scrollback) == status_before   # the TARGETS lines are not shown as such
    bob = state.windows.find("bob")
    assert bob is not None and bob.kind is WindowKind.QUERY and texts(state, "bob") == []
    assert list(state.history_asked) == [history.Asked("bob", "LATEST", 100)]
    feed(state, *answer(said(1, who="bob", target="alice"), said(2, who="alice", target="bob"),
                        said(3, who="bob", target="alice"), target="bob"))
    assert texts(state, "bob") == ["line 1", "line 2", "line 3", "End of history; live from here"]
    lines = list(bob.scrollback)
    assert lines[0].history and lines[0].when == NOW - 3600 + 1 and lines[0].kind is Kind.PRIVATE_IN
    assert lines[1].own
    assert bob.activity is Activity.MENTION        # as a new private message marks it
    assert (state.windows.number(bob), bob) in state.windows.act_list()
    assert not state.history_asked


def test_a_conversation_with_only_my_own_lines_opens_unmarked() -> None:
    """My own lines are no news: the window opens, and the act list does not list it."""
    state, _ = logged_in()
    feed(state, *targets("carol"), *answer(said(1, who="alice", target="carol"), target="carol"))
    assert texts(state, "carol") == ["line 1", "End of history; live from here"]
    assert state.windows.find("carol").activity is Activity.NONE


def test_a_private_line_that_comes_live_while_its_history_is_on_the_way_lands_after_it_once() -> None:
    """A live line waits for the conversation's history and comes after it, not repeated from it."""
    state, _ = logged_in()
    feed(state, *targets("bob"), said(2, who="bob", target="alice").replace("batch=h;", ""))
    assert texts(state, "bob") == []                         # held until the history is in
    feed(state, *answer(said(1, who="bob", target="alice"), said(2, who="bob", target="alice"), target="bob"))
    assert texts(state, "bob") == ["line 1", "End of history; live from here", "line 2"]


def test_after_a_reconnect_an_open_conversation_asks_for_what_came_after_its_newest_line() -> None:
    """The span starts at the server's time of the last line seen before the link was lost; a window
    that is open already is caught up AFTER its newest line, each line once."""
    state, _ = logged_in()
    feed(state, *targets())                                  # nothing in the last day
    last_seen = NOW - 3600 + 7
    feed(state, said(7, who="bob", target="alice").replace("batch=h;", ""))
    assert texts(state, "bob") == ["line 7"]
    history.connection_lost(state)
    later = NOW + 600
    assert register(state, now=later) == targets_asked(last_seen, later + history.CLOCK_SLACK)
    assert feed(state, *targets("bob"), now=later) == [("CHATHISTORY", "AFTER", "bob", "msgid=m7", "100")]
    state.windows.show(state.windows.status)
    feed(state, *answer(said(7, who="bob", target="alice"), said(8, who="bob", target="alice"), target="bob"),
         now=later)
    assert texts(state, "bob") == ["line 7", "line 8",
                                   "End of what was said while you were away (1 line); live from here"]
    assert state.windows.find("bob").activity is Activity.MENTION


def test_a_connection_lost_before_the_answer_asks_again_from_the_same_start() -> None:
    """Nothing is skipped: an unanswered TARGETS, or a reconnect attempt that never registered, leaves the
    span's start at the last line seen before the first loss."""
    state, _ = logged_in()
    feed(state, *targets())
    history.connection_lost(state)
    assert register(state, now=NOW + 60) == targets_asked(NOW, NOW + 60 + history.CLOCK_SLACK)
    history.connection_lost(state)                           # before the TARGETS answer came
    history.connection_lost(state)                           # an attempt that never registered
    assert register(state, now=NOW + 900) == targets_asked(NOW, NOW + 900 + history.CLOCK_SLACK)


def test_with_no_look_back_a_reconnect_still_catches_up() -> None:
    """--history-dm-days 0 asks nothing on the first connection, but a reconnect still asks from the last line."""
    state, sent = logged_in(history_dm_days=0)
    assert sent == []
    history.connection_lost(state)
    assert register(state, now=NOW + 60) == targets_asked(NOW, NOW + 60 + history.CLOCK_SLACK)


def test_a_failed_targets_request_is_said_and_leaves_the_other_requests_alone() -> None:
    """FAIL CHATHISTORY for TARGETS answers the TARGETS request (said in the status window), not a channel's
    request asked after it."""
    state, _ = logged_in()
    assert feed(state, ":alice!a@h JOIN #lobby") == [("CHATHISTORY", "LATEST", "#lobby", "*", "100")]
    feed(state, ":irc.test FAIL CHATHISTORY MESSAGE_ERROR TARGETS * :The history store failed")
    assert list(state.history_asked) == [history.Asked("#lobby", "LATEST", 100)]
    assert status_texts(state)[-1] == "History not available: The history store failed"
    feed(state, *answer(said(1)))
    assert "line 1" in texts(state)


def test_more_conversations_than_the_most_asked_for_is_said() -> None:
    """At most --history-dm-max conversations are asked for; an answer that full says there may be more."""
    state, sent = logged_in(history_dm_max=2)
    assert sent[0][-1] == "2"
    assert len(feed(state, *targets("bob", "carol"))) == 2
    assert status_texts(state)[-1] == ("More private conversations had lines while you were away than the 2 "
                                       "most recent fetched (--history-dm-max)")


def test_a_private_line_whose_echo_the_lost_link_took_is_confirmed_by_its_conversations_history() -> None:
    """After the reconnect a lost echo to a conversation TARGETS names waits for that history (and is
    confirmed by it, shown once); one to a conversation it does not name is flagged when the answer comes."""
    state, _ = logged_in()
    feed(state, *targets(), said(7, who="bob", target="alice").replace("batch=h;", ""))
    mine = Line(NOW, Kind.MESSAGE, "line 8", "alice", own=True)
    state.windows.find("bob").add(mine)
    talk.await_echo(state, "bob", "line 8", mine, NOW)
    lost = Line(NOW, Kind.MESSAGE, "hello carol", "alice", own=True)
    state.query("carol").add(lost)
    talk.await_echo(state, "carol", "hello carol", lost, NOW)
    history.connection_lost(state)
    register(state, now=NOW + 60)
    assert not mine.unconfirmed and not lost.unconfirmed     # not yet: the TARGETS answer may vouch for them
    assert feed(state, *targets("bob"), now=NOW + 60) == [("CHATHISTORY", "AFTER", "bob", "msgid=m7", "100")]
    assert lost.unconfirmed and not mine.unconfirmed
    feed(state, *answer(said(8, who="alice", target="bob"), target="bob"), now=NOW + 60)
    assert not mine.pending and not mine.unconfirmed
    assert texts(state, "bob").count("line 8") == 1


def test_pageup_in_a_private_window_asks_for_older_lines_only_when_logged_in() -> None:
    """The server keeps private lines between accounts: PageUp in a conversation pages back once logged in,
    and asks nothing of a server that keeps none for a client without an account."""
    state, _ = logged_in(history_lines=2, history_dm_days=0)
    feed(state, "@msgid=m9;time=" + format_time(NOW - 10) + " :bob!b@h PRIVMSG alice :live line")
    window = state.windows.find("bob")
    assert window is not None and window.kind is WindowKind.QUERY
    assert history.older(state, window, NOW) == [("CHATHISTORY", "BEFORE", "bob", "msgid=m9", "2")]
    feed(state, *answer(said(7, target="alice"), said(8, target="alice"), target="bob"))
    assert [line.text for line in window.scrollback][:3] == ["line 7", "line 8", "live line"]
    guest = with_caps(history_lines=2)
    feed(guest, "@msgid=m9 :bob!b@h PRIVMSG alice :live line")
    assert history.older(guest, guest.windows.find("bob"), NOW) == []
