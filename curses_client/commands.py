"""What a typed line means: chat text or a /command, turned into messages to send.

One table, COMMANDS, from name to handler. The server does not echo our own
messages, so handlers also add the local line the user expects to see. An
unknown command or a missing argument is a one-line local error and sends
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from geventchat.protocol.message import MAX_LINE, ParseError, parse
from geventchat.protocol.names import valid_nick

from .state import ChatState, Kind, Line

Reply = tuple[str, ...]

DEFAULT_QUIT = "Leaving"

USERLEN_ALLOWANCE = 10
HOSTLEN_ALLOWANCE = 63
"""Until the server shows us our own prefix, assume the longest user and host it may use."""


@dataclass
class Outcome:
    """Messages to send, and whether (and with what message) to quit.

    `lines` maps an index in `send` to the line shown for that message, so
    the session can mark it while pacing holds it back.
    """

    send: list[Reply] = field(default_factory=list)
    quit: str | None = None
    lines: dict[int, Line] = field(default_factory=dict)
    nick: str | None = None      # the nick the user now wants (kept across reconnects)
    reconnect: bool = False


@dataclass(frozen=True)
class Command:
    handler: Callable[[ChatState, str, float], Outcome]
    usage: str
    needs_arg: bool
    help: str


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, needs_arg: bool, help: str) -> Callable:
    def register(fn: Callable[[ChatState, str, float], Outcome]) -> Callable:
        COMMANDS[name] = Command(fn, usage, needs_arg, help)
        return fn
    return register


def parse_input(state: ChatState, line: str, now: float) -> Outcome:
    """Interpret one submitted input line."""
    if not line.strip():
        return Outcome()
    if line == "QUIT" or line.startswith("QUIT "):
        # The original client's way out: a bare QUIT line.
        return _quit(state, line[5:], now)
    if line.startswith("/") and not line.startswith("//"):
        name, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        entry = COMMANDS.get(name.lower())
        if entry is None:
            state.error(now, f"Unknown command /{name}; /help lists the commands")
            return Outcome()
        if entry.needs_arg and not arg:
            state.error(now, f"Usage: {entry.usage}")
            return Outcome()
        return entry.handler(state, arg, now)
    if line.startswith("//"):
        line = line[1:]  # `//path` sends a line starting with one slash
    return say(state, line, now)


def say(state: ChatState, text: str, now: float) -> Outcome:
    """A plain line goes to the room."""
    if state.room is None and not state.wanted_room:
        state.error(now, "You are not in a room; /msg <nick> <text> to talk to someone")
        return Outcome()
    return _privmsg(state, state.target(), text, Kind.MESSAGE, now)


def text_budget(state: ChatState, target: str, extra: int = 0) -> int:
    """Bytes of text that fit in one PRIVMSG as the server relays it, with our prefix in front.

    The server adds `:nick!user@host`; until the server has shown us ours
    (in our JOIN), allow for the longest user and host names.
    """
    prefix = state.prefix or f"{state.nick}!{'u' * USERLEN_ALLOWANCE}@{'h' * HOSTLEN_ALLOWANCE}"
    overhead = len(f":{prefix} PRIVMSG {target} :".encode()) + len(b"\r\n") + extra
    return max(32, MAX_LINE - overhead)


def split_text(text: str, budget: int) -> list[str]:
    """Cut text into pieces of at most `budget` UTF-8 bytes, after a space when there is one.

    So a long line reaches others whole, as several messages, instead of
    being cut short by the 512-byte line limit.
    """
    pieces: list[str] = []
    while len(text.encode()) > budget:
        cut = len(text.encode()[:budget].decode("utf-8", "ignore"))  # characters that fit
        space = text.rfind(" ", 0, cut + 1)
        if space > cut // 2:
            pieces.append(text[:space])
            text = text[space + 1:]
        else:
            pieces.append(text[:cut])
            text = text[cut:]
    pieces.append(text)
    return [piece for piece in pieces if piece] or [""]


def _privmsg(state: ChatState, target: str, text: str, kind: Kind, now: float) -> Outcome:
    """Send text to a room or a nick, split to fit, each piece echoed as we send it."""
    action = kind is Kind.ACTION
    out = Outcome()
    for piece in split_text(text, text_budget(state, target, extra=len("\x01ACTION \x01") if action else 0)):
        out.lines[len(out.send)] = state.add(now, kind, piece, target if kind is Kind.PRIVATE_OUT else state.nick,
                                             own=True)
        out.send.append(("PRIVMSG", target, f"\x01ACTION {piece}\x01" if action else piece))
    return out


@command("quit", "/quit [message]", False, "leave the chat (the message is shown to others)")
def _quit(state: ChatState, arg: str, now: float) -> Outcome:
    message = arg.strip() or DEFAULT_QUIT
    state.status(now, f"Quitting ({message})")
    return Outcome([("QUIT", message)], quit=message)


@command("nick", "/nick <new nick>", True, "change your nickname")
def _nick(state: ChatState, arg: str, now: float) -> Outcome:
    new = arg.split()[0]
    if not valid_nick(new, state.nicklen):
        state.error(now, f"Not a valid nick: {new} (letters, digits, []\\`_^{{|}}-, at most {state.nicklen})")
        return Outcome()
    return Outcome([("NICK", new)], nick=new)


@command("msg", "/msg <nick> <text>", True, "send a private message")
def _msg(state: ChatState, arg: str, now: float) -> Outcome:
    target, _, text = arg.partition(" ")
    text = text.strip()
    if not text:
        state.error(now, "Usage: /msg <nick> <text>")
        return Outcome()
    return _privmsg(state, target, text, Kind.MESSAGE if target[:1] in "#&" else Kind.PRIVATE_OUT, now)


@command("me", "/me <action>", True, "describe what you do (shown as * nick action)")
def _me(state: ChatState, arg: str, now: float) -> Outcome:
    return _privmsg(state, state.target(), arg, Kind.ACTION, now)


@command("whois", "/whois <nick>", True, "who someone is")
def _whois(state: ChatState, arg: str, now: float) -> Outcome:
    return Outcome([("WHOIS", arg.split()[0])])


@command("names", "/names", False, "who is in the room")
def _names(state: ChatState, arg: str, now: float) -> Outcome:
    return Outcome([("NAMES", arg.split()[0] if arg else state.target())])


@command("who", "/who [mask]", False, "list users with their hosts and real names")
def _who(state: ChatState, arg: str, now: float) -> Outcome:
    return Outcome([("WHO", arg.split()[0] if arg else state.target())])


@command("join", "/join <#room>", True, "join a room (on servers that have more than one)")
def _join(state: ChatState, arg: str, now: float) -> Outcome:
    room = arg.split()[0]
    if room[:1] not in "#&":
        state.error(now, f"Not a room name: {room} (rooms start with #)")
        return Outcome()
    state.wanted_room = room
    return Outcome([("JOIN", room)])


@command("raw", "/raw <IRC line>", True, "send a line to the server as it is")
def _raw(state: ChatState, arg: str, now: float) -> Outcome:
    try:
        msg = parse(arg)
    except ParseError:
        state.error(now, "Usage: /raw <IRC line>")
        return Outcome()
    return Outcome([(msg.command, *msg.params)], quit="raw" if msg.command == "QUIT" else None)


@command("reconnect", "/reconnect", False, "connect to the server again now")
def _reconnect(state: ChatState, arg: str, now: float) -> Outcome:
    return Outcome(reconnect=True)


@command("help", "/help", False, "this list")
def _help(state: ChatState, arg: str, now: float) -> Outcome:
    state.status(now, "Commands:")
    for entry in COMMANDS.values():
        state.status(now, f"  {entry.usage:<22} {entry.help}")
    state.status(now, "Keys: PageUp/PageDown scroll, Up/Down history, Tab completes nicks, "
                 "Alt-b/Alt-f move by words, Ctrl-C quits")
    return Outcome()
