"""chat-client command line (placeholder until the client lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("chat-client: not built yet; connect with nc or irssi for now", file=sys.stderr)
    return 2
