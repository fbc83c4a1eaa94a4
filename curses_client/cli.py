"""chat-client command line: check the arguments, connect, then run full-screen or line mode.

Every way out before the UI starts is a usage line or a one-line error and a
non-zero exit, never a traceback. The first connection is made here, before
curses, so an unreachable server is reported as plain text.
"""

from __future__ import annotations

import argparse
import locale
import os
import sys

from geventchat.argtypes import port, room
from geventchat.protocol.names import valid_nick

from .connection import describe, open_blocking
from .session import ClientConfig

DEFAULT_PORT = 25565
NICKLEN = 9
"""RFC 1459's nick length, and geventchat's default; longer nicks are refused here."""

CONNECT_TIMEOUT = 10.0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chat-client",
        description="A terminal chat client for geventchat and other IRC servers.",
    )
    p.add_argument("server_ip", help="server address")
    p.add_argument("nickname", help=f"your nick (1-{NICKLEN} characters)")
    p.add_argument("real_name", help="your real name (quote it if it has spaces)")
    p.add_argument("username", help="your user name")
    p.add_argument("--port", type=port(1), default=DEFAULT_PORT, help=f"server port (default {DEFAULT_PORT})")
    p.add_argument("--room", type=room("#&", "room"), default="#lobby", help="room to join if the server does not place you in one")
    p.add_argument("--no-reconnect", action="store_true", help="do not reconnect when the server goes away")
    p.add_argument("--plain", action="store_true", help="line mode: read lines from stdin, print the chat to stdout")
    return p


def config_from_args(argv: list[str] | None) -> ClientConfig:
    parser = build_parser()
    args = parser.parse_args(argv)
    if len(args.nickname) > NICKLEN:
        parser.error(f"nickname {args.nickname!r} is too long (at most {NICKLEN} characters)")
    if not valid_nick(args.nickname, NICKLEN):
        parser.error(f"nickname {args.nickname!r} is not valid (start with a letter; letters, digits, "
                     "[]\\`_^{|}- only)")
    if not args.username or any(c in args.username for c in " @!:\r\n\0"):
        parser.error(f"user name {args.username!r} is not valid (no spaces, @, ! or :)")
    if not args.real_name.strip() or any(c in args.real_name for c in "\r\n\0"):
        parser.error("real name must not be empty")
    return ClientConfig(host=args.server_ip, port=args.port, nick=args.nickname,
                        realname=args.real_name.strip(), username=args.username, room=args.room,
                        reconnect=not args.no_reconnect, plain=args.plain)


def _terminal_usable() -> bool:
    """curses needs a known terminal type that can move the cursor."""
    import curses

    if os.environ.get("TERM", "dumb") in ("", "dumb", "unknown"):
        return False
    try:
        curses.setupterm()
    except curses.error:
        return False
    return bool(curses.tigetstr("cup"))


def main(argv: list[str] | None = None) -> int:
    try:
        config = config_from_args(argv)
    except SystemExit as exit:  # argparse printed the usage line and the error
        return int(exit.code or 0)
    try:
        locale.setlocale(locale.LC_ALL, "")
    except locale.Error:
        pass  # an unknown locale in the environment: carry on with "C"
    try:
        try:
            sock = open_blocking(config.host, config.port, CONNECT_TIMEOUT)
        except OSError as error:
            print(f"chat-client: cannot connect to {config.host}:{config.port}: {describe(error)}",
                  file=sys.stderr)
            return 1
        interactive = not config.plain and sys.stdin.isatty() and sys.stdout.isatty()
        if interactive and not _terminal_usable():
            print(f"chat-client: the terminal type {os.environ.get('TERM', '')!r} cannot run full screen; "
                  "using line mode", file=sys.stderr)
            interactive = False
        if interactive:
            from . import app
            return app.run(config, sock)
        from . import linemode
        return linemode.run(config, sock)
    except KeyboardInterrupt:  # Ctrl-C before the UI took over signals
        return 130
