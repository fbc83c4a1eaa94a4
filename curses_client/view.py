"""Curses drawing: the window's pane, its nick list, the status bar and the input line.

Thin on purpose: it asks the scrollback of the window on screen for rows,
the status bar for styled pieces and the editor for the visible input, and
maps style names to attributes. A channel's nick list is a column on the
right when the terminal is wide enough. One full draw per loop turn;
curses sends the terminal only the cells that changed.
"""

from __future__ import annotations

import curses
import zlib

from geventchat.protocol.names import casefold

from . import statusbar
from .editor import LineEditor
from .state import ChatState, Window
from .wrap import Row, fit, text_width

MIN_COLS = 20
MIN_ROWS = 4
NICKLIST_MIN, NICKLIST_MAX = 8, 18
"""Cells a nick takes in the nick list column (beside its separator and prefix)."""

_PALETTE = (curses.COLOR_GREEN, curses.COLOR_YELLOW, curses.COLOR_BLUE, curses.COLOR_MAGENTA,
            curses.COLOR_CYAN, curses.COLOR_RED)
_NICK_COLOURS = 5  # the first five: red is kept for errors


class View:
    def __init__(self, screen: "curses.window", nicklist_cols: int = 0) -> None:
        self.screen = screen
        self.nicklist_cols = nicklist_cols   # the nick list shows on terminals at least this wide (0: never)
        self.pairs: dict[int, int] = {}
        self.bar = "│" if (screen.encoding or "").lower().replace("-", "") == "utf8" else "|"
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

    def pane(self, state: ChatState) -> tuple[int, int]:
        """(width, height) of the output pane, beside the nick list when there is one."""
        rows, cols = self.size()
        return cols - self._nicklist_width(state, cols), max(0, rows - 2)

    def _nicklist_width(self, state: ChatState, cols: int) -> int:
        """Cells of the nick list column with its separator; 0 when it is not shown."""
        window = state.windows.active
        if not self.nicklist_cols or cols < self.nicklist_cols or not window.is_channel or not window.joined:
            return 0
        widest = max((text_width(m.nick) for m in window.members.values()), default=0)
        return min(NICKLIST_MAX, max(NICKLIST_MIN, widest)) + 2   # the separator, the prefix, the nick

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
            width, height = self.pane(state)
            visible = state.scrollback.visible(width, height)
            top = height - len(visible)
            for y, row in enumerate(visible, start=top):
                self._row(y, row, state)
            if width < cols:
                self._nicklist(state.windows.active, state, width, cols - width, height)
            self._status(rows - 2, state, cols, question)
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

    def _nicklist(self, window: Window, state: ChatState, x: int, width: int, height: int) -> None:
        """The channel's members down the right: operators first; `+N more` when they do not fit."""
        members = window.ranked(state.features)
        shown = members if len(members) <= height else members[:max(0, height - 1)]
        for y in range(height):
            self._put(y, x, self.bar, curses.A_DIM)
        for y, member in enumerate(shown):
            prefix = member.prefixes[:1] or " "
            self._put(y, x + 1, prefix, curses.A_BOLD if prefix != " " else curses.A_NORMAL)
            self._put(y, x + 2, fit(member.nick, width - 2), self._attr(f"nick:{member.nick}", state))
        if len(shown) < len(members):
            self._put(height - 1, x + 1, fit(f"+{len(members) - len(shown)} more", width - 1), curses.A_DIM)

    def _status(self, y: int, state: ChatState, cols: int, question: str | None) -> None:
        base = curses.A_REVERSE | (curses.A_BOLD if question else 0)
        x = 0
        for piece, style in statusbar.render(state, cols, question):
            attr = base
            if style == "act:message":
                attr |= curses.A_BOLD
            elif style == "act:mention":
                attr |= curses.A_BOLD | self.pairs.get(curses.COLOR_MAGENTA, 0)
            self._put(y, x, piece, attr)
            x += text_width(piece)

    def _row(self, y: int, row: Row, state: ChatState) -> None:
        x = 0
        for text, style in row:
            self._put(y, x, text, self._attr(style, state))
            x += text_width(text)

    def _input(self, y: int, cols: int, state: ChatState, editor: LineEditor) -> None:
        window = state.windows.active
        prompt = f"[{window.name or '(status)'}] "
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
        if style == "pending":
            return curses.A_DIM
        if style == "marker":
            return curses.A_BOLD | self.pairs.get(curses.COLOR_CYAN, 0)
        if style in ("status", "notice", "time"):
            return curses.A_DIM if style != "time" else curses.A_NORMAL
        if style == "error":
            return curses.A_BOLD | self.pairs.get(curses.COLOR_RED, 0)
        return curses.A_NORMAL
