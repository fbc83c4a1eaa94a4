"""Decoding what terminals send: every key of every TERM, pastes, cut-off sequences, unknown ones."""

from __future__ import annotations

import pytest

from curses_client.editor import LineEditor
from curses_client.keys import action_for
from curses_client.termkeys import Key, KeyDecoder, Paste, Text, Unknown, key_from_label
from tests.support.keyseqs import SEQUENCES, UNKNOWN

CASES = [(term, label, seq) for term, table in SEQUENCES.items() for label, seq in table]


@pytest.mark.parametrize("term, label, seq", CASES, ids=[f"{t}-{l}-{s!r}" for t, l, s in CASES])
def test_every_sequence_of_every_terminal(term: str, label: str, seq: bytes) -> None:
    decoder = KeyDecoder()
    assert decoder.feed(seq + b"x", 0.0) == [key_from_label(label), Text("x")]


@pytest.mark.parametrize("seq", UNKNOWN)
def test_unknown_sequences_are_swallowed_whole(seq: bytes) -> None:
    events = KeyDecoder().feed(b"a" + seq + b"b", 0.0)
    assert events == [Text("a"), Unknown(seq), Text("b")]


def test_terminfo_comes_first() -> None:
    # vt100's terminfo calls ESC O t F5, where the table would read it as the keypad's 4.
    assert KeyDecoder().feed(b"\x1bOt", 0.0) == [Text("4")]
    decoder = KeyDecoder({b"\x1bOt": Key("f5")})
    assert decoder.feed(b"\x1bOt", 0.0) == [Key("f5")]


def test_a_sequence_cut_between_reads_waits_for_its_end() -> None:
    decoder = KeyDecoder()
    assert decoder.feed(b"\x1b[1;", 0.0) == []
    assert decoder.feed(b"5D", 0.01) == [Key("left", ctrl=True)]
    assert decoder.feed("漢".encode()[:2], 0.0) == []
    assert decoder.feed("漢".encode()[2:], 0.0) == [Text("漢")]


def test_a_lone_escape_is_the_escape_key_after_the_delay() -> None:
    decoder = KeyDecoder(delay=0.05)
    assert decoder.feed(b"\x1b", 1.0) == []
    assert decoder.deadline() == pytest.approx(1.05)
    assert decoder.expire(1.01) == []
    assert decoder.expire(1.06) == [Key("escape")]
    assert decoder.deadline() is None


def test_a_half_sequence_that_never_ends_is_dropped() -> None:
    decoder = KeyDecoder()
    decoder.feed(b"\x1b[1;5", 0.0)
    assert decoder.expire(1.0) == [Unknown(b"\x1b[1;5")]
    assert decoder.feed(b"ok", 1.0) == [Text("ok")]


def test_bracketed_paste_keeps_tabs_and_lines_across_reads() -> None:
    decoder = KeyDecoder()
    assert decoder.feed(b"\x1b[200~def f():\r\n\treturn 1\r", 0.0) == []
    assert decoder.feed(b"\n\x1b[20", 0.0) == []
    assert decoder.feed(b"1~after", 0.0) == [Paste("def f():\n\treturn 1\n"), Text("after")]


def test_paste_markers_without_a_start_never_become_text() -> None:
    assert KeyDecoder().feed(b"\x1b[201~", 0.0) == [Unknown(b"\x1b[201~")]


def test_control_characters_and_latin1() -> None:
    events = KeyDecoder().feed(b"\x01\x17\t\r\xe9!", 0.0)
    assert events == [Key("char", ctrl=True, char="a"), Key("char", ctrl=True, char="w"), Key("tab"),
                      Key("enter"), Text("é!")]


@pytest.mark.parametrize("label, action", [
    ("left", "left"), ("shift+left", "left"), ("ctrl+left", "word_left"), ("alt+b", "word_left"),
    ("alt+f", "word_right"), ("alt+d", "kill_word_after"), ("alt+backspace", "kill_word_back"),
    ("home", "home"), ("shift+home", "home"), ("ctrl+home", "top"), ("f5", "ignore"), ("insert", "ignore"),
    ("shift+tab", "ignore"), ("ctrl+w", "kill_word"), ("escape", "cancel"), ("alt+x", "ignore"),
])
def test_actions(label: str, action: str) -> None:
    assert action_for(key_from_label(label)) == action


def editor(marked: str) -> LineEditor:
    return LineEditor(text=marked.replace("|", ""), cursor=marked.index("|"))


@pytest.mark.parametrize("start, action, end", [
    ("hello wor|ld", "word_left", "hello |world"),
    ("hello |world", "word_left", "|hello world"),
    ("hel|lo world", "word_right", "hello| world"),
    ("hello| world", "word_right", "hello world|"),
    ("cd /usr/lo|cal", "kill_word_back", "cd /usr/|cal"),
    ("hello |world", "kill_word_back", "|world"),
    ("|hello world", "kill_word_after", "| world"),
    ("hello| world", "kill_word_after", "hello|"),
])
def test_word_moves_and_kills(start: str, action: str, end: str) -> None:
    ed = editor(start)
    getattr(ed, action)()
    assert ed.marked() == end


def test_a_paste_is_typed_text_with_tabs_and_lines() -> None:
    ed = editor("say: |!")
    assert ed.insert_paste("one\n\ttwo\nthr\x1bee") == ["say: one", "\ttwo"]
    assert ed.marked() == "three|!"
    assert ed.insert_paste("\ta\tb") == []
    assert ed.marked() == "three\ta\tb|!"
