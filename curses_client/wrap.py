"""Cut styled text into screen rows by terminal cell width, with a hanging indent.

Widths come from wcwidth, the same tables terminals and pyte use: a CJK
character or an emoji takes two cells, a combining mark none (it stays with
the character before it), a tab TAB_CELLS spaces (pasted code keeps its
indentation), any other control character is shown as `?` so it can never
move the cursor.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from wcwidth import wcwidth

Segment = tuple[str, str]
"""(text, style name); the view maps style names to curses attributes."""

Row = list[Segment]

TAB_CELLS = 4
"""Cells a tab takes on screen (drawn as spaces: the terminal's own tab stops would move the cursor)."""


def char_width(char: str) -> int:
    """Cells one character takes: 0 (combining), 1 or 2; a tab TAB_CELLS; other controls 1 (`?`)."""
    if char == "\t":
        return TAB_CELLS
    width = wcwidth(char)
    return 1 if width < 0 else width


def printable(text: str) -> str:
    """Replace control characters but tab (they would move the terminal's cursor) with `?`."""
    if text.isprintable():
        return text
    return "".join("?" if c != "\t" and unicodedata.category(c) == "Cc" else c for c in text)


def text_width(text: str) -> int:
    """Cells a string takes on screen."""
    return sum(char_width(c) for c in text)


def clusters(text: str) -> list[tuple[str, int]]:
    """Split text into (characters as drawn, width) cells: a base character with its zero-width followers.

    A tab is drawn as TAB_CELLS spaces.
    """
    out: list[tuple[str, int]] = []
    for char in text:
        width = char_width(char)
        if char == "\t":
            out.append((" " * TAB_CELLS, TAB_CELLS))
        elif width == 0 and out:
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

    `indent` is also the width of the line's head (time and nick): the first
    row never breaks inside it. A row breaks after its last space when the
    word that follows fits on a continuation row; a word too long for any
    row is cut where the row ends instead, so it never leaves a near-empty
    row behind. The indent is capped at half the width so a narrow screen
    still shows text.
    """
    width = max(1, width)
    head = max(0, indent)
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
            end = _break(cells, start, end, head if first else 0, width - indent)
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


def _break(cells: list[_Cell], start: int, end: int, head: int, next_room: int) -> int:
    """Where a full row ends: after its last space outside the head, unless the word after it is too
    long for the next row anyway (then the row is filled and the word cut)."""
    for k in range(end, start, -1):
        if cells[k - 1].chars != " ":
            continue
        if k - 1 - start < head:
            break  # only spaces inside the head are left
        word = 0
        j = k
        while j < len(cells) and cells[j].chars != " ":
            word += cells[j].width
            j += 1
        return k if word <= next_room else end
    return end


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
