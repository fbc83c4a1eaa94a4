"""argparse value types shared by chat-server and chat-client: one wording for each usage error."""

from __future__ import annotations

import argparse
from typing import Callable, TypeVar

Number = TypeVar("Number", int, float)

FORBIDDEN_IN_ROOM = " ,\x07\r\n\0"


def positive(kind: Callable[[str], Number]) -> Callable[[str], Number]:
    """A number greater than 0 (a limit, a count, a number of seconds)."""

    def convert(text: str) -> Number:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
        return value

    convert.__name__ = getattr(kind, "__name__", "number")
    return convert


def port(lowest: int) -> Callable[[str], int]:
    """A TCP port from `lowest` (0 lets a server pick a free one) to 65535."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
        if not lowest <= value <= 65535:
            raise argparse.ArgumentTypeError(f"port must be {lowest}-65535: {text!r}")
        return value

    convert.__name__ = "port"
    return convert


def room(prefixes: str, what: str) -> Callable[[str], str]:
    """A channel name starting with one of `prefixes`, without separators or control bytes."""

    def convert(text: str) -> str:
        if text[:1] not in prefixes or len(text) < 2 or any(c in text for c in FORBIDDEN_IN_ROOM):
            raise argparse.ArgumentTypeError(f"not a {what} name (like '#lobby'): {text!r}")
        return text

    convert.__name__ = what
    return convert
