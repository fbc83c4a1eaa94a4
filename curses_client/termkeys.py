"""Bytes from the terminal -> keys, typed text and pastes; no curses.

Terminals send special keys as escape sequences, and each kind of terminal
its own: xterm, tmux and screen, the Linux console and vt100 disagree on
Home, End and the F-keys, and add modifiers in several styles. The decoder
tries the sequences the terminfo entry names first (given by the caller,
who has curses), then reads the sequence by its structure (CSI `ESC [`,
SS3 `ESC O`, Alt as a leading `ESC`) and looks it up in a table of known
forms. A sequence that is still unknown is swallowed whole: it never
reaches the input line as text.

Bracketed paste (`ESC [200~` ... `ESC [201~`) arrives as one Paste, tabs and
newlines kept, so pasted text never runs a key's action. A sequence cut off
at the end of a read waits for the rest until `delay` has passed; then a
lone ESC is the Escape key.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, replace

PASTE_START = b"\x1b[200~"
PASTE_END = b"\x1b[201~"

PASTE_LIMIT = 1 << 20
"""Bytes of one paste that are kept; the rest is dropped (and said so) rather than held without end."""

ESCAPE_DELAY = 0.05
"""Seconds to wait for the rest of a sequence cut off at the end of a read."""


@dataclass(frozen=True)
class Key:
    """A special key (`name`), or a character with Ctrl or Alt held (`name` "char", `char` set)."""

    name: str
    shift: bool = False
    alt: bool = False
    ctrl: bool = False
    char: str = ""

    def label(self) -> str:
        mods = "".join(m for m, on in (("ctrl+", self.ctrl), ("alt+", self.alt), ("shift+", self.shift)) if on)
        return mods + (self.char if self.name == "char" else self.name)


@dataclass(frozen=True)
class Text:
    """Printable characters typed."""

    text: str


@dataclass(frozen=True)
class Paste:
    """Text the terminal marked as pasted; CR and CRLF already turned into LF."""

    text: str
    truncated: bool = False


@dataclass(frozen=True)
class Unknown:
    """A sequence nobody knows; swallowed (kept only so tests can see it was whole)."""

    sequence: bytes


Event = Key | Text | Paste | Unknown

# --- the table of known forms ---------------------------------------------

_TILDE = {  # CSI <n> ~ (vt220, xterm, linux, screen/tmux) and rxvt's ^ $ @ finals
    1: "home", 2: "insert", 3: "delete", 4: "end", 5: "pageup", 6: "pagedown", 7: "home", 8: "end",
    11: "f1", 12: "f2", 13: "f3", 14: "f4", 15: "f5", 17: "f6", 18: "f7", 19: "f8", 20: "f9",
    21: "f10", 23: "f11", 24: "f12", 25: "f13", 26: "f14", 28: "f15", 29: "f16", 31: "f17",
    32: "f18", 33: "f19", 34: "f20",
}
_LETTER = {  # CSI [1;m] <letter> and SS3 <letter>
    "A": "up", "B": "down", "C": "right", "D": "left", "H": "home", "F": "end", "E": "begin",
    "P": "f1", "Q": "f2", "R": "f3", "S": "f4", "Z": "tab",
}
_LINUX_F = {"A": "f1", "B": "f2", "C": "f3", "D": "f4", "E": "f5"}  # ESC [ [ A..E
_RXVT_SHIFT = {"a": "up", "b": "down", "c": "right", "d": "left"}  # CSI a..d shift, SS3 a..d ctrl
_KEYPAD_TEXT = {  # SS3 in application keypad mode: the keypad's own characters
    "j": "*", "k": "+", "l": ",", "m": "-", "n": ".", "o": "/", "X": "=", "p": "0", "q": "1", "r": "2",
    "s": "3", "t": "4", "u": "5", "v": "6", "w": "7", "x": "8", "y": "9",
}
_CONTROL = {0x0D: "enter", 0x0A: "enter", 0x09: "tab", 0x7F: "backspace", 0x08: "backspace"}

TERMINFO_KEYS = {
    "kcuu1": "up", "kcud1": "down", "kcub1": "left", "kcuf1": "right", "khome": "home", "kend": "end",
    "kich1": "insert", "kdch1": "delete", "kpp": "pageup", "knp": "pagedown", "kbs": "backspace",
    "kent": "enter", "kcbt": "shift+tab", "kLFT": "shift+left", "kRIT": "shift+right", "kHOM": "shift+home",
    "kEND": "shift+end", "kDC": "shift+delete", "kIC": "shift+insert", "kPRV": "shift+pageup",
    "kNXT": "shift+pagedown", "kLFT5": "ctrl+left", "kRIT5": "ctrl+right", "kLFT3": "alt+left",
    "kRIT3": "alt+right", "kHOM5": "ctrl+home", "kEND5": "ctrl+end",
    **{f"kf{n}": f"f{n}" for n in range(1, 13)},
}
"""terminfo capability -> key, for the caller to look up with curses.tigetstr."""


def key_from_label(label: str) -> Key:
    """`ctrl+left` -> Key("left", ctrl=True); `alt+b` -> Key("char", alt=True, char="b")."""
    *mods, name = label.split("+")
    char = name if len(name) == 1 else ""
    return Key("char" if char else name, shift="shift" in mods, alt="alt" in mods, ctrl="ctrl" in mods,
               char=char)


def _modifiers(key: Key, code: int) -> Key:
    """xterm's modifier parameter: 1 + (1 shift, 2 alt, 4 ctrl, 8 meta)."""
    bits = max(0, code - 1)
    return replace(key, shift=key.shift or bool(bits & 1), alt=key.alt or bool(bits & 10),
                   ctrl=key.ctrl or bool(bits & 4))


