"""What a typed line means: chat text or a /command, turned into messages to send.

One table, COMMANDS, from name to handler. The server does not echo our own
messages, so handlers also add the local line the user expects to see. An
unknown command or a missing argument is a one-line local error and sends
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from geventchat.protocol.message import ParseError, parse
from geventchat.protocol.names import valid_nick

from .state import ChatState, Kind

Reply = tuple[str, ...]

DEFAULT_QUIT = "Leaving"


@dataclass
class Outcome:
    """Messages to send, and whether (and with what message) to quit."""

    send: list[Reply] = field(default_factory=list)
    quit: str | None = None


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
    state.add(now, Kind.MESSAGE, text, state.nick, own=True)
    return Outcome([("PRIVMSG", state.target(), text)])


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
    return Outcome([("NICK", new)])


@command("msg", "/msg <nick> <text>", True, "send a private message")
def _msg(state: ChatState, arg: str, now: float) -> Outcome:
    target, _, text = arg.partition(" ")
    text = text.strip()
    if not text:
        state.error(now, "Usage: /msg <nick> <text>")
        return Outcome()
    if target.startswith("#"):
        state.add(now, Kind.MESSAGE, text, state.nick, own=True)
    else:
        state.add(now, Kind.PRIVATE_OUT, text, target, own=True)
    return Outcome([("PRIVMSG", target, text)])


@command("me", "/me <action>", True, "describe what you do (shown as * nick action)")
def _me(state: ChatState, arg: str, now: float) -> Outcome:
    state.add(now, Kind.ACTION, arg, state.nick, own=True)
    return Outcome([("PRIVMSG", state.target(), f"\x01ACTION {arg}\x01")])


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


@command("help", "/help", False, "this list")
def _help(state: ChatState, arg: str, now: float) -> Outcome:
    state.status(now, "Commands:")
    for entry in COMMANDS.values():
        state.status(now, f"  {entry.usage:<22} {entry.help}")
    state.status(now, "Keys: PageUp/PageDown scroll, Up/Down history, Tab completes nicks, Ctrl-C quits")
    return Outcome()
