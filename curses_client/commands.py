"""What a typed line means: chat text or a /command, turned into messages to send.

One table, COMMANDS, from name to handler; each handler gets the window the
line was typed in (`here`), so a plain line, /part or /topic apply to that
channel. Our own lines are shown at once in the window they belong to (with
echo-message the server confirms them later). An unknown command or a
missing argument is a one-line local error and sends nothing. Passwords
(/register, /identify, NickServ) are never shown and never kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from geventchat.protocol.message import MAX_LINE, ParseError, parse
from geventchat.protocol.names import casefold, valid_nick

from . import accounts
from .sasl import Login
from .state import ChatState, Kind, Line, Window, WindowKind

Reply = tuple[str, ...]

DEFAULT_QUIT = "Leaving"

USERLEN_ALLOWANCE = 10
HOSTLEN_ALLOWANCE = 63
"""Until the server shows us our own prefix, assume the longest user and host it may use."""

SECRET_WORDS = ("IDENTIFY", "REGISTER", "SET", "GHOST", "RECOVER", "REGAIN", "DROP", "GROUP")
"""NickServ commands whose arguments may hold a password: shown masked."""

SERVICES = frozenset({"nickserv", "chanserv", "memoserv", "operserv", "hostserv", "botserv"})
"""Service users answer in notices where one is: writing to them opens no window of its own."""


@dataclass
class Outcome:
    """Messages to send, and whether (and with what message) to quit.

    `lines` maps an index in `send` to the line shown for that message, so
    the session can mark it while pacing holds it back and until the server
    echoes it.
    """

    send: list[Reply] = field(default_factory=list)
    quit: str | None = None
    lines: dict[int, Line] = field(default_factory=dict)
    nick: str | None = None      # the nick the user now wants (kept across reconnects)
    reconnect: bool = False


@dataclass(frozen=True)
class Command:
    handler: Callable[[ChatState, str, float, Window], Outcome]
    usage: str
    needs_arg: bool
    help: str


COMMANDS: dict[str, Command] = {}
ALIASES: dict[str, str] = {"j": "join", "q": "query", "wc": "close", "w": "window", "t": "topic", "k": "kick",
                           "m": "msg", "p": "part", "leave": "part", "ns": "nickserv"}


def command(name: str, usage: str, needs_arg: bool, help: str) -> Callable:
    def register(fn: Callable[[ChatState, str, float, Window], Outcome]) -> Callable:
        COMMANDS[name] = Command(fn, usage, needs_arg, help)
        return fn
    return register


def parse_input(state: ChatState, line: str, now: float, here: Window | None = None) -> Outcome:
    """Interpret one submitted input line, typed in window `here` (the one on screen when not given)."""
    here = here if here is not None and here in state.windows.items else state.windows.active
    if not line.strip():
        return Outcome()
    if line == "QUIT" or line.startswith("QUIT "):
        # The original client's way out: a bare QUIT line.
        return _quit(state, line[5:], now, here)
    if line.startswith("/") and not line.startswith("//"):
        name, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        entry = COMMANDS.get(ALIASES.get(name.lower(), name.lower()))
        if entry is None:
            state.error(now, f"Unknown command /{name}; /help lists the commands")
            return Outcome()
        if entry.needs_arg and not arg:
            state.error(now, f"Usage: {entry.usage}")
            return Outcome()
        return entry.handler(state, arg, now, here)
    if line.startswith("//"):
        line = line[1:]  # `//path` sends a line starting with one slash
    return say(state, line, now, here)


def is_secret(line: str) -> bool:
    """A typed line that holds a password: it is not kept in the input history."""
    words = line.split()
    if not words:
        return False
    first = words[0].lower()
    if first in ("/register", "/identify", "/oper", "/ns", "/nickserv"):
        return True
    return (first in ("/msg", "/m") and len(words) > 2 and casefold(words[1]) == "nickserv"
            and words[2].upper() in SECRET_WORDS)


def say(state: ChatState, text: str, now: float, here: Window | None = None) -> Outcome:
    """A plain line goes to the channel or person of the window it was typed in."""
    here = here if here is not None and here in state.windows.items else state.windows.active
    target = state.target(here)
    if target is None:
        state.error(now, "This is the status window: /window <number> goes to a channel, "
                    "/msg <nick> <text> talks to someone")
        return Outcome()
    return _privmsg(state, target, text, Kind.MESSAGE, now, here)


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


def _privmsg(state: ChatState, target: str, text: str, kind: Kind, now: float, here: Window) -> Outcome:
    """Send text to a channel or a nick, split to fit, each piece shown as we send it.

    A line to a person goes to the window of that conversation (opened if
    need be), with a copy in the window it was typed in; a line to a service
    (NickServ) stays where it was typed, its password masked.
    """
    action = kind is Kind.ACTION
    out = Outcome()
    channel = state.features.is_channel(target)
    if channel or casefold(target) in SERVICES:
        window = state.windows.find(target)
    else:
        window = state.query(target)
    shown_text = _masked(target, text)
    for piece in split_text(text, text_budget(state, target, extra=len("\x01ACTION \x01") if action else 0)):
        shown = shown_text if shown_text != text else piece
        if window is not None:
            line = state.add(now, kind, shown, state.nick, own=True, window=window)
            if window is not here:
                copy = Line(now, Kind.ACTION if action else Kind.PRIVATE_OUT, shown,
                            state.nick if action else target, own=True)
                here.append(copy, journal=False)
        else:
            line = state.add(now, Kind.PRIVATE_OUT, shown, target, own=True, window=here)
        out.lines[len(out.send)] = line
        out.send.append(("PRIVMSG", target, f"\x01ACTION {piece}\x01" if action else piece))
    return out


def _masked(target: str, text: str) -> str:
    """`IDENTIFY secret` to NickServ shows as `IDENTIFY ********`."""
    words = text.split(" ", 1)
    if casefold(target) == "nickserv" and words[0].upper() in SECRET_WORDS and len(words) > 1:
        return f"{words[0]} ********"
    return text


def _channel_here(state: ChatState, here: Window, arg: str) -> tuple[str | None, str]:
    """A command's channel: named first in `arg`, else the channel of the window it was typed in."""
    first, _, rest = arg.partition(" ")
    if first and state.features.is_channel(first):
        return first, rest.strip()
    if here.is_channel:
        return here.name, arg
    return None, arg


