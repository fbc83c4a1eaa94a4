"""Curses drawing: the output pane, the status bar and the input line.

Thin on purpose: it asks the scrollback for rows and the editor for the
visible input, and maps style names to attributes. One full draw per loop
turn; curses sends the terminal only the cells that changed.
"""

from __future__ import annotations

import curses
import zlib

from geventchat.protocol.names import casefold

from . import statusbar
from .editor import LineEditor
from .state import ChatState
from .wrap import Row, fit, text_width

MIN_COLS = 20
MIN_ROWS = 4

_PALETTE = (curses.COLOR_GREEN, curses.COLOR_YELLOW, curses.COLOR_BLUE, curses.COLOR_MAGENTA,
            curses.COLOR_CYAN, curses.COLOR_RED)
_NICK_COLOURS = 5  # the first five: red is kept for errors


class View:
    def __init__(self, screen: "curses.window") -> None:
        self.screen = screen
        self.pairs: dict[int, int] = {}
        if curses.has_colors():
            curses.start_color()
            try:
                curses.use_default_colors()
                background = -1
            except curses.error:
                background = curses.COLOR_BLACK
            for number, colour in enumerate(_PALETTE, start=1):
                curses.init_pair(number, colour, background)
                self.pairs[colour] = curses.color_pair(number)

    # --- geometry ----------------------------------------------------------
    def size(self) -> tuple[int, int]:
        rows, cols = self.screen.getmaxyx()
        return rows, cols

    def pane(self) -> tuple[int, int]:
        """(width, height) of the output pane."""
        rows, cols = self.size()
        return cols, max(0, rows - 2)

    def too_small(self) -> bool:
        rows, cols = self.size()
        return rows < MIN_ROWS or cols < MIN_COLS

    # --- drawing -----------------------------------------------------------
    def draw(self, state: ChatState, editor: LineEditor, question: str | None = None) -> None:
        """The whole screen; `question` (a paste to confirm) takes the status line."""
        self.screen.erase()
        rows, cols = self.size()
        if self.too_small():
            self._too_small(rows, cols)
        else:
            width, height = self.pane()
            visible = state.scrollback.visible(width, height)
            top = height - len(visible)
            for y, row in enumerate(visible, start=top):
                self._row(y, row, state)
            self._put(rows - 2, 0, statusbar.render(state, cols, question),
                      curses.A_REVERSE | (curses.A_BOLD if question else 0))
            self._input(rows - 1, cols, state, editor)
        self.screen.refresh()

    def _too_small(self, rows: int, cols: int) -> None:
        words = ["Terminal", "too", "small:", f"{cols}x{rows},", "need", f"{MIN_COLS}x{MIN_ROWS}"]
        y, line = 0, ""
        for word in words:  # wrap the notice into whatever space there is
            if line and text_width(line + " " + word) > cols:
                self._put(y, 0, fit(line, cols), curses.A_BOLD)
                y, line = y + 1, word
            else:
                line = f"{line} {word}".strip()
        if y < rows:
            self._put(y, 0, fit(line, cols), curses.A_BOLD)
        self.screen.move(0, 0)

    def _row(self, y: int, row: Row, state: ChatState) -> None:
        x = 0
        for text, style in row:
            self._put(y, x, text, self._attr(style, state))
            x += text_width(text)

    def _input(self, y: int, cols: int, state: ChatState, editor: LineEditor) -> None:
        prompt = f"[{state.room or state.nick}] "
        if text_width(prompt) > cols // 3:
            prompt = "> "  # a narrow screen keeps its columns for the text
        px = text_width(prompt)
        shown, cursor = editor.window(cols - px)
        self._put(y, 0, prompt, curses.A_BOLD)
        self._put(y, px, shown, curses.A_NORMAL)
        try:
            self.screen.move(y, min(cols - 1, px + cursor))
        except curses.error:
            pass

    def _put(self, y: int, x: int, text: str, attr: int) -> None:
        try:
            self.screen.addstr(y, x, text, attr)
        except curses.error:
            pass  # writing the bottom-right cell moves the cursor off screen; the text is there
        except UnicodeEncodeError:
            # A locale that cannot show the character (LANG=C over ssh): show `?` instead of failing.
            encoding = self.screen.encoding or "ascii"
            self._put(y, x, text.encode(encoding, "replace").decode(encoding), attr)

    def _attr(self, style: str, state: ChatState) -> int:
        if style.startswith("nick:"):
            nick = style[5:]
            colour = _PALETTE[zlib.crc32(casefold(nick).encode()) % _NICK_COLOURS]
            attr = self.pairs.get(colour, 0)
            return attr | curses.A_BOLD if state.is_me(nick) else attr
        if style == "own":
            return curses.A_BOLD
        if style == "mention":
            return curses.A_BOLD | self.pairs.get(curses.COLOR_YELLOW, curses.A_REVERSE)
        if style == "private":
            return curses.A_BOLD | self.pairs.get(curses.COLOR_MAGENTA, 0)
        if style == "waiting":
            return curses.A_BOLD | self.pairs.get(curses.COLOR_YELLOW, 0)
        if style in ("status", "notice", "time"):
            return curses.A_DIM if style != "time" else curses.A_NORMAL
        if style == "error":
            return curses.A_BOLD | self.pairs.get(curses.COLOR_RED, 0)
        return curses.A_NORMAL
