"""The shared IRC parser test vectors (irc-parser-tests msg-split and msg-join), run through our parser.

Verbs are upper-cased by this server's parser, so they are compared accordingly;
tags are kept, unescaped, as IRCv3 message-tags says.
"""

import pytest
from parser_tests.data import msg_join, msg_split

from geventchat.protocol.message import format_line, parse

CASES = msg_split["tests"]
JOINS = [case for case in msg_join["tests"] if case["atoms"].get("tags")]


@pytest.mark.parametrize("case", CASES, ids=[c["input"][:40] for c in CASES])
def test_msg_split_vector(case):
    atoms = case["atoms"]
    msg = parse(case["input"].encode())
    assert msg.command == atoms["verb"].upper()
    assert msg.prefix == atoms.get("source")
    assert list(msg.params) == atoms.get("params", [])
    assert (msg.tags or {}) == atoms.get("tags", {})


@pytest.mark.parametrize("case", JOINS, ids=[c["desc"][:40] for c in JOINS])
def test_msg_join_vector_tags_survive_a_round_trip(case):
    """Tags we format (escaped) parse back to the same values."""
    atoms = case["atoms"]
    line = format_line(atoms["verb"], *atoms.get("params", []), prefix=atoms.get("source"), tags=atoms["tags"])
    assert parse(line[:-2]).tags == {key: value or "" for key, value in atoms["tags"].items()}
