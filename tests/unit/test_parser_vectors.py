"""The shared IRC parser test vectors (irc-parser-tests, msg-split), run through our parser.

Tags are skipped by this server's parser (no message-tags capability is
offered), and verbs are upper-cased, so those are compared accordingly.
"""

import pytest
from parser_tests.data import msg_split

from geventchat.protocol.message import parse

CASES = msg_split["tests"]


@pytest.mark.parametrize("case", CASES, ids=[c["input"][:40] for c in CASES])
def test_msg_split_vector(case):
    atoms = case["atoms"]
    msg = parse(case["input"].encode())
    assert msg.command == atoms["verb"].upper()
    assert msg.prefix == atoms.get("source")
    assert list(msg.params) == atoms.get("params", [])