def _char_key(codepoint: int, code: int) -> Event:
    """A character with modifiers, as kitty (`CSI cp;m u`) and xterm's modifyOtherKeys send it."""
    if codepoint in _CONTROL:
        return _modifiers(Key(_CONTROL[codepoint]), code)
    if codepoint == 0x1B:
        return _modifiers(Key("escape"), code)
    try:
        char = chr(codepoint)
    except (ValueError, OverflowError):
        return Unknown(b"")
    if code <= 1 or (code == 2 and char.isprintable()):
        if not char.isprintable():
            return Unknown(b"")
        return Text(char.upper() if code == 2 else char)
    return _modifiers(Key("char", char=char.lower()), code)


def decode_csi(params: str, final: str) -> Event | None:
    """A CSI sequence's meaning from the table, or None when it is unknown."""
    parts = params.split(";") if params else []
    if not all(p.isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts]
    if final == "~" and numbers:
        if numbers[0] == 27 and len(numbers) == 3:  # xterm modifyOtherKeys: CSI 27;m;cp ~
            return _char_key(numbers[2], numbers[1])
        name = _TILDE.get(numbers[0])
        if name is None or len(numbers) > 2:
            return None
        key = Key(name)
        return _modifiers(key, numbers[1]) if len(numbers) > 1 else key
    if final in "^$@" and len(numbers) == 1 and numbers[0] in _TILDE:  # rxvt: ^ ctrl, $ shift, @ both
        return Key(_TILDE[numbers[0]], shift=final in "$@", ctrl=final in "^@")
    if final == "u" and numbers:
        return _char_key(numbers[0], numbers[1] if len(numbers) > 1 else 1)
    if final in _LETTER:
        if not numbers:
            code = 1
        elif len(numbers) == 1:
            code = numbers[0]
        elif len(numbers) == 2 and numbers[0] == 1:
            code = numbers[1]
        else:
            return None
        key = Key("tab", shift=True) if final == "Z" else Key(_LETTER[final])
        return _modifiers(key, code)
    if final in _RXVT_SHIFT and not numbers:
        return Key(_RXVT_SHIFT[final], shift=True)
    return None


def decode_ss3(params: str, final: str) -> Event | None:
    """An SS3 sequence (`ESC O x`, with an optional modifier digit some terminals put before x)."""
    code = int(params) if params.isdigit() else 1
    if params and not params.isdigit():
        return None
    if final in _LETTER and final != "Z":
        return _modifiers(Key(_LETTER[final]), code)
    if final == "M":
        return _modifiers(Key("enter"), code)
    if final in _RXVT_SHIFT:
        return Key(_RXVT_SHIFT[final], ctrl=True)
    if final in _KEYPAD_TEXT and not params:
        return Text(_KEYPAD_TEXT[final])
    return None


