"""The TOML config file, read into the same settings the flags give.

Each section of Config is a table of the file (`[limits]`, `[flood]` ...) and
each field a key named like the field (`[flood] burst`, whose flag is
`--flood-burst`). Nothing here knows the sections: they are walked with
sections_of(), so a section added to config.py is a table of the file at
once. A value is checked by the field's type and then by the same parse
function its flag uses, so a file and a command line never disagree on what
is valid. Flags given on the command line win over the file. Every problem is
reported, each with the file, the line and the key.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from .config import Config, flag_of, sections_of

HEADER = re.compile(r"\s*\[\[?\s*([^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$")
KEY = re.compile(r"""\s*([A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*[=.]""")
TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")
FLAG = re.compile(r"--[a-z][a-z0-9-]*")


class ConfigError(Exception):
    """A configuration that cannot be used; str() is every problem, one a line, each saying where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Source:
    """Where the settings come from: a file (read again on each reload) and the flags, which win."""

    path: str | None = None
    flags: dict[str, Any] = field(default_factory=dict)

    def load(self) -> Config:
        """The effective Config; raises ConfigError naming what is wrong."""
        values = read(self.path) if self.path else {}
        values.update(self.flags)
        config = Config.from_flags(**values)
        problems = combination_problems(config)
        if problems:
            if self.path:
                problems = [f"{self.path}: {_with_keys(problem)}" for problem in problems]
            raise ConfigError(problems)
        return config


def _with_keys(problem: str) -> str:
    """A problem worded with flags, with each flag's key in the file beside it."""
    keys = {flag_of(f): f"[{section}] {f.name}" for section, _, fields in sections_of() for f, _ in fields}
    return FLAG.sub(lambda m: f"{keys[m.group(0)]} ({m.group(0)})" if m.group(0) in keys else m.group(0), problem)


def combination_problems(config: Config) -> list[str]:
    """Settings that cannot go together, each said with what to do instead."""
    from .network import flags as network_flags

    problems = network_flags.problems(config)
    listeners = config.listeners
    if listeners.tls_port is not None and not listeners.tls_cert:
        problems.append(
            "--tls-port needs --tls-cert PATH (and --tls-key PATH unless the key is in that file); "
            "to make a self-signed pair for a test: openssl req -x509 -newkey rsa:2048 -nodes -days 365 "
            "-subj /CN=localhost -keyout key.pem -out cert.pem"
        )
    if listeners.tls_key and not listeners.tls_cert:
        problems.append("--tls-key needs --tls-cert PATH")
    if config.history.history == "redis" and not config.network.redis:
        problems.append("--history redis needs --redis URL (a single process keeps history with sqlite)")
    accounts = config.accounts
    if accounts.argon2_memory_cost < 8 * accounts.argon2_parallelism:
        problems.append("--argon2-memory-cost must be at least 8 KiB per lane (8 x --argon2-parallelism)")
    return problems


def read(path: str) -> dict[str, Any]:
    """The file's settings by flag destination (`flood_burst`), checked; raises ConfigError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([f"cannot read config file {path}: {error.strerror or error}"]) from None
    except UnicodeDecodeError as error:
        raise ConfigError([f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = TOML_LINE.search(message)
        line = f"{found.group(1)}:" if found else ""
        raise ConfigError([f"{path}:{line} not valid TOML: {TOML_LINE.sub('', message).strip()}"]) from None
    return _settings(path, document, _key_lines(text))


def _settings(path: str, document: dict[str, Any], lines: dict[tuple[str, str], int]) -> dict[str, Any]:
    sections = {name: (kind, fields) for name, kind, fields in sections_of()}
    values: dict[str, Any] = {}
    problems: list[str] = []

    def where(section: str, key: str) -> str:
        line = lines.get((section, key)) or lines.get((section, "")) or lines.get(("", section))
        return f"{path}:{line}:" if line else f"{path}:"

    for name, table in document.items():
        if name not in sections:
            if isinstance(table, dict):
                problems.append(f"{where(name, '')} unknown section [{name}]{_suggest(name, sections)}")
            else:
                problems.append(f"{where('', name)} {name}: keys go in a section such as "
                                f"[{next(iter(sections))}]; unknown top-level key")
            continue
        if not isinstance(table, dict):
            problems.append(f"{where('', name)} {name}: must be a section [{name}], not a value")
            continue
        kind, fields = sections[name]
        by_key = {f.name: (f, dest) for f, dest in fields}
        hints = typing.get_type_hints(kind)
        for key, raw in table.items():
            if key not in by_key:
                problems.append(f"{where(name, key)} [{name}] {key}: unknown key{_suggest(key, by_key)}")
                continue
            f, dest = by_key[key]
            try:
                values[dest] = convert(f, hints[f.name], raw)
            except ValueError as error:
                problems.append(f"{where(name, key)} [{name}] {key}: {error}")
    if problems:
        raise ConfigError(problems)
    return values


def convert(f: dataclasses.Field, hint: Any, raw: Any) -> Any:
    """A TOML value as the field's value; ValueError says what was expected and what was found."""
    base = _without_none(hint)
    parse = f.metadata.get("parse")
    if base is bool:
        if not isinstance(raw, bool):
            raise ValueError(f"expected true or false, found {_found(raw)}")
        return raw
    if base is int or base is float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (base is int and isinstance(raw, float)):
            raise ValueError(f"expected {'a whole number' if base is int else 'a number'}, found {_found(raw)}")
        value = base(raw)
        return _parsed(parse, value) if parse else value
    if base is str:
        if not isinstance(raw, str):
            raise ValueError(f"expected a string, found {_found(raw)}")
        return _parsed(parse, raw) if parse else raw
    origin = typing.get_origin(base)
    if origin is tuple:
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise ValueError(f"expected a list of strings, found {_found(raw)}")
        return tuple(_parsed(parse, item) if parse else item for item in raw)
    kind = origin or base
    if isinstance(kind, type) and not isinstance(raw, kind):
        raise ValueError(f"expected {getattr(kind, '__name__', kind)}, found {_found(raw)}")
    return raw


def _parsed(parse: Any, value: Any) -> Any:
    """The flag's own check, on the value as the flag would have been given it."""
    try:
        return parse(str(value))
    except (argparse.ArgumentTypeError, ValueError, TypeError) as error:
        raise ValueError(str(error)) from None


def _without_none(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _found(raw: Any) -> str:
    """What a value is, in words: `a string "nine"`, `true`, `a number 1.5`, `a list`."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        return f'a string "{raw}"'
    if isinstance(raw, int):
        return f"a whole number {raw}"
    if isinstance(raw, float):
        return f"a number {raw!r}"
    return {list: "a list", dict: "a table"}.get(type(raw), type(raw).__name__)


def _suggest(word: str, known: Any) -> str:
    close = difflib.get_close_matches(word.replace("-", "_"), list(known), n=1, cutoff=0.7)
    return f" (did you mean {close[0]}?)" if close else ""


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """Where each (section, key) first appears; (section, "") is the section's header.

    tomllib gives values without positions, so the lines are found by a scan
    of the text: headers and `key =` lines (a key inside a multi-line string
    could mislead it; the worst outcome is a wrong line number, never a
    wrong verdict).
    """
    lines: dict[tuple[str, str], int] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), 1):
        header = HEADER.match(line)
        if header:
            section = header.group(1).strip().strip("\"'")
            lines.setdefault((section, ""), number)
            continue
        key = KEY.match(line)
        if key:
            lines.setdefault((section, key.group(1).strip("\"'")), number)
    return lines