def _no_channel(state: ChatState, now: float, usage: str) -> Outcome:
    state.error(now, f"Not a channel window: name the channel ({usage})")
    return Outcome()


# --- leaving, names, talking ---------------------------------------------------

@command("quit", "/quit [message]", False, "leave the chat (the message is shown to others)")
def _quit(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    message = arg.strip() or DEFAULT_QUIT
    state.status(now, f"Quitting ({message})")
    return Outcome([("QUIT", message)], quit=message)


@command("nick", "/nick <new nick>", True, "change your nickname")
def _nick(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    new = arg.split()[0]
    nicklen = state.features.nicklen
    if not valid_nick(new, nicklen):
        state.error(now, f"Not a valid nick: {new} (letters, digits, []\\`_^{{|}}-, at most {nicklen})")
        return Outcome()
    return Outcome([("NICK", new)], nick=new)


@command("msg", "/msg <nick|#channel> <text>", True, "send a message (to a person: in a window of its own)")
def _msg(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    target, _, text = arg.partition(" ")
    text = text.strip()
    if not text:
        state.error(now, "Usage: /msg <nick|#channel> <text>")
        return Outcome()
    return _privmsg(state, target, text, Kind.MESSAGE, now, here)


@command("query", "/query <nick> [text]", True, "open a window to talk with someone")
def _query(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    nick, _, text = arg.partition(" ")
    if state.features.is_channel(nick) or not valid_nick(nick, 64):
        state.error(now, f"Not a nick: {nick}")
        return Outcome()
    window = state.query(nick)
    state.windows.show(window)
    return _privmsg(state, nick, text.strip(), Kind.MESSAGE, now, window) if text.strip() else Outcome()


@command("me", "/me <action>", True, "describe what you do (shown as * nick action)")
def _me(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    target = state.target(here)
    if target is None:
        return say(state, arg, now, here)
    return _privmsg(state, target, arg, Kind.ACTION, now, here)


@command("notice", "/notice <nick|#channel> <text>", True, "send a notice (never answered automatically)")
def _notice(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    target, _, text = arg.partition(" ")
    if not text.strip():
        state.error(now, "Usage: /notice <nick|#channel> <text>")
        return Outcome()
    line = state.add(now, Kind.NOTICE, text.strip(), f"to {target}", own=True, window=here)
    return Outcome([("NOTICE", target, text.strip())], lines={0: line})


@command("whois", "/whois <nick>", True, "who someone is")
def _whois(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    return Outcome([("WHOIS", arg.split()[0])])


@command("names", "/names [#channel]", False, "who is in the channel")
def _names(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    channel, _ = _channel_here(state, here, arg)
    target = channel or state.target(here)
    if target is None:
        return _no_channel(state, now, "/names #channel")
    return Outcome([("NAMES", target)])


@command("who", "/who [mask]", False, "list users with their hosts and real names")
def _who(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    target = arg.split()[0] if arg else state.target(here)
    if target is None:
        return _no_channel(state, now, "/who #channel")
    return Outcome([("WHO", target)])


# --- channels ------------------------------------------------------------------

@command("join", "/join <#channel>[,#other] [key]", True, "join a channel; its window opens and is shown")
def _join(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    names, _, keys = arg.partition(" ")
    names_list = [name for name in names.split(",") if name]
    bad = [name for name in names_list if not state.features.is_channel(name)]
    if bad or not names_list:
        state.error(now, f"Not a channel name: {(bad or [names])[0]} (channels start with "
                    f"{' or '.join(state.features.chantypes or '#')})")
        return Outcome()
    key_list = keys.split()[0].split(",") if keys.split() else []
    out = Outcome()
    for index, name in enumerate(names_list):
        key = key_list[index] if index < len(key_list) else ""
        window = state.windows.find(name)
        if window is not None and window.joined:
            state.windows.show(window)
            continue
        state.wanted[casefold(name)] = (name, key)
        state.join_asked.add(casefold(name))
        out.send.append(("JOIN", name, key) if key else ("JOIN", name))
    return out


@command("part", "/part [#channel] [reason]", False, "leave a channel; its window closes")
def _part(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    channel, reason = _channel_here(state, here, arg)
    if channel is None:
        return _no_channel(state, now, "/part #channel")
    window = state.windows.find(channel)
    state.wanted.pop(casefold(channel), None)
    if window is not None and not window.joined:  # kicked or disconnected: nothing to tell the server
        state.windows.close(window)
        state.changed = True
        return Outcome()
    return Outcome([("PART", channel, reason)] if reason else [("PART", channel)])


@command("topic", "/topic [#channel] [new topic]", False, "show the channel's topic, or set it")
def _topic(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    channel, text = _channel_here(state, here, arg)
    if channel is None:
        return _no_channel(state, now, "/topic #channel [text]")
    return Outcome([("TOPIC", channel, text)] if text else [("TOPIC", channel)])


@command("kick", "/kick [#channel] <nick> [reason]", True, "put someone out of the channel (operators)")
def _kick(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    channel, rest = _channel_here(state, here, arg)
    nick, _, reason = rest.partition(" ")
    if channel is None or not nick:
        return _no_channel(state, now, "/kick #channel <nick> [reason]") if channel is None else \
            _usage(state, now, "/kick [#channel] <nick> [reason]")
    return Outcome([("KICK", channel, nick, reason.strip())] if reason.strip() else [("KICK", channel, nick)])


@command("mode", "/mode [#channel|nick] [+modes [arguments]]", False, "show or change modes (+o nick, +k key ...)")
def _mode(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    words = arg.split()
    if words and not words[0].startswith(("+", "-")):
        return Outcome([("MODE", *words)])
    if here.is_channel:
        return Outcome([("MODE", here.name, *words)])
    return Outcome([("MODE", state.nick, *words)])


def _prefix_mode(mode: str) -> Callable[[ChatState, str, float, Window], Outcome]:
    def handler(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
        channel, rest = _channel_here(state, here, arg)
        nicks = rest.split()
        if channel is None:
            return _no_channel(state, now, f"/{mode} #channel <nick>")
        if not nicks:
            return _usage(state, now, f"/{mode} [#channel] <nick>...")
        sign, letter = ("-", mode[2]) if mode.startswith("de") else ("+", mode[0])
        return Outcome([("MODE", channel, sign + letter * len(nicks[i:i + 4]), *nicks[i:i + 4])
                        for i in range(0, len(nicks), 4)])
    return handler


for _name, _what in (("op", "make operators"), ("deop", "take operator status from"),
                     ("voice", "give a voice to"), ("devoice", "take the voice from")):
    command(_name, f"/{_name} [#channel] <nick>...", True, f"{_what} people in the channel")(_prefix_mode(_name))


@command("invite", "/invite <nick> [#channel]", True, "ask someone into a channel")
def _invite(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    words = arg.split()
    channel = words[1] if len(words) > 1 else here.name if here.is_channel else None
    if channel is None:
        return _no_channel(state, now, "/invite <nick> #channel")
    return Outcome([("INVITE", words[0], channel)])


@command("list", "/list [filter]", False, "list the server's channels")
def _list(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    return Outcome([("LIST", *arg.split())])


# --- windows -------------------------------------------------------------------

@command("window", "/window <n>|next|prev|close|list", True, "switch windows (Alt-1..9 too), close one, list them")
def _window(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    word = arg.split()[0].lower()
    windows = state.windows
    if word.isdigit():
        if not windows.show_number(int(word)):
            state.error(now, f"No window {word}: there are {len(windows)} (/window list)")
    elif word in ("next", "n"):
        windows.step(1)
    elif word in ("prev", "previous", "p"):
        windows.step(-1)
    elif word == "close":
        return _close(state, "", now, windows.active)
    elif word == "list":
        for number, window in enumerate(windows, start=1):
            what = {WindowKind.STATUS: "server messages", WindowKind.QUERY: "private conversation"}.get(
                window.kind, "channel" if window.joined else "channel (not joined)")
            state.status(now, f"{number:>2}: {window.label} ({what})")
    else:
        found = windows.find(word)
        if found is None:
            state.error(now, f"Usage: {COMMANDS['window'].usage}")
        else:
            windows.show(found)
    state.changed = True
    return Outcome()


@command("close", "/close", False, "close this window (leaving its channel)")
def _close(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    if here is state.windows.status:
        state.error(now, "The status window stays open")
        return Outcome()
    if here.is_channel and here.joined:
        return _part(state, here.name, now, here)
    if here.is_channel:
        state.wanted.pop(casefold(here.name), None)
    state.windows.close(here)
    state.changed = True
    return Outcome()


# --- accounts ------------------------------------------------------------------

@command("register", "/register <password> [email]", True, "make an account named after your nick")
def _register(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    password, _, email = arg.partition(" ")
    state.status(now, f"Registering the account {state.nick}…")
    if "draft/account-registration" in state.offered:
        return Outcome([("REGISTER", "*", email.strip() or "*", password)])
    words = ["REGISTER", password] + ([email.strip()] if email.strip() else [])
    return Outcome([("PRIVMSG", "NickServ", " ".join(words))])


@command("identify", "/identify [account] <password>", True, "log in to your account")
def _identify(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    words = arg.split()
    account, password = (words[0], words[1]) if len(words) > 1 else (state.nick, words[0])
    if state.account is not None:
        state.error(now, f"You are already logged in as {state.account}")
        return Outcome()
    state.status(now, f"Logging in as {account}…")
    if "sasl" in state.caps:
        return Outcome(accounts.identify(state, Login("PLAIN", account, password)))
    return Outcome([("PRIVMSG", "NickServ", f"IDENTIFY {account} {password}")])


@command("nickserv", "/nickserv <command>", True, "talk to NickServ (passwords are not shown)")
def _nickserv(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    return _privmsg(state, "NickServ", arg, Kind.MESSAGE, now, here)


# --- the rest --------------------------------------------------------------------

@command("raw", "/raw <IRC line>", True, "send a line to the server as it is")
def _raw(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    try:
        msg = parse(arg)
    except ParseError:
        state.error(now, "Usage: /raw <IRC line>")
        return Outcome()
    return Outcome([(msg.command, *msg.params)], quit="raw" if msg.command == "QUIT" else None)


@command("reconnect", "/reconnect", False, "connect to the server again now")
def _reconnect(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    return Outcome(reconnect=True)


@command("help", "/help", False, "this list")
def _help(state: ChatState, arg: str, now: float, here: Window) -> Outcome:
    state.status(now, "Commands:")
    width = max(len(entry.usage) for entry in COMMANDS.values())
    for entry in COMMANDS.values():
        state.status(now, f"  {entry.usage:<{width}}  {entry.help}")
    state.status(now, "Keys: Alt-1..9 or Ctrl-N/Ctrl-P switch windows, PageUp/PageDown scroll (older history "
                 "at the top), Up/Down recall lines, Tab completes nicks and channels, Ctrl-C quits")
    return Outcome()


def _usage(state: ChatState, now: float, usage: str) -> Outcome:
    state.error(now, f"Usage: {usage}")
    return Outcome()