class KeyDecoder:
    """Feed it what the terminal sends; it returns events, holding a cut-off sequence for `delay`."""

    def __init__(self, terminfo: dict[bytes, Key] | None = None, delay: float = ESCAPE_DELAY) -> None:
        # Only escape sequences: control characters have one meaning whatever the terminal.
        self.terminfo = {seq: key for seq, key in (terminfo or {}).items() if seq[:1] == b"\x1b" and len(seq) > 1}
        self._prefixes = {seq[:n] for seq in self.terminfo for n in range(1, len(seq))}
        self.delay = delay
        self._buffer = b""
        self._since: float | None = None     # when the held bytes arrived
        self._paste: bytearray | None = None  # inside a bracketed paste
        self._paste_dropped = False

    # --- the caller's side -------------------------------------------------
    def feed(self, data: bytes, now: float) -> list[Event]:
        self._buffer += data
        events = self._run(final=False)
        self._since = now if self._buffer else None
        return events

    def deadline(self) -> float | None:
        """When held bytes stop waiting for the rest of their sequence (None: nothing held)."""
        if self._since is None or self._paste is not None:
            return None
        return self._since + self.delay

    def expire(self, now: float) -> list[Event]:
        """Give up waiting: a lone ESC is Escape, a partial sequence is swallowed."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return []
        events = self._run(final=True)
        self._since = None
        return events

    # --- decoding ----------------------------------------------------------
    def _run(self, final: bool) -> list[Event]:
        events: list[Event] = []
        buf = self._buffer
        i = 0
        while i < len(buf):
            if self._paste is not None:
                i = self._in_paste(buf, i, events)
                if self._paste is not None:
                    break  # the rest of the paste is still to come
                continue
            byte = buf[i]
            if byte == 0x1B:
                end, event = self._escape(buf, i, final)
                if end is None:
                    break  # wait for the rest
                if event is not None:
                    events.append(event)
                i = end
            elif byte < 0x20 or byte == 0x7F:
                events.append(_control(byte))
                i += 1
            else:
                end = i
                while end < len(buf) and buf[end] >= 0x20 and buf[end] != 0x7F and buf[end] != 0x1B:
                    end += 1
                segment = buf[i:end]
                text, used = _decode_text(segment, final or end < len(buf))
                if text:
                    if events and isinstance(events[-1], Text):
                        events[-1] = Text(events[-1].text + text)
                    else:
                        events.append(Text(text))
                i += used
                if used < len(segment):
                    break  # a character cut in the middle: wait for its other bytes
        self._buffer = buf[i:]
        return events

    def _escape(self, buf: bytes, i: int, final: bool) -> tuple[int | None, Event | None]:
        """(end, event) for the sequence at buf[i] (ESC); end None: wait for more bytes."""
        rest = buf[i:]
        if rest.startswith(PASTE_START):
            self._paste = bytearray()
            self._paste_dropped = False
            return i + len(PASTE_START), None
        if PASTE_START.startswith(rest) and not final:
            return None, None
        # terminfo first: the longest sequence of this terminal's entry that the bytes start with.
        for length in range(min(len(rest), max((len(s) for s in self.terminfo), default=0)), 1, -1):
            key = self.terminfo.get(rest[:length])
            if key is not None:
                return i + length, key
        if rest in self._prefixes and not final:
            return None, None
        end, event = _structural(rest, final)
        if end is None:
            return None, None
        return i + end, event

    def _in_paste(self, buf: bytes, i: int, events: list[Event]) -> int:
        assert self._paste is not None
        stop = buf.find(PASTE_END, i)
        if stop < 0:
            # Keep back what could be the start of the end marker.
            keep = 0
            for n in range(len(PASTE_END) - 1, 0, -1):
                if buf.endswith(PASTE_END[:n]):
                    keep = n
                    break
            self._add_paste(buf[i:len(buf) - keep])
            return len(buf) - keep
        self._add_paste(buf[i:stop])
        raw = bytes(self._paste)
        text = _decode_text(raw, True)[0].replace("\r\n", "\n").replace("\r", "\n")
        events.append(Paste(text, self._paste_dropped))
        self._paste = None
        return stop + len(PASTE_END)

    def _add_paste(self, data: bytes) -> None:
        assert self._paste is not None
        room = PASTE_LIMIT - len(self._paste)
        if len(data) > room:
            self._paste_dropped = True
            data = data[:max(0, room)]
        self._paste += data


def _control(byte: int) -> Event:
    if byte in _CONTROL:
        return Key(_CONTROL[byte])
    if byte == 0:
        return Key("char", ctrl=True, char=" ")
    return Key("char", ctrl=True, char=chr(byte + 0x60))


def _structural(rest: bytes, final: bool) -> tuple[int | None, Event | None]:
    """Read one escape sequence by its shape; (None, None) when more bytes are needed."""
    if len(rest) == 1:
        return (1, Key("escape")) if final else (None, None)
    second = rest[1]
    if second == 0x5B:  # CSI
        if len(rest) >= 3 and rest[2] == 0x5B:  # the Linux console's F1-F5: ESC [ [ A..E
            if len(rest) < 4:
                return (3, Unknown(rest[:3])) if final else (None, None)
            name = _LINUX_F.get(chr(rest[3]))
            return 4, Key(name) if name else Unknown(rest[:4])
        j = 2
        while j < len(rest) and 0x30 <= rest[j] <= 0x3F:
            j += 1
        while j < len(rest) and 0x20 <= rest[j] <= 0x2F and rest[j] != 0x24:
            j += 1
        if j >= len(rest):
            if not final:
                return None, None
            return (2, Key("char", alt=True, char="[")) if j == 2 else (len(rest), Unknown(rest))
        if not (0x40 <= rest[j] <= 0x7E or rest[j] == 0x24):
            return j, Unknown(rest[:j])  # broken off by another key: drop what came so far
        params, last = rest[2:j].decode("ascii", "replace"), chr(rest[j])
        event = decode_csi(params, last)
        return j + 1, event if event is not None else Unknown(rest[:j + 1])
    if second == 0x4F:  # SS3
        j = 2
        while j < len(rest) and 0x30 <= rest[j] <= 0x39:
            j += 1
        if j >= len(rest):
            if final:
                return (2, Key("char", alt=True, char="O")) if j == 2 else (j, Unknown(rest[:j]))
            return None, None
        if not 0x40 <= rest[j] <= 0x7E:
            return j, Unknown(rest[:j])
        event = decode_ss3(rest[2:j].decode("ascii"), chr(rest[j]))
        return j + 1, event if event is not None else Unknown(rest[:j + 1])
    if second == 0x1B:  # ESC ESC ...: Alt with a special key (rxvt, some tmux setups), or Escape twice
        if len(rest) == 2:
            return (2, Key("escape", alt=True)) if final else (None, None)
        end, inner = _structural(rest[1:], final)
        if end is None:
            return None, None
        if isinstance(inner, Key):
            return end + 1, replace(inner, alt=True)
        return end + 1, inner if isinstance(inner, Unknown) else Unknown(rest[:end + 1])
    # ESC <char>: Alt with that character.
    if second < 0x20 or second == 0x7F:
        inner = _control(second)
        return 2, replace(inner, alt=True) if isinstance(inner, Key) else inner
    lead = rest[1]
    size = 1 if lead < 0xC2 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4 if lead < 0xF5 else 1
    if len(rest) < 1 + size and not final:
        return None, None
    try:
        char = rest[1:1 + size].decode("utf-8")
    except UnicodeDecodeError:
        char, size = chr(lead), 1  # not UTF-8: the byte as Latin-1
    return 1 + size, Key("char", alt=True, char=char)


def _decode_text(data: bytes, final: bool) -> tuple[str, int]:
    """UTF-8 as far as it goes (a byte that is not UTF-8 reads as Latin-1); (text, bytes used).

    Without `final`, a character cut at the end is left for the next read.
    """
    out: list[str] = []
    i = 0
    while i < len(data):
        try:
            text, used = codecs.utf_8_decode(data[i:], "strict", final)
            out.append(text)
            i += used
            break
        except UnicodeDecodeError as error:
            out.append(data[i:i + error.start].decode("utf-8"))
            out.append(data[i + error.start:i + error.start + 1].decode("latin-1"))
            i += error.start + 1
    return "".join(out), i


def plain_text(data: bytes) -> str:
    """A line from a terminal with no full screen, as text: escape sequences gone, tabs kept."""
    decoder = KeyDecoder()
    parts: list[str] = []
    for event in decoder.feed(data, 0.0) + decoder.expire(float("inf")):
        if isinstance(event, (Text, Paste)):
            parts.append(event.text)
        elif isinstance(event, Key) and event.name == "tab" and not (event.shift or event.alt or event.ctrl):
            parts.append("\t")
    return "".join(parts)
