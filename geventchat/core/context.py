"""What a command handler gets: the chat, the client, the time; and how it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..protocol.message import format_line
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


@dataclass(slots=True)
class Context:
    chat: Chat
    session: Session
    now: float

    def reply(self, numeric: str, *params: str) -> None:
        """Send a numeric from the server to this client."""
        self.session.send(
            format_line(numeric, self.session.name, *params, prefix=self.chat.config.server_name)
        )

    def send(self, command: str, *params: str, prefix: str | None = None) -> None:
        """Send any line to this client (prefix defaults to the server)."""
        self.session.send(format_line(command, *params, prefix=prefix or self.chat.config.server_name))
