"""Cut styled text into screen rows by terminal cell width, with a hanging indent.

Widths come from wcwidth, the same tables terminals and pyte use: a CJK
character or an emoji takes two cells, a combining mark none (it stays with
the character before it), a control character is shown as `?` so it can
never move the cursor.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from wcwidth import wcwidth

Segment = tuple[str, str]
"""(text, style name); the view maps style names to curses attributes."""

Row = list[Segment]


def char_width(char: str) -> int:
    """Cells one character takes: 0 (combining), 1 or 2; control characters count as 1 (`?`)."""
    width = wcwidth(char)
    return 1 if width < 0 else width


def printable(text: str) -> str:
    """Replace control characters (they would move the terminal's cursor) with `?`."""
    if text.isprintable():
        return text
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in text)


def text_width(text: str) -> int:
    """Cells a string takes on screen."""
    return sum(char_width(c) for c in text)


def clusters(text: str) -> list[tuple[str, int]]:
    """Split text into (characters, width) cells: a base character with its zero-width followers."""
    out: list[tuple[str, int]] = []
    for char in text:
        width = char_width(char)
        if width == 0 and out:
            chars, w = out[-1]
            out[-1] = (chars + char, w)
        else:
            out.append((char, width))
    return out


def fit(text: str, width: int) -> str:
    """The longest prefix of `text` that fits in `width` cells (a wide character never split)."""
    used = 0
    out = []
    for chars, w in clusters(text):
        if used + w > width:
            break
        out.append(chars)
        used += w
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _Cell:
    chars: str
    width: int
    style: str


def wrap(segments: list[Segment], width: int, indent: int = 0) -> list[Row]:
    """Rows of at most `width` cells; continuation rows start with `indent` spaces.

    Breaks after a space when the row has one past its indent, else mid-word.
    The indent is capped at half the width so a narrow screen still shows text.
    """
    width = max(1, width)
    indent = max(0, min(indent, width // 2))
    cells = [_Cell(chars, w, style) for text, style in segments for chars, w in clusters(printable(text))]
    rows: list[Row] = []
    start = 0
    first = True
    while start < len(cells) or first:
        room = width if first else width - indent
        used = 0
        end = start
        while end < len(cells) and used + cells[end].width <= room:
            used += cells[end].width
            end += 1
        if end < len(cells) and end > start:
            # Prefer breaking after the last space in this row.
            for k in range(end, start, -1):
                if cells[k - 1].chars == " ":
                    end = k
                    break
        if end == start and start < len(cells):
            end = start + 1  # a cell wider than the row: place it anyway
        row = _join(cells[start:end])
        if not first and indent:
            row.insert(0, (" " * indent, "plain"))
        rows.append(row)
        start = end
        first = False
        # Spaces that end up starting a continuation row are dropped.
        while start < len(cells) and cells[start].chars == " " and start > 0:
            start += 1
    return rows


def _join(cells: list[_Cell]) -> Row:
    row: Row = []
    for cell in cells:
        if row and row[-1][1] == cell.style:
            row[-1] = (row[-1][0] + cell.chars, cell.style)
        else:
            row.append((cell.chars, cell.style))
    return row


def row_text(row: Row) -> str:
    return "".join(text for text, _ in row)
