"""CAP: IRCv3 capability negotiation (LS, LIST, REQ, END), version 302 included."""

from __future__ import annotations

from ...protocol import numerics as N
from ...protocol.message import Message
from ..caps import offered
from ..context import Context, IrcError

CAP_VERSION = 302


def cap(ctx: Context, msg: Message) -> None:
    """CAP LS [302] | CAP LIST | CAP REQ :<caps> | CAP END

    While negotiation runs registration waits, so a client that opens with
    `CAP LS 302` always gets its answer first. With 302 the caps carry their
    values and a long list comes in several lines, all but the last marked `*`;
    302 also turns cap-notify on, as the specification says.
    """
    session = ctx.session
    sub = msg.param(0).upper()
    if sub == "LS":
        if not session.registered:
            session.cap_negotiating = True
        version = msg.param(1)
        if version.isdigit() and int(version) >= CAP_VERSION:
            session.cap_version = max(session.cap_version, CAP_VERSION)
            session.caps.add("cap-notify")
        caps = offered(ctx.chat, session)
        with_values = session.cap_version >= CAP_VERSION
        words = [f"{name}={value}" if value and with_values else name for name, value in caps.items()]
        _list(ctx, "LS", words, multiline=with_values)
    elif sub == "LIST":
        _list(ctx, "LIST", sorted(session.caps), multiline=session.cap_version >= CAP_VERSION)
    elif sub == "REQ":
        if not session.registered:
            session.cap_negotiating = True
        wanted = msg.param(1)
        changes = [(name.startswith("-"), name.lstrip("-")) for name in wanted.split()]
        known = offered(ctx.chat, session)
        if not changes or any(name not in known for _, name in changes):
            ctx.send("CAP", session.name, "NAK", wanted)
            return
        for removing, name in changes:
            (session.caps.discard if removing else session.caps.add)(name)
        ctx.chat.caps_changed(session)
        ctx.send("CAP", session.name, "ACK", wanted)
    elif sub == "END":
        session.cap_negotiating = False
    else:
        raise IrcError(N.ERR_INVALIDCAPCMD, sub or "*", "Invalid CAP command")


def _list(ctx: Context, sub: str, words: list[str], multiline: bool) -> None:
    """`CAP <nick> LS|LIST [*] :<words>`, split on word boundaries to fit 512 bytes a line."""
    name = ctx.session.name
    budget = ctx.outbox.room_left("CAP", name, sub, "*")
    lines: list[list[str]] = [[]]
    used = -1
    for word in words:
        used += len(word.encode()) + 1
        if used > budget and lines[-1] and multiline:
            lines.append([])
            used = len(word.encode())
        lines[-1].append(word)
    for line in lines[:-1]:
        ctx.send("CAP", name, sub, "*", " ".join(line))
    ctx.send("CAP", name, sub, " ".join(lines[-1]))
