"""Reload: compare the settings a file now gives with those running, apply what may change.

A setting marked `reload=True` in config.py is set in place on the live
Config's section (every part of the server reads its section from there, so
the next use sees it); any other changed setting is reported as needing a
restart and left as it was. Nothing is applied until everything a reload
needs has been read and checked (the file, the MOTD, the TLS pair), so a bad
file, a missing MOTD or a broken certificate changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import Config, reloadable, sections_of
from .config_text import shown


@dataclass(frozen=True)
class Change:
    section: str
    key: str
    old: Any
    new: Any
    applied: bool  # False: needs a restart; the old value stays

    def __str__(self) -> str:
        return f"{self.section}.{self.key} {self.old!r} -> {self.new!r}"


def differences(live: Config, new: Config, fixed: frozenset[str] = frozenset()) -> list[Change]:
    """Every setting whose value differs, secrets masked; `fixed` ("section.key") cannot change now."""
    changes = []
    for section, _, fields in sections_of():
        running, wanted = getattr(live, section), getattr(new, section)
        for f, _ in fields:
            old, value = getattr(running, f.name), getattr(wanted, f.name)
            if old != value:
                applied = reloadable(f) and f"{section}.{f.name}" not in fixed
                changes.append(Change(section, f.name, shown(f, old), shown(f, value), applied))
    return changes


def apply(live: Config, new: Config, changes: list[Change]) -> None:
    """Set the applied changes in place on the running Config's sections."""
    for change in changes:
        if change.applied:
            setattr(getattr(live, change.section), change.key, getattr(getattr(new, change.section), change.key))


def summary(changes: list[Change], extra: list[str] = ()) -> str:
    """One line for the log and for REHASH: what changed, what waits for a restart."""
    applied = [str(c) for c in changes if c.applied]
    waiting = [str(c) for c in changes if not c.applied]
    parts = [f"changed {', '.join(applied)}" if applied else "no setting changed", *extra]
    if waiting:
        parts.append(f"needs a restart, left as it was: {', '.join(waiting)}")
    return "; ".join(parts)
