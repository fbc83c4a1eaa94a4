"""A paste of many lines waits for the user's word; no curses.

A paste is typed text with its newlines: each line is sent as chat text
(never as a command). More lines than the limit (`--paste-lines`) first put
a question on the status line: send them, send them as one joined line, or
cancel.
"""

from __future__ import annotations

from dataclasses import dataclass


def line_count(text: str) -> int:
    """Lines in a paste; a final newline does not start another."""
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def joined(text: str) -> str:
    """The paste as one line: its non-blank lines, stripped of line ends, joined by a space."""
    return " ".join(line.strip(" \r") for line in text.split("\n") if line.strip())


@dataclass
class PendingPaste:
    text: str
    lines: int
    truncated: bool = False

    def question(self) -> str:
        cut = " (cut short: too long)" if self.truncated else ""
        return (f"Paste {self.lines} lines{cut}? y/Enter: send them, j: send as one line, "
                "n/Esc: cancel")


ANSWERS = {"y": "send", "Y": "send", "j": "join", "J": "join", "n": "cancel", "N": "cancel"}
"""Typed answers to the question; Enter sends and Escape cancels too."""
