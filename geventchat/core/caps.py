"""IRCv3 capabilities: which the server offers, and how each changes what a client is sent.

A client's *view* is a small bit set of the capabilities that change the
bytes of a relayed line (tags it may see, an extended JOIN) or whether it
gets a line at all (AWAY, SETNAME notifications). The bus keeps channel
members grouped by view, and a line is serialised once per view present.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .sasl import MECHANISMS

if TYPE_CHECKING:
    from .chat import Chat
    from .session import Session

# view bits
TIME = 1 << 0  # server-time: the `time` tag
TAGS = 1 << 1  # message-tags: msgid, client-only tags, TAGMSG
ACCOUNT_TAG = 1 << 2  # account-tag: the `account` tag
EXTENDED_JOIN = 1 << 3  # extended-join: JOIN carries account and real name
AWAY_NOTIFY = 1 << 4  # away-notify: AWAY lines about others
SETNAME = 1 << 5  # setname: SETNAME lines about others
ACCOUNT_NOTIFY = 1 << 6  # account-notify: ACCOUNT lines about others
REDACTION = 1 << 7  # draft/message-redaction: REDACT lines
INVITE_NOTIFY = 1 << 8  # invite-notify: INVITE lines to a channel's operators
# not capabilities but the transport's framing: each line a WebSocket message, framed once
# per view like the tags, since a server frame is the same bytes for all (bits kept far above
# the capabilities', which grow)
WS_TEXT = 1 << 24  # text.ircv3.net (or no subprotocol): text messages
WS_BINARY = 1 << 25  # binary.ircv3.net: binary messages
FRAMING = WS_TEXT | WS_BINARY

VIEW_BITS = {
    "server-time": TIME,
    "message-tags": TAGS,
    "account-tag": ACCOUNT_TAG,
    "extended-join": EXTENDED_JOIN,
    "away-notify": AWAY_NOTIFY,
    "setname": SETNAME,
    "account-notify": ACCOUNT_NOTIFY,
    "draft/message-redaction": REDACTION,
    "invite-notify": INVITE_NOTIFY,
}

TAG_BITS = {"time": TIME, "account": ACCOUNT_TAG}
"""The one capability that shows each server tag; any other tag needs message-tags."""

PLAIN_CAPS = (
    "message-tags",
    "server-time",
    "echo-message",
    "batch",
    "labeled-response",
    "cap-notify",
    "multi-prefix",
    "userhost-in-names",
    "away-notify",
    "extended-join",
    "invite-notify",
    "setname",
    "standard-replies",
)
"""Capabilities that need no value and are always on offer, in the order CAP LS lists them."""

ACCOUNT_CAPS = ("account-notify", "account-tag")
"""Offered with the accounts, before `sasl` and `draft/account-registration`, which carry values."""

HISTORY_CAPS = ("draft/chathistory", "draft/event-playback", "draft/message-redaction", "draft/read-marker")
"""Offered while the server keeps history."""


def view_of(caps: set[str]) -> int:
    view = 0
    for cap in caps:
        view |= VIEW_BITS.get(cap, 0)
    return view


def offered(chat: Chat, session: Session) -> dict[str, str]:
    """What CAP LS lists for this client: name -> value ("" for none), in order."""
    caps = dict.fromkeys(PLAIN_CAPS, "")
    caps.update(dict.fromkeys(ACCOUNT_CAPS, ""))
    caps["sasl"] = ",".join(MECHANISMS)
    caps["draft/account-registration"] = "before-connect"
    if chat.history is not None:
        caps.update(dict.fromkeys(HISTORY_CAPS, ""))
    sts = chat.sts_policy(session)
    if sts:
        caps["sts"] = sts
    return caps
