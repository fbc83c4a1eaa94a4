"""Config -> TOML text: the effective configuration (--print-config) and the example file.

Both are written from the Config dataclasses, so neither can drift from
them: the example in the package is this module's output
(`chat-server --print-example-config`), and a test holds it to that.
Secrets (fields marked `secret=True`) are masked wherever a value is shown.
"""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from typing import Any

from .config import Config, flag_of, reloadable, secret, sections_of

MASK = "********"
URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*(@)")

EXAMPLE_HEAD = """\
# chat-server configuration (TOML): chat-server --config PATH
#
# Every key is shown with its default, commented out: uncomment what you
# change. Each key is also a flag (named below each key's help), and a flag
# given on the command line wins over this file. Check a file with
#   chat-server --config PATH --check-config
# and see what a server would run with (secrets masked) with --print-config.
#
# Reload: SIGHUP (systemctl reload geventchat) or an operator's REHASH reads
# this file again. Keys marked "reloaded" take effect at once, without
# dropping anyone; the others are reported and wait for a restart. A file
# with an error changes nothing, and the log says why.
"""


def shown(f: dataclasses.Field, value: Any) -> Any:
    """The value as printed: a secret masked (a URL keeps all but its password)."""
    if not secret(f) or value in (None, "", ()):
        return value
    if isinstance(value, str) and URL_PASSWORD.search(value):
        return URL_PASSWORD.sub(rf"\g<1>{MASK}\g<2>", value)
    return MASK


def toml_value(value: Any) -> str:
    """One value in TOML: strings in JSON's escaping (a subset of TOML's basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def effective(config: Config) -> str:
    """The configuration a server runs with, as a config file it could be given (secrets masked)."""
    out = ["# the effective configuration: defaults, the config file, then flags"]
    for section, _, fields in sections_of():
        values = getattr(config, section)
        out.append(f"\n[{section}]")
        for f, _ in fields:
            value = shown(f, getattr(values, f.name))
            if value is None and _none_word(f):
                out.append(f'{f.name} = "none"')  # turned off, where the default is on (--lobby none)
            elif value is None:
                out.append(f"# {f.name} is not set")
            else:
                out.append(f"{f.name} = {toml_value(value)}")
    return "\n".join(out) + "\n"


def _none_word(f: dataclasses.Field) -> bool:
    """Whether the setting's own check reads "none" as None: the file's way to say "not set" (TOML has no null)."""
    parse = f.metadata.get("parse")
    if parse is None or f.default is None:
        return False
    try:
        return parse("none") is None
    except Exception:  # noqa: BLE001 - any refusal means "none" is not a word it knows
        return False


def example() -> str:
    """The example config file: every key of every section, its help, its flag, its default."""
    out = [EXAMPLE_HEAD]
    for section, kind, fields in sections_of():
        out.append(f"[{section}]")
        out.append(f"# {kind.__doc__.strip().splitlines()[0]}")
        out.append("")
        for f, _ in fields:
            out.extend(_comment(f))
            value = _example_value(f)
            if value is None:  # a setting added with neither a default nor an example: say what it takes
                out.append(f"# {f.name} = ...  ({f.metadata.get('metavar') or 'a value'}; not set by default)")
            else:
                out.append(f"# {f.name} = {toml_value(value)}")
            out.append("")
    return "\n".join(out)


def _comment(f: dataclasses.Field) -> list[str]:
    meta = f.metadata
    help_text = meta["help"]
    if meta.get("shown"):
        help_text += f" (default: {meta['shown']})"
    elif f.default is None:
        help_text += " (not set by default)"
    when = "reloaded" if reloadable(f) else "needs a restart"
    lines = textwrap.wrap(help_text, 74)
    lines.append(f"flag {flag_of(f)}; {when}")
    return [f"# {line}" for line in lines]


def _example_value(f: dataclasses.Field) -> Any:
    """The default, or for a setting with none (None, or computed at start) the field's example; else None."""
    example = f.metadata.get("example")
    if example is not None:
        return example
    if f.default is not dataclasses.MISSING and f.default is not None:
        return f.default
    return None
