"""Rows by cell width: wide characters, combining marks, hanging indent."""

from __future__ import annotations

from curses_client.wrap import fit, printable, row_text, text_width, wrap


def texts(rows) -> list[str]:
    return [row_text(r) for r in rows]


def test_widths() -> None:
    assert text_width("abc") == 3
    assert text_width("漢字") == 4
    assert text_width("e\u0301") == 1
    assert text_width("😀") == 2


def test_short_line_is_one_row() -> None:
    assert texts(wrap([("hello", "plain")], 20)) == ["hello"]


def test_breaks_at_spaces_with_hanging_indent() -> None:
    rows = wrap([("12:00 <bob> ", "plain"), ("one two three four five", "plain")], 24, indent=12)
    assert [r.rstrip() for r in texts(rows)] == ["12:00 <bob> one two", "            three four", "            five"]


def test_long_word_is_cut() -> None:
    assert texts(wrap([("abcdefghij", "plain")], 4)) == ["abcd", "efgh", "ij"]


def test_wide_characters_never_split_or_overflow() -> None:
    rows = texts(wrap([("漢字漢字漢", "plain")], 5))
    assert rows == ["漢字", "漢字", "漢"]
    assert all(text_width(r) <= 5 for r in rows)


def test_combining_mark_stays_with_its_letter() -> None:
    rows = texts(wrap([("abe\u0301cd", "plain")], 3))
    assert rows == ["abe\u0301", "cd"]


def test_styles_are_kept_per_segment() -> None:
    rows = wrap([("<", "plain"), ("bob", "nick:bob"), ("> hi", "plain")], 40)
    assert rows == [[("<", "plain"), ("bob", "nick:bob"), ("> hi", "plain")]]


def test_indent_is_capped_on_narrow_screens() -> None:
    rows = texts(wrap([("x" * 30, "plain")], 10, indent=8))
    assert rows[1].startswith("     x")


def test_control_characters_cannot_reach_the_terminal() -> None:
    assert printable("a\x1b[2Jb\x07") == "a?[2Jb?"


def test_fit() -> None:
    assert fit("漢字abc", 3) == "漢"
    assert fit("abc", 10) == "abc"


def test_a_long_word_fills_the_row_after_the_nick_instead_of_leaving_it_empty() -> None:
    head = [("12:00 <bob> ", "plain")]
    rows = texts(wrap(head + [("x" * 50, "plain")], 30, indent=12))
    assert rows[0] == "12:00 <bob> " + "x" * 18
    rows = texts(wrap(head + [("see " + "y" * 50, "plain")], 30, indent=12))
    assert rows[0] == "12:00 <bob> see " + "y" * 14


def test_a_word_that_fits_the_next_row_still_moves_there_whole() -> None:
    rows = texts(wrap([("12:00 <bob> ", "plain"), ("aaa bbbbbbbbbbbbbbbb", "plain")], 30, indent=12))
    assert [r.rstrip() for r in rows] == ["12:00 <bob> aaa", " " * 12 + "bbbbbbbbbbbbbbbb"]


def test_tabs_are_kept_as_spaces_of_their_own() -> None:
    assert printable("a\tb") == "a\tb"
    assert text_width("\t") == 4
    assert texts(wrap([("a\tb", "plain")], 20)) == ["a    b"]
