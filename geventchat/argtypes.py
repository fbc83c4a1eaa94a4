"""argparse value types shared by chat-server and chat-client: one wording for each usage error."""

from __future__ import annotations

import argparse
import re
from typing import Callable, TypeVar

Number = TypeVar("Number", int, float)

FORBIDDEN_IN_ROOM = " ,\x07\r\n\0"


def _number(kind: Callable[[str], Number], zero_allowed: bool) -> Callable[[str], Number]:
    def convert(text: str) -> Number:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0 or (value == 0 and not zero_allowed):
            raise argparse.ArgumentTypeError(f"must be {'0 or more' if zero_allowed else 'greater than 0'}: {text!r}")
        return value

    convert.__name__ = getattr(kind, "__name__", "number")
    return convert


def positive(kind: Callable[[str], Number]) -> Callable[[str], Number]:
    """A number greater than 0 (a limit, a count, a number of seconds)."""
    return _number(kind, zero_allowed=False)


def not_negative(kind: Callable[[str], Number]) -> Callable[[str], Number]:
    """A number of 0 or more (a duration or a count where 0 turns something off)."""
    return _number(kind, zero_allowed=True)


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


count = positive(int)
"""A count or a size: a whole number greater than 0."""

seconds = positive(float)
"""A duration in seconds, greater than 0."""


def server_name(text: str) -> str:
    """A server name as it appears in prefixes: no spaces, no prefix punctuation."""
    if not text or len(text) > 63 or any(c in text for c in " !@:*,\r\n\0"):
        raise argparse.ArgumentTypeError(f"not a server name (like irc.example.org): {text!r}")
    return text


def cidr(text: str) -> str:
    """An address or a network in CIDR form (10.0.0.0/8, ::1)."""
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an address or CIDR: {text!r}") from None
    return text


ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?\Z|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?\Z")


def origin(text: str) -> str:
    """A web origin as a browser sends it (scheme://host[:port], no path), or * for any."""
    value = text.strip().rstrip("/").lower()
    if value != "*" and not ORIGIN.match(value):
        raise argparse.ArgumentTypeError(f"not a web origin (like https://chat.example.org or "
                                         f"http://localhost:8080): {text!r}")
    return value


NODE_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
"""Node names go into Redis keys and uids: keep them to a safe alphabet."""


def node_name(text: str) -> str:
    if not NODE_NAME.match(text):
        raise argparse.ArgumentTypeError(f"node names use letters, digits, '.', '_' and '-': {text!r}")
    return text


OPER_NAME = re.compile(r"[A-Za-z0-9._-]{1,32}\Z")


def oper(text: str) -> str:
    """`NAME:HASH`: an operator's name and the argon2 hash of its password (never the password itself)."""
    name, _, hashed = text.partition(":")
    if not OPER_NAME.match(name) or not hashed.startswith("$argon2"):
        raise argparse.ArgumentTypeError(
            "an operator is NAME:HASH, the hash printed by `chat-server mkpasswd` (starts with $argon2)")
    return text


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def log_level(text: str) -> str:
    level = text.upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"not a log level ({', '.join(LOG_LEVELS)}): {text!r}")
    return level


LOG_FORMATS = ("text", "json")


def log_format(text: str) -> str:
    value = text.lower()
    if value not in LOG_FORMATS:
        raise argparse.ArgumentTypeError(f"not a log format ({', '.join(LOG_FORMATS)}): {text!r}")
    return value


def choice(*choices: str) -> Callable[[str], str]:
    """One of a few words."""

    def convert(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(f"choose one of {', '.join(choices)}: {text!r}")
        return text

    convert.__name__ = "choice"
    return convert


def default_data_dir() -> str:
    """$XDG_DATA_HOME/geventchat, else ~/.local/share/geventchat: the usual place for a user's data."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "geventchat")


def lobby(text: str) -> str | None:
    """The lobby's channel name, or `none` for no lobby."""
    if text == "none":
        return None
    return room("#", "channel")(text)
