"""The status line at every width: the connection state is the last thing to go."""

from __future__ import annotations

import pytest

from curses_client.state import ChatState, Phase
from curses_client.statusbar import render
from curses_client.wrap import text_width


def state(phase: Phase = Phase.CONNECTED, detail: str = "", waiting: int = 0) -> ChatState:
    s = ChatState(nick="alice", server="irc.example.org")
    s.room, s.phase, s.detail, s.waiting = "#lobby", phase, detail, waiting
    s.members = {"alice": "alice", "bob": "bob"}
    return s


@pytest.mark.parametrize("cols", [20, 24, 30, 40, 60, 80, 120])
def test_exact_width_and_the_state_kept(cols: int) -> None:
    bar = render(state(), cols)
    assert text_width(bar) == cols
    assert "connected" in bar


def test_what_goes_first_when_room_runs_out() -> None:
    assert render(state(), 80).rstrip() == " alice | irc.example.org | #lobby (2 users) | connected"
    assert render(state(), 40).rstrip() == " alice | #lobby (2 users) | connected"
    assert render(state(), 32).rstrip() == " alice | #lobby (2) | connected"
    assert render(state(), 20).rstrip() == " alice | connected"


def test_waiting_lines_and_disconnection_survive_narrow_screens() -> None:
    assert render(state(waiting=12), 32).rstrip() == " alice | connected | 12 waiting"
    assert render(state(waiting=12), 24).rstrip() == " connected | 12 waiting"
    bar = render(state(Phase.DISCONNECTED, "retrying in 4s"), 80)
    assert "disconnected, retrying in 4s" in bar
    assert render(state(Phase.DISCONNECTED, "retrying in 4s"), 22).rstrip() == " alice | disconnected"
    assert render(state(Phase.DISCONNECTED, "retrying in 4s"), 20).rstrip() == " disconnected"
    assert render(state(Phase.CONNECTING), 21).rstrip() == " alice | connecting…"


def test_a_question_takes_the_whole_line() -> None:
    bar = render(state(), 40, question="Paste 35 lines? y/Enter: send them")
    assert bar.rstrip() == " Paste 35 lines? y/Enter: send them" and text_width(bar) == 40
