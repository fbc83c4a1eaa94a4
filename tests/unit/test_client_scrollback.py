"""Scrollback: bounded, paging by screens, and new output never yanks the reader down."""

from __future__ import annotations

from curses_client.state import SCROLLBACK_LINES, Kind, Line, Scrollback
from curses_client.wrap import row_text


def filled(count: int, limit: int = SCROLLBACK_LINES) -> Scrollback:
    back = Scrollback(limit)
    for i in range(count):
        back.add(Line(0.0, Kind.MESSAGE, f"msg {i:03}", "bob"))
    return back


def shown(back: Scrollback, width: int = 40, height: int = 5) -> list[str]:
    return [row_text(r).split("> ", 1)[1] for r in back.visible(width, height)]


def test_keeps_ten_thousand_lines_and_forgets_older() -> None:
    back = filled(SCROLLBACK_LINES + 5)
    assert len(back) == SCROLLBACK_LINES
    assert back.line(back.first).text == "msg 005"


def test_follows_the_end_by_default() -> None:
    back = filled(20)
    assert shown(back) == [f"msg {i:03}" for i in range(15, 20)]


def test_page_up_and_down_overlap_by_one_line() -> None:
    back = filled(20)
    back.page_up(40, 5)
    assert shown(back) == [f"msg {i:03}" for i in range(11, 16)]
    back.page_down(40, 5)
    assert back.following
    assert shown(back)[-1] == "msg 019"


def test_page_up_stops_at_the_oldest_line() -> None:
    back = filled(8)
    for _ in range(5):
        back.page_up(40, 5)
    assert shown(back) == [f"msg {i:03}" for i in range(5)]


def test_new_output_does_not_move_a_reader_and_is_counted() -> None:
    back = filled(20)
    back.page_up(40, 5)
    before = shown(back)
    for i in range(3):
        back.add(Line(0.0, Kind.MESSAGE, f"new {i}", "bob"))
    assert shown(back) == before
    assert back.unseen == 3
    back.end()
    assert back.following and back.unseen == 0
    assert shown(back)[-1] == "new 2"


def test_home_shows_the_first_lines() -> None:
    back = filled(50)
    back.home(40, 5)
    assert shown(back) == [f"msg {i:03}" for i in range(5)]


def test_wrapped_lines_count_by_rows() -> None:
    back = Scrollback()
    back.add(Line(0.0, Kind.MESSAGE, "word " * 20, "bob"))
    rows = back.visible(20, 100)
    assert len(rows) > 3
    assert all(r[0][0].startswith(" ") for r in rows[1:])  # hanging indent
