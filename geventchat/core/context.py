"""What a command handler gets: the chat, the client, the time; and how it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .outbox import Outbox
from .session import Session

if TYPE_CHECKING:
    from .chat import Chat


class IrcError(Exception):
    """A protocol error: dispatch answers it with the numeric, addressed to the client.

    `params` are what follows the client's name, the last one being the text.
    """

    def __init__(self, numeric: str, *params: str) -> None:
        super().__init__(numeric, *params)
        self.numeric = numeric
        self.params = params


class Fail(Exception):
    """A standard reply: dispatch answers `FAIL <command> <code> [<context>...] :<description>`."""

    def __init__(self, command: str, code: str, *context: str) -> None:
        super().__init__(command, code, *context)
        self.command = command
        self.code = code
        self.context = context


@dataclass(slots=True)
class Context:
    chat: Chat
    session: Session
    now: float

    @property
    def outbox(self) -> Outbox:
        return self.chat.outbox

    def reply(self, numeric: str, *params: str) -> None:
        """Send a numeric from the server to this client."""
        self.chat.outbox.numeric(self.session, numeric, *params)

    def send(self, command: str, *params: str) -> None:
        """Send a line from the server to this client (NOTICE, PONG, CAP ...)."""
        self.chat.outbox.server_says(self.session, command, *params)
