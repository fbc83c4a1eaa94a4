"""chat-client command line: check the arguments, then run full-screen or line mode.

Every mistake on the command line is a usage line and one clear sentence
(with a hint where the mistake is a common one), never a traceback. The
connection itself is made by the running client, so the screen comes up at
once; line mode still ends with a one-line error when the first connection
fails, for scripts.
"""

from __future__ import annotations

import argparse
import dataclasses
import locale
import os
import ssl
import sys

from geventchat.argtypes import not_negative, port, positive, room
from geventchat.protocol.names import valid_nick

from .address import AddressError, split_address
from .config import (CONNECT_TIMEOUT, DEFAULT_PORT, DEFAULT_TLS_PORT, ECHO_TIMEOUT, HISTORY_CATCHUP, HISTORY_DM_DAYS,
                     HISTORY_DM_MAX, HISTORY_LINES, HISTORY_WAIT, NICK_MAX, NICK_POLL, NICKLIST_COLS, PASSWORD_ENV,
                     PASTE_CONFIRM_LINES, REFUSED_RETRY, SCROLLBACK, SEND_BURST, SEND_RATE, ClientConfig, TlsConfig)
from .password import PasswordError, read_password
from .tls import FingerprintError, describe_tls_error, make_context, parse_fingerprint

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chat-client",
        description="A terminal chat client for geventchat and other IRC servers.",
        epilog='Example: chat-client 127.0.0.1 alice "Alice Liddell" alice',
    )
    p.add_argument("server", metavar="server_ip",
                   help="server address: host, host:port, or [IPv6]:port")
    p.add_argument("nickname", help="your nick (letters, digits, []\\`_^{|}-; servers allow 9 or more)")
    p.add_argument("real_name", help="your real name (quote it if it has spaces)")
    p.add_argument("username", help="your user name")
    p.add_argument("extra", nargs="*", help=argparse.SUPPRESS)
    p.add_argument("--port", type=port(1), default=None,
                   help=f"server port (default {DEFAULT_PORT}, or {DEFAULT_TLS_PORT} with --tls)")
    p.add_argument("--room", type=room("#&", "room"), default="#lobby",
                   help="room to join if the server does not place you in one")
    p.add_argument("--no-reconnect", action="store_true", help="do not reconnect when the server goes away")
    p.add_argument("--plain", action="store_true", help="line mode: read lines from stdin, print the chat to stdout")
    tls = p.add_argument_group("TLS")
    tls.add_argument("--tls", action="store_true",
                     help="connect with TLS, checking the certificate against the system's trusted CAs")
    tls.add_argument("--tls-ca", metavar="FILE", help="trust the CA certificates in FILE (PEM) instead")
    tls.add_argument("--tls-fingerprint", metavar="SHA256",
                     help="accept only the certificate with this SHA-256 fingerprint (hex, colons optional)")
    tls.add_argument("--tls-insecure", action="store_true",
                     help="do not check the certificate at all (anyone on the way can read the chat)")
    tls.add_argument("--tls-cert", metavar="FILE",
                     help="present this client certificate (PEM, with its key unless --tls-key); "
                          "with --sasl it logs in with SASL EXTERNAL")
    tls.add_argument("--tls-key", metavar="FILE", help="the private key of --tls-cert, when in a file of its own")
    account = p.add_argument_group("account")
    account.add_argument("--sasl", action="store_true",
                         help=f"log in with SASL: PLAIN with the password from ${PASSWORD_ENV} or a prompt, "
                              "or EXTERNAL with --tls-cert")
    account.add_argument("--account", metavar="NAME", help="the account to log in to (default: the nickname); "
                                                          "implies --sasl")
    account.add_argument("--password-env", metavar="NAME", default=PASSWORD_ENV,
                         help=f"the environment variable holding the password (default {PASSWORD_ENV})")
    account.add_argument("--sasl-required", action="store_true",
                         help="when the login fails, leave (and do not reconnect) instead of going on "
                              "without an account")
    limits = p.add_argument_group("limits")
    limits.add_argument("--send-burst", type=positive(int), default=SEND_BURST, metavar="N",
                        help=f"lines sent at once before pacing starts (default {SEND_BURST})")
    limits.add_argument("--send-rate", type=positive(float), default=SEND_RATE, metavar="N",
                        help=f"lines per second after the burst (default {SEND_RATE:g})")
    limits.add_argument("--paste-lines", type=positive(int), default=PASTE_CONFIRM_LINES, metavar="N",
                        help=f"ask before sending a paste of more lines than this (default {PASTE_CONFIRM_LINES})")
    limits.add_argument("--refused-retry", type=positive(float), default=REFUSED_RETRY, metavar="SECONDS",
                        help="after the server refuses us for being full or for too many connections, wait "
                             f"this long before trying again (default {REFUSED_RETRY:g})")
    limits.add_argument("--connect-timeout", type=positive(float), default=CONNECT_TIMEOUT, metavar="SECONDS",
                        help=f"seconds to connect (and finish the TLS handshake) before trying again "
                             f"(default {CONNECT_TIMEOUT:g})")
    limits.add_argument("--nick-poll", type=positive(float), default=NICK_POLL, metavar="SECONDS",
                        help="under a fallback nick, ask this often whether ours is free, on servers "
                             f"without MONITOR (default {NICK_POLL:g})")
    limits.add_argument("--scrollback", type=positive(int), default=SCROLLBACK, metavar="N",
                        help=f"lines each window keeps (default {SCROLLBACK})")
    limits.add_argument("--history-lines", type=positive(int), default=HISTORY_LINES, metavar="N",
                        help="lines of a channel's history shown on joining it, and fetched each time PageUp "
                             f"reaches the top, on servers that keep history (default {HISTORY_LINES})")
    limits.add_argument("--history-catchup", type=positive(int), default=HISTORY_CATCHUP, metavar="N",
                        help="most lines of a channel fetched after a reconnect: what was said while away "
                             f"(default {HISTORY_CATCHUP})")
    limits.add_argument("--history-dm-days", type=not_negative(float), default=HISTORY_DM_DAYS, metavar="DAYS",
                        help="logged in, open the private conversations with lines in the last DAYS days on "
                             "the first connection; 0: none (a reconnect always catches up on what came while "
                             f"away) (default {HISTORY_DM_DAYS:g})")
    limits.add_argument("--history-dm-max", type=positive(int), default=HISTORY_DM_MAX, metavar="N",
                        help="most private conversations brought back from history at one connection "
                             f"(default {HISTORY_DM_MAX})")
    limits.add_argument("--history-wait", type=positive(float), default=HISTORY_WAIT, metavar="SECONDS",
                        help="live lines wait this long at most for a history answer to land before them "
                             f"(default {HISTORY_WAIT:g})")
    limits.add_argument("--echo-timeout", type=positive(float), default=ECHO_TIMEOUT, metavar="SECONDS",
                        help="a line the server has not echoed back in this long is flagged as not confirmed "
                             f"(default {ECHO_TIMEOUT:g})")
    limits.add_argument("--nicklist-cols", type=not_negative(int), default=NICKLIST_COLS, metavar="N",
                        help="show a channel's nick list beside the chat on terminals at least N columns "
                             f"wide; 0: never (default {NICKLIST_COLS})")
    return p


