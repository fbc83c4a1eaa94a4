"""The status line at every width: the connection state is the last thing to go; the act list."""

from __future__ import annotations

import pytest

from curses_client.state import ChatState, Phase
from curses_client.statusbar import render, text
from curses_client.wrap import text_width
from tests.support.client_state import feed


def state(phase: Phase = Phase.CONNECTED, detail: str = "", waiting: int = 0) -> ChatState:
    s = ChatState(nick="alice", server="irc.example.org")
    s.motd_done = True
    feed(s, ":alice!a@h JOIN #lobby", ":irc.example.org 353 alice = #lobby :alice bob",
         ":irc.example.org 366 alice #lobby :End")
    s.phase, s.detail, s.waiting = phase, detail, waiting
    return s


@pytest.mark.parametrize("cols", [20, 24, 30, 40, 60, 80, 120])
def test_exact_width_and_the_state_kept(cols: int) -> None:
    bar = text(state(), cols)
    assert text_width(bar) == cols
    assert "connected" in bar


def test_what_goes_first_when_room_runs_out() -> None:
    assert text(state(), 80).rstrip() == " alice | irc.example.org | 2:#lobby (2 users) | connected"
    assert text(state(), 42).rstrip() == " alice | 2:#lobby (2 users) | connected"
    assert text(state(), 34).rstrip() == " alice | 2:#lobby (2) | connected"
    assert text(state(), 20).rstrip() == " alice | connected"


def test_waiting_lines_and_disconnection_survive_narrow_screens() -> None:
    assert text(state(waiting=12), 32).rstrip() == " alice | connected | 12 waiting"
    assert text(state(waiting=12), 24).rstrip() == " connected | 12 waiting"
    bar = text(state(Phase.DISCONNECTED, "retrying in 4s"), 80)
    assert "disconnected, retrying in 4s" in bar
    assert text(state(Phase.DISCONNECTED, "retrying in 4s"), 22).rstrip() == " alice | disconnected"
    assert text(state(Phase.DISCONNECTED, "retrying in 4s"), 20).rstrip() == " disconnected"
    assert text(state(Phase.CONNECTING), 21).rstrip() == " alice | connecting…"


def test_a_question_takes_the_whole_line() -> None:
    bar = text(state(), 40, question="Paste 35 lines? y/Enter: send them")
    assert bar.rstrip() == " Paste 35 lines? y/Enter: send them" and text_width(bar) == 40


def test_the_act_list_marks_events_messages_and_mentions() -> None:
    s = state()
    feed(s, ":alice!a@h JOIN #dev", ":alice!a@h JOIN #ops")   # joined by the server: #lobby stays on screen
    assert s.active.name == "#lobby"
    feed(s, ":bob!b@h JOIN #dev", ":carol!c@h PRIVMSG #ops :hello ops", ":dan!d@h PRIVMSG alice :psst")
    bar = text(s, 120)
    assert bar.rstrip().endswith("| Act: 3:#dev 4:#ops* 5:dan!"), bar
    assert text(s, 60).rstrip().endswith("| Act: 3,4*,5!")
    styles = {piece: style for piece, style in render(s, 60)}
    assert styles["4*"] == "act:message" and styles["5!"] == "act:mention" and styles["3"] == "act:event"
    feed(s, ":carol!c@h PRIVMSG #dev :alice: look")     # a mention raises #dev's mark
    assert text(s, 60).rstrip().endswith("Act: 3!,4*,5!")
    s.windows.show_number(3)
    assert text(s, 80).rstrip().endswith("| 3:#dev (2 users) | connected | Act: 4:#ops* 5:dan!")


def test_the_account_and_a_window_not_joined() -> None:
    s = state()
    s.account = "alice"
    assert text(s, 80).startswith(" alice (alice) | irc.example.org | 2:#lobby")
    feed(s, ":op!o@h KICK #lobby alice :out")
    assert "2:#lobby (not joined)" in text(s, 80)
