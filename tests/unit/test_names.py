"""Nicknames: rfc1459 casemapping and the nick grammar (PROTOCOL.md, Identity)."""

import pytest

from geventchat.protocol.names import casefold, valid_nick


def test_rfc1459_casefold():
    assert casefold("Alice[]\\~") == "alice{}|^"
    assert casefold("NICK") == casefold("nick")


@pytest.mark.parametrize("nick", ["a", "alice", "[bot]", "`x", "_u_", "^^", "{a}|b", "a-1", "abcdefghi"])
def test_valid(nick):
    assert valid_nick(nick, 9)


@pytest.mark.parametrize("nick", ["", "1abc", "-a", "a b", "a!b", "a@b", "a,b", "#chan", ":a", "abcdefghij", "é", "a\0"])
def test_invalid(nick):
    assert not valid_nick(nick, 9)
