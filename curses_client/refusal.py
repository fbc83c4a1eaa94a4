"""Why a server sent us away, and whether trying again soon could help.

A server explains a refusal in its ERROR line (`Closing Link: host (reason)`).
Some reasons do not go away by retrying every few seconds: a ban, a full
server, too many connections from this host, a port that is not IRC at all.
For those the reconnect loop stops, or waits minutes, and says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from geventchat.protocol.message import ParseError, parse


class Retry(str, Enum):
    SOON = "soon"      # the usual backoff: the server restarts, the network comes back
    LATER = "later"    # minutes: a full server, too many connections from this host
    NEVER = "never"    # until the user asks (/reconnect): banned, not IRC, a refused certificate


@dataclass(frozen=True)
class Refusal:
    reason: str
    retry: Retry


_NEVER = re.compile(r"\b(banned|[kgzd]-?lined?|not welcome|not authori[sz]ed|no authorization|"
                    r"access denied)\b", re.IGNORECASE)
_LATER = re.compile(r"too many (host |user |local |global )?connections|server is full|"
                    r"no more connections|too many clients|throttled|reconnecting too fast|"
                    r"session limit", re.IGNORECASE)
_CLOSING = re.compile(r"^Closing Link:?\s*\S*\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)


def closing_reason(text: str) -> str:
    """`Closing Link: 127.0.0.1 (Server is full)` -> `Server is full`; other texts unchanged."""
    match = _CLOSING.match(text.strip())
    return match.group(1).strip() if match else text.strip()


def judge_error(text: str) -> Refusal:
    """What an ERROR line's text means for reconnecting."""
    reason = closing_reason(text)
    if _NEVER.search(reason):
        return Refusal(reason, Retry.NEVER)
    if _LATER.search(reason):
        return Refusal(reason, Retry.LATER)
    return Refusal(reason, Retry.SOON)


_IRC_COMMAND = re.compile(r"^([A-Z]+|\d{3})$")


def not_irc(first: bytes) -> str | None:
    """Why the first bytes a server sent are not IRC, or None when they could be."""
    first = first.lstrip(b"\r\n")
    if not first:
        return None
    if first[:1] in (b"\x15", b"\x16") and first[1:2] == b"\x03":
        return "it answered with TLS: add --tls"
    line = first.replace(b"\r", b"\n").split(b"\n", 1)[0]
    shown = line[:40].decode("utf-8", "replace")
    if any(b < 0x20 and b not in (0x01, 0x02, 0x03, 0x09, 0x0F, 0x16, 0x1D, 0x1F) for b in line):
        return "it answered with binary data"
    if line.startswith((b"HTTP/", b"<")):
        return f"it answered like a web server ({shown!r})"
    if line.startswith(b"SSH-"):
        return f"it is an ssh server ({shown!r})"
    try:
        msg = parse(line)
    except ParseError:
        return f"it answered {shown!r}"
    if not _IRC_COMMAND.match(msg.command):
        return f"it answered {shown!r}"
    return None
