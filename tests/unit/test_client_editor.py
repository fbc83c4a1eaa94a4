"""The input line as strings with the cursor marked: `foo ba|r`."""

from __future__ import annotations

import pytest

from curses_client.editor import LineEditor


def editor(marked: str) -> LineEditor:
    text = marked.replace("|", "")
    return LineEditor(text=text, cursor=marked.index("|"))


@pytest.mark.parametrize("start, action, end", [
    ("foo|", "left", "fo|o"),
    ("|foo", "left", "|foo"),
    ("f|oo", "right", "fo|o"),
    ("foo|", "right", "foo|"),
    ("foo b|ar", "home", "|foo bar"),
    ("f|oo bar", "end", "foo bar|"),
    ("foo|", "backspace", "fo|"),
    ("|foo", "backspace", "|foo"),
    ("f|oo", "delete", "f|o"),
    ("foo|", "delete", "foo|"),
    ("foo b|ar", "kill_before", "|ar"),
    ("foo b|ar", "kill_after", "foo b|"),
    ("foo bar|", "kill_word", "foo |"),
    ("foo bar  |", "kill_word", "foo |"),
    ("foo ba|r", "kill_word", "foo |r"),
    ("e\u0301|", "backspace", "|"),          # a combining mark goes with its letter
    ("e\u0301|x", "left", "|e\u0301x"),
    ("|e\u0301x", "right", "e\u0301|x"),
])
def test_editing_keys(start: str, action: str, end: str) -> None:
    ed = editor(start)
    getattr(ed, action)()
    assert ed.marked() == end


def test_insert_in_the_middle() -> None:
    ed = editor("helo| world")
    ed.left()
    ed.insert("l")
    assert ed.marked() == "hell|o world"
    ed.insert("漢字")
    assert ed.marked() == "hell漢字|o world"


def test_history_up_down_keeps_the_draft() -> None:
    ed = LineEditor()
    for line in ("first", "second"):
        ed.insert(line)
        assert ed.submit() == line
    ed.insert("draft")
    ed.up()
    assert ed.marked() == "second|"
    ed.up()
    assert ed.marked() == "first|"
    ed.up()
    assert ed.marked() == "first|"
    ed.down()
    ed.down()
    assert ed.marked() == "draft|"


def test_submit_skips_blank_and_repeated_lines_in_history() -> None:
    ed = LineEditor()
    for line in ("a", "a", "  ", "b"):
        ed.insert(line)
        ed.submit()
    assert ed.history == ["a", "b"]


def test_tab_completes_and_cycles() -> None:
    nicks = ["alice", "Albert", "bob"]
    ed = editor("al|")
    assert ed.complete(nicks)
    assert ed.marked() == "Albert: |"
    ed.complete(nicks)
    assert ed.marked() == "alice: |"
    ed.complete(nicks)
    assert ed.marked() == "Albert: |"


def test_tab_mid_line_adds_a_space_and_keeps_the_rest() -> None:
    ed = editor("hi b| there")
    assert ed.complete(["bob"])
    assert ed.marked() == "hi bob | there"


def test_tab_without_match_changes_nothing() -> None:
    ed = editor("zz|")
    assert not ed.complete(["bob"])
    assert ed.marked() == "zz|"


def test_window_scrolls_horizontally_to_keep_the_cursor() -> None:
    ed = LineEditor()
    ed.insert("abcdefghijklmnopqrstuvwxyz")
    shown, x = ed.window(10)
    assert shown == "rstuvwxyz" and x == 9
    ed.home()
    shown, x = ed.window(10)
    assert shown == "abcdefghij" and x == 0


def test_window_counts_wide_characters_as_two_cells() -> None:
    ed = LineEditor()
    ed.insert("漢字ab")
    shown, x = ed.window(20)
    assert shown == "漢字ab" and x == 6