def config_from_args(argv: list[str] | None) -> ClientConfig:
    parser = build_parser()
    args = parser.parse_intermixed_args(argv)
    if args.extra:
        # `chat-client host bob Bob Smith bob`: the real name was not quoted.
        realname = " ".join([args.real_name, args.username, *args.extra[:-1]])
        parser.error(f"too many arguments ({' '.join(args.extra)}); a real name with spaces needs quotes: "
                     f"chat-client {args.server} {args.nickname} \"{realname}\" {args.extra[-1]}")
    try:
        host, port = split_address(args.server)
    except AddressError as error:
        parser.error(str(error))
    if port is not None and args.port is not None and port != args.port:
        parser.error(f"two ports given: {port} in {args.server!r} and --port {args.port}")
    port = port or args.port or (DEFAULT_TLS_PORT if _wants_tls(args) else DEFAULT_PORT)
    if len(args.nickname) > NICK_MAX:
        parser.error(f"nickname {args.nickname!r} is too long (at most {NICK_MAX} characters)")
    if not valid_nick(args.nickname, NICK_MAX):
        parser.error(f"nickname {args.nickname!r} is not valid (start with a letter; letters, digits, "
                     "[]\\`_^{|}- only)")
    if not args.username or any(c in args.username for c in " @!:\r\n\0"):
        parser.error(f"user name {args.username!r} is not valid (no spaces, @, ! or :)")
    if not args.real_name.strip() or any(c in args.real_name for c in "\r\n\0"):
        parser.error("real name must not be empty")
    return ClientConfig(host=host, port=port, nick=args.nickname, realname=args.real_name.strip(),
                        username=args.username, room=args.room, reconnect=not args.no_reconnect,
                        plain=args.plain, tls=_tls(parser, args), send_burst=args.send_burst,
                        send_rate=args.send_rate, paste_lines=args.paste_lines,
                        refused_retry=args.refused_retry, nick_poll=args.nick_poll,
                        connect_timeout=args.connect_timeout, scrollback=args.scrollback,
                        history_lines=args.history_lines, history_catchup=args.history_catchup,
                        history_dm_days=args.history_dm_days, history_dm_max=args.history_dm_max,
                        echo_timeout=args.echo_timeout, history_wait=args.history_wait,
                        nicklist_cols=args.nicklist_cols,
                        sasl=_sasl(parser, args), account=args.account or "",
                        sasl_required=args.sasl_required, password_env=args.password_env)


