"""REHASH: running the server from inside the chat, for operators."""

from __future__ import annotations

from ...protocol import numerics as N
from ...protocol.message import Message
from ..context import Context, Fail, IrcError

NOT_OPERATOR = "Permission Denied- You're not an IRC operator"


def rehash(ctx: Context, msg: Message) -> None:
    """REHASH

    Read the config file again and apply what can change while the server
    runs, as SIGHUP does: 382 when it applied (a NOTICE says what changed and
    what waits for a restart), `FAIL REHASH INVALID_CONFIG` with the reason
    when the file is bad (then nothing changed). Operators only: 481 for
    anyone else.
    """
    chat = ctx.chat
    if not chat.is_operator(ctx.session):
        raise IrcError(N.ERR_NOPRIVILEGES, NOT_OPERATOR)
    if chat.reload is None:
        raise Fail("REHASH", "CANNOT_RELOAD", "This server cannot reload its configuration")
    result = chat.reload()
    if not result.ok:
        raise Fail("REHASH", "INVALID_CONFIG", f"Nothing changed: {result.summary}")
    ctx.reply(N.RPL_REHASHING, result.source or "*", "Rehashing")
    ctx.send("NOTICE", ctx.session.name, f"Rehash: {result.summary}")
