"""The input line: text, cursor, kill keys, history and nick completion; no curses.

Kept free of the terminal so every key's effect is a unit test on a string
with the cursor marked, and so the view only has to ask for the visible part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geventchat.protocol.names import casefold

from .wrap import char_width, clusters

HISTORY_LIMIT = 500


@dataclass
class Completion:
    """An ongoing Tab cycle: the word typed and the candidates it matched."""

    start: int
    prefix: str
    matches: list[str]
    index: int
    suffix: str


@dataclass
class LineEditor:
    text: str = ""
    cursor: int = 0                  # index into text, 0..len(text)
    history: list[str] = field(default_factory=list)
    _browse: int | None = None       # index into history while recalling
    _draft: str = ""                 # what was typed before recalling history
    _scroll: int = 0                 # first character shown when the line is wider than the screen
    _completion: Completion | None = None

    # --- editing ---------------------------------------------------------
    def insert(self, chars: str) -> None:
        self._completion = None
        self.text = self.text[:self.cursor] + chars + self.text[self.cursor:]
        self.cursor += len(chars)

    def left(self) -> None:
        self._completion = None
        self.cursor = self._prev(self.cursor)

    def right(self) -> None:
        self._completion = None
        self.cursor = self._next(self.cursor)

    def _prev(self, index: int) -> int:
        """Start of the character before `index`, with any combining marks it carries."""
        index = max(0, index - 1)
        while index > 0 and char_width(self.text[index]) == 0:
            index -= 1
        return index

    def _next(self, index: int) -> int:
        index = min(len(self.text), index + 1)
        while index < len(self.text) and char_width(self.text[index]) == 0:
            index += 1
        return index

    def home(self) -> None:
        self._completion = None
        self.cursor = 0

    def end(self) -> None:
        self._completion = None
        self.cursor = len(self.text)

    def backspace(self) -> None:
        self._completion = None
        start = self._prev(self.cursor)
        self.text = self.text[:start] + self.text[self.cursor:]
        self.cursor = start

    def delete(self) -> None:
        self._completion = None
        self.text = self.text[:self.cursor] + self.text[self._next(self.cursor):]

    def kill_before(self) -> None:
        """Ctrl-U: erase from the start of the line to the cursor."""
        self._completion = None
        self.text = self.text[self.cursor:]
        self.cursor = 0

    def kill_after(self) -> None:
        """Ctrl-K: erase from the cursor to the end of the line."""
        self._completion = None
        self.text = self.text[:self.cursor]

    def kill_word(self) -> None:
        """Ctrl-W: erase the word before the cursor and the spaces after it."""
        self._completion = None
        start = self.cursor
        while start > 0 and self.text[start - 1] == " ":
            start -= 1
        while start > 0 and self.text[start - 1] != " ":
            start -= 1
        self.text = self.text[:start] + self.text[self.cursor:]
        self.cursor = start

    def word_left(self) -> None:
        """Alt-b, Ctrl-Left: to the start of this word, or of the one before."""
        self._completion = None
        self.cursor = self._word_start(self.cursor)

    def word_right(self) -> None:
        """Alt-f, Ctrl-Right: to the end of this word, or of the next one."""
        self._completion = None
        self.cursor = self._word_end(self.cursor)

    def kill_word_back(self) -> None:
        """Alt-Backspace: erase back to the start of the word (letters and digits; a dot or slash stops it)."""
        self._completion = None
        start = self._word_start(self.cursor)
        self.text = self.text[:start] + self.text[self.cursor:]
        self.cursor = start

    def kill_word_after(self) -> None:
        """Alt-d: erase from the cursor to the end of the word."""
        self._completion = None
        self.text = self.text[:self.cursor] + self.text[self._word_end(self.cursor):]

    def _word_start(self, index: int) -> int:
        while index > 0 and not _word_char(self.text[index - 1]):
            index -= 1
        while index > 0 and _word_char(self.text[index - 1]):
            index -= 1
        return index

    def _word_end(self, index: int) -> int:
        while index < len(self.text) and not _word_char(self.text[index]):
            index += 1
        while index < len(self.text) and _word_char(self.text[index]):
            index += 1
        return index

    def insert_paste(self, text: str) -> list[str]:
        """Put pasted text in at the cursor as if typed, tabs kept; return the lines it completed.

        Each newline in the paste ends a line (returned, for sending); what
        follows the last one stays in the input line. Other control
        characters are dropped: they would only move the terminal's cursor.
        """
        self._completion = None
        clean = "".join(c for c in text if c in "\t\n" or not (c < " " or "\x7f" <= c < "\xa0"))
        before, after = self.text[:self.cursor], self.text[self.cursor:]
        *done, last = (before + clean).split("\n")
        self.text = last + after
        self.cursor = len(last)
        if done:
            self._browse, self._draft, self._scroll = None, "", 0
        return done

    # --- history ---------------------------------------------------------
    def submit(self, remember: bool = True) -> str:
        """Enter: return the line, remember it (unless it holds a password), and start a fresh one."""
        line = self.text
        if remember and line.strip() and (not self.history or self.history[-1] != line):
            self.history.append(line)
            del self.history[:-HISTORY_LIMIT]
        self.text, self.cursor, self._browse, self._draft = "", 0, None, ""
        self._completion = None
        self._scroll = 0
        return line

    def up(self) -> None:
        """Recall the previous sent line; the line being typed is kept as a draft."""
        self._completion = None
        if not self.history:
            return
        if self._browse is None:
            self._draft = self.text
            self._browse = len(self.history) - 1
        elif self._browse > 0:
            self._browse -= 1
        else:
            return
        self._show(self.history[self._browse])

    def down(self) -> None:
        self._completion = None
        if self._browse is None:
            return
        if self._browse < len(self.history) - 1:
            self._browse += 1
            self._show(self.history[self._browse])
        else:
            self._browse = None
            self._show(self._draft)

    def _show(self, text: str) -> None:
        self.text = text
        self.cursor = len(text)

    # --- completion ------------------------------------------------------
    def complete(self, nicks: list[str]) -> bool:
        """Tab: complete the word before the cursor to a nick (or a channel, a /command); Tab again cycles.

        At the start of the line a nick gets `: ` (addressing someone), else
        a space. Returns False when nothing matched.
        """
        done = self._completion
        if done is not None and done.matches:
            done.index = (done.index + 1) % len(done.matches)
            self._put(done)
            return True
        start = self.cursor
        while start > 0 and self.text[start - 1] != " ":
            start -= 1
        prefix = self.text[start:self.cursor]
        if not prefix:
            return False
        key = casefold(prefix)
        matches = sorted((n for n in nicks if casefold(n).startswith(key)), key=casefold)
        if not matches:
            return False
        suffix = ": " if start == 0 and prefix[0] not in "#&/" else " "
        done = Completion(start, prefix, matches, 0, suffix)
        self._put(done)
        self._completion = done
        return True

    def _put(self, done: Completion) -> None:
        word = done.matches[done.index] + done.suffix
        self.text = self.text[:done.start] + word + self.text[self.cursor:]
        self.cursor = done.start + len(word)

    # --- display ---------------------------------------------------------
    def window(self, width: int) -> tuple[str, int]:
        """The part of the line that fits in `width` cells, and the cursor's column in it.

        Scrolls horizontally only as far as needed to keep the cursor in view,
        so the text does not jump on every key.
        """
        width = max(1, width)
        self._scroll = min(self._scroll, self.cursor)
        # Keep the cursor visible: move the window right until it fits (one cell for the cursor).
        while _width(self.text[self._scroll:self.cursor]) > width - 1 and self._scroll < self.cursor:
            self._scroll += 1
        # Skip zero-width marks so the window never starts on one.
        while 0 < self._scroll < len(self.text) and char_width(self.text[self._scroll]) == 0:
            self._scroll += 1 if self._scroll < self.cursor else -1
        shown, used = [], 0
        for chars, cells in clusters(self.text[self._scroll:]):
            if used + cells > width:
                break
            shown.append(chars)
            used += cells
        return "".join(shown), _width(self.text[self._scroll:self.cursor])

    def marked(self) -> str:
        """The text with `|` at the cursor, for tests and debugging."""
        return self.text[:self.cursor] + "|" + self.text[self.cursor:]


def _word_char(char: str) -> bool:
    return char.isalnum()


def _width(text: str) -> int:
    return sum(char_width(c) for c in text)
