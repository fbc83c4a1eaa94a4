"""What the server said about itself in ISUPPORT, and reading MODE lines with it; no I/O.

Channel types, the member prefixes (`PREFIX=(ov)@+`), which channel modes
take a parameter (`CHANMODES=beI,k,l,imnst`), the nick length, MONITOR and
how many history lines one CHATHISTORY may ask for. Defaults are RFC 2812's,
so a server that says nothing still reads right.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ModeChange:
    adding: bool
    mode: str
    arg: str | None = None

    def text(self) -> str:
        return ("+" if self.adding else "-") + self.mode + (f" {self.arg}" if self.arg is not None else "")


@dataclass
class Features:
    chantypes: str = "#&"
    prefix_modes: str = "ov"          # ranked, highest first
    prefix_symbols: str = "@+"        # the same order: o -> @, v -> +
    list_modes: str = "beI"           # CHANMODES type A: always a parameter
    param_modes: str = "k"            # type B: always a parameter
    set_param_modes: str = "l"        # type C: a parameter when set only
    nicklen: int = 9
    monitor: bool = False
    chathistory: int = 0              # most lines one CHATHISTORY answers (0: the server did not say)
    network: str = ""

    def apply(self, token: str) -> None:
        """One ISUPPORT token (`NAME=value` or `-NAME`)."""
        name, _, value = token.partition("=")
        if name == "NICKLEN" and value.isdigit() and int(value) > 0:
            self.nicklen = int(value)
        elif name == "MONITOR":
            self.monitor = True
        elif name == "-MONITOR":
            self.monitor = False
        elif name == "CHANTYPES":
            self.chantypes = value
        elif name == "PREFIX" and value.startswith("(") and ")" in value:
            modes, _, symbols = value[1:].partition(")")
            if len(modes) == len(symbols):
                self.prefix_modes, self.prefix_symbols = modes, symbols
        elif name == "CHANMODES":
            kinds = (value.split(",") + ["", "", "", ""])[:4]
            self.list_modes, self.param_modes, self.set_param_modes = kinds[0], kinds[1], kinds[2]
        elif name == "CHATHISTORY" and value.isdigit():
            self.chathistory = int(value)
        elif name == "NETWORK":
            self.network = value

    def is_channel(self, name: str) -> bool:
        return bool(name) and name[0] in (self.chantypes or "#&")

    def split_prefixes(self, name: str) -> tuple[str, str]:
        """`@+bob` (multi-prefix NAMES) -> ("@+", "bob"); a `nick!user@host` is cut to the nick."""
        i = 0
        while i < len(name) and name[i] in self.prefix_symbols:
            i += 1
        return name[:i], name[i:].split("!", 1)[0]

    def rank(self, prefixes: str) -> int:
        """Sort key of a member: the highest prefix first (0), no prefix last."""
        ranks = [self.prefix_symbols.index(p) for p in prefixes if p in self.prefix_symbols]
        return min(ranks) if ranks else len(self.prefix_symbols)

    def with_prefix(self, prefixes: str, symbol: str, on: bool) -> str:
        """A member's prefixes after gaining or losing one, kept in rank order."""
        have = set(prefixes) | {symbol} if on else set(prefixes) - {symbol}
        return "".join(p for p in self.prefix_symbols if p in have)

    def symbol_of(self, mode: str) -> str | None:
        index = self.prefix_modes.find(mode)
        return self.prefix_symbols[index] if index >= 0 else None

    def mode_changes(self, modes: str, args: list[str]) -> list[ModeChange]:
        """`+ov-k alice bob key` -> each change with its argument, as CHANMODES and PREFIX say."""
        changes: list[ModeChange] = []
        adding = True
        rest = list(args)
        for char in modes:
            if char in "+-":
                adding = char == "+"
                continue
            takes = (char in self.prefix_modes or char in self.list_modes or char in self.param_modes
                     or (adding and char in self.set_param_modes))
            arg = rest.pop(0) if takes and rest else None
            changes.append(ModeChange(adding, char, arg))
        return changes
