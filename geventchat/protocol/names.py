"""Nicknames under rfc1459 casemapping: `{}|^` are the lower case of `[]\\~`."""

from __future__ import annotations

import re

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\~"
_LOWER = "abcdefghijklmnopqrstuvwxyz{}|^"
_FOLD = str.maketrans(_UPPER, _LOWER)

_NICK_RE = re.compile(r"[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]*\Z")


def casefold(name: str) -> str:
    """Fold a nick or channel name so that equal names under rfc1459 compare equal."""
    return name.translate(_FOLD)


def valid_nick(nick: str, nicklen: int) -> bool:
    """A nick starts with a letter or special, continues with those, digits and `-`."""
    return 0 < len(nick) <= nicklen and _NICK_RE.match(nick) is not None
