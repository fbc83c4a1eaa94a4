"""Split a byte stream into lines, bounded: an overlong line is never kept.

CRLF, LF alone and CR alone all end a line. A line longer than the limit is
reported once as TOO_LONG and its bytes are skipped up to its line ending,
however long it runs, so the buffer never holds more than one limit's worth.
The limits are those of IRCv3 message tags: a tag section of up to 4094
bytes of tag data, then the line itself, still up to 512 bytes with CRLF.
"""

from __future__ import annotations

from .message import MAX_INPUT, MAX_LINE, MAX_TAGS_CLIENT


class TooLong:
    """Marker yielded in place of a line that passed the length limit."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "TOO_LONG"


TOO_LONG = TooLong()


def too_long(line: bytes) -> bool:
    """Past 510 bytes: a line without tags is too long; one with tags only if a part is.

    Works on an unfinished line too: its parts only grow.
    """
    if line[:1] != b"@":
        return True
    space = line.find(b" ")
    if space < 0:
        return len(line) - 1 > MAX_TAGS_CLIENT
    return space - 1 > MAX_TAGS_CLIENT or len(line) - space - 1 > MAX_LINE - 2


class LineBuffer:
    __slots__ = ("_partial", "_skipping", "limit")

    def __init__(self, limit: int = MAX_INPUT) -> None:
        self.limit = limit  # bytes, line ending included
        self._partial = b""
        self._skipping = False

    def feed(self, data: bytes) -> list[bytes | TooLong]:
        """Add received bytes; return the complete lines (no line ending), in order.

        Empty lines are dropped (a CRLF split across two reads shows up as one).
        """
        if self._partial:
            data = self._partial + data
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = data.split(b"\n")
        partial = lines.pop()
        out: list[bytes | TooLong] = []
        body_limit = self.limit - 2
        for line in lines:
            if self._skipping:
                self._skipping = False
                continue
            if len(line) > MAX_LINE - 2 and (len(line) > body_limit or too_long(line)):
                out.append(TOO_LONG)
            elif line:
                out.append(line)
        if len(partial) > MAX_LINE - 2 and (len(partial) > body_limit or too_long(partial)):
            if not self._skipping:
                out.append(TOO_LONG)
                self._skipping = True
            partial = b""
        self._partial = partial
        return out

    @property
    def pending(self) -> int:
        """Bytes held of an unfinished line."""
        return len(self._partial)
