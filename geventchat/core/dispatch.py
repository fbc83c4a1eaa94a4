"""One command table and the checks every command shares, written once.

451 before registration, 461 for missing parameters, 421 for unknown verbs,
IrcError -> numeric, Fail -> FAIL, and finishing registration when NICK, USER and CAP
negotiation are all done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..protocol import numerics as N
from ..protocol.message import Message
from .context import Context, Fail, IrcError

Handler = Callable[[Context, Message], None]


@dataclass(frozen=True, slots=True)
class Command:
    handler: Handler
    min_params: int = 0
    before_registration: bool = False


def run(ctx: Context, msg: Message, commands: dict[str, Command]) -> None:
    session = ctx.session
    command = commands.get(msg.command)
    try:
        if command is None:
            if session.registered:
                raise IrcError(N.ERR_UNKNOWNCOMMAND, msg.command, "Unknown command")
            raise IrcError(N.ERR_NOTREGISTERED, "You have not registered")
        if not session.registered and not command.before_registration:
            raise IrcError(N.ERR_NOTREGISTERED, "You have not registered")
        if len(msg.params) < command.min_params:
            raise IrcError(N.ERR_NEEDMOREPARAMS, msg.command, "Not enough parameters")
        command.handler(ctx, msg)
    except IrcError as error:
        ctx.reply(error.numeric, *error.params)
    except Fail as failure:
        ctx.outbox.fail(session, failure.command, failure.code, *failure.context)
    if (
        session.closed is None
        and not session.registered
        and session.nick is not None
        and session.username is not None
        and not session.cap_negotiating
    ):
        ctx.chat.register(session, ctx.now)