def _wants_tls(args: argparse.Namespace) -> bool:
    return bool(args.tls or args.tls_ca or args.tls_fingerprint or args.tls_insecure or args.tls_cert)


def _sasl(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The mechanism to log in with: EXTERNAL with a client certificate, else PLAIN; None without --sasl."""
    wanted = args.sasl or args.account is not None or args.sasl_required
    if args.account is not None and not valid_nick(args.account, NICK_MAX):
        parser.error(f"--account {args.account!r} is not a valid account name")
    if args.tls_key and not args.tls_cert:
        parser.error("--tls-key goes with --tls-cert (the certificate it is the key of)")
    if not wanted:
        return None
    return "EXTERNAL" if args.tls_cert else "PLAIN"


def _tls(parser: argparse.ArgumentParser, args: argparse.Namespace) -> TlsConfig:
    """The TLS flags: any of them turns TLS on; a CA file and a pin or no check at all exclude each other."""
    if not _wants_tls(args):
        return TlsConfig()
    chosen = [flag for flag, on in (("--tls-ca", args.tls_ca), ("--tls-fingerprint", args.tls_fingerprint),
                                    ("--tls-insecure", args.tls_insecure)) if on]
    if len(chosen) > 1:
        parser.error(f"{' and '.join(chosen)} exclude each other: choose one way to trust the server")
    fingerprint = None
    if args.tls_fingerprint:
        try:
            fingerprint = parse_fingerprint(args.tls_fingerprint)
        except FingerprintError as error:
            parser.error(f"--tls-fingerprint: {error}")
    for flag, path in (("--tls-ca", args.tls_ca), ("--tls-cert", args.tls_cert), ("--tls-key", args.tls_key)):
        if path and not os.path.isfile(path):
            parser.error(f"{flag}: no such file: {path!r}")
    tls = TlsConfig(enabled=True, ca_file=args.tls_ca, insecure=args.tls_insecure, fingerprint=fingerprint,
                    cert_file=args.tls_cert, key_file=args.tls_key)
    try:
        make_context(dataclasses.replace(tls, cert_file=None))
    except (OSError, ssl.SSLError) as error:
        parser.error(f"--tls-ca: {args.tls_ca!r} holds no usable CA certificate ({describe_tls_error(error)})")
    if tls.cert_file:
        try:
            make_context(tls)
        except (OSError, ssl.SSLError) as error:
            which = "--tls-cert and --tls-key" if tls.key_file else "--tls-cert"
            parser.error(f"{which}: not a usable certificate and key ({describe_tls_error(error)})")
    return tls


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


def _why_line_mode(config: ClientConfig) -> str | None:
    """Why the full screen cannot run, in words (None: it can)."""
    if config.plain:
        return None
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        if os.environ.get("SSH_CONNECTION") and not os.environ.get("SSH_TTY"):
            return "ssh gave no terminal (run ssh with -t for the full screen); using line mode"
        which = "standard input" if not sys.stdin.isatty() else "standard output"
        return f"{which} is not a terminal; using line mode (--plain says so and silences this)"
    if not _terminal_usable():
        return f"the terminal type {os.environ.get('TERM', '')!r} cannot run full screen; using line mode"
    return None


def main(argv: list[str] | None = None) -> int:
    try:
        config = config_from_args(argv)
    except SystemExit as exit:  # argparse printed the usage line and the error
        return int(exit.code or 0)
    if config.sasl == "PLAIN":
        try:
            config = dataclasses.replace(config, password=read_password(config.password_env,
                                                                          config.account or config.nick))
        except PasswordError as error:
            print(f"chat-client: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(file=sys.stderr)
            return 130
    try:
        locale.setlocale(locale.LC_ALL, "")
    except locale.Error:
        pass  # an unknown locale in the environment: carry on with "C"
    try:
        why = _why_line_mode(config)
        if why is None and not config.plain:
            from . import app
            return app.run(config)
        if why is not None:
            print(f"chat-client: {why}", file=sys.stderr, flush=True)
        from . import linemode
        return linemode.run(config)
    except KeyboardInterrupt:  # Ctrl-C before the loop took over signals
        return 130
