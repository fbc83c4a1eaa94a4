"""Server addresses as typed: host, host:port, [IPv6]:port, bare IPv6; and printed back the same way."""

from __future__ import annotations

import pytest

from curses_client.address import AddressError, format_address, split_address


@pytest.mark.parametrize("text, parsed", [
    ("127.0.0.1", ("127.0.0.1", None)),
    ("irc.example.org", ("irc.example.org", None)),
    ("irc.example.org:6697", ("irc.example.org", 6697)),
    ("127.0.0.1:25565", ("127.0.0.1", 25565)),
    ("[::1]:25565", ("::1", 25565)),
    ("[::1]", ("::1", None)),
    ("::1", ("::1", None)),
    ("2001:db8::7", ("2001:db8::7", None)),
    ("[fe80::1%eth0]:6667", ("fe80::1%eth0", 6667)),
])
def test_split(text: str, parsed: tuple) -> None:
    assert split_address(text) == parsed


@pytest.mark.parametrize("text, says", [
    ("", "empty"),
    ("host:", "port must be a number"),
    ("host:http", "port must be a number"),
    ("host:70000", "port must be a number"),
    (":6667", "host is missing"),
    ("[::1", "closing ']'"),
    ("[::1]6667", "only ':port'"),
    ("[nonsense]:1", "not an IPv6 address"),
    ("a:b:c", "not an IPv6 address"),
])
def test_mistakes_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(AddressError, match=says):
        split_address(text)


def test_ipv6_is_printed_in_brackets() -> None:
    assert format_address("::1", 25565) == "[::1]:25565"
    assert format_address("127.0.0.1", 25565) == "127.0.0.1:25565"
    assert format_address("irc.example.org", 6697) == "irc.example.org:6697"
