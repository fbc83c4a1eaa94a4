"""What each server message does to the client: state changes, screen lines, replies.

One table, HANDLERS, from command or numeric to a function
`(state, msg, now) -> replies`, where replies are messages to send back
(PONG, CAP END, an alternative NICK). No I/O: the session sends the replies.
A message nobody handles still shows up in words rather than vanishing, and
nothing a server sends can raise out of here.
"""

from __future__ import annotations

import re
import time
from typing import Callable

from geventchat.protocol import numerics as N
from geventchat.protocol.message import Message
from geventchat.protocol.names import casefold, valid_nick

from .refusal import Retry, judge_error
from .state import ChatState, Kind, Phase

Reply = tuple[str, ...]
Handler = Callable[[ChatState, Message, float], list[Reply]]

ERR_UNAVAILRESOURCE = "437"   # nick temporarily unavailable (RFC 2812)
RPL_MONONLINE = "730"         # MONITOR (IRCv3): a watched nick is online
RPL_MONOFFLINE = "731"        # ... is offline: free to take

WELCOME_BLOCK = {N.RPL_YOURHOST, N.RPL_CREATED, N.RPL_MYINFO, N.RPL_LUSERCLIENT, N.RPL_LUSEROP,
                 N.RPL_LUSERUNKNOWN, N.RPL_LUSERCHANNELS, N.RPL_LUSERME, N.RPL_LOCALUSERS,
                 N.RPL_GLOBALUSERS, N.RPL_MOTDSTART, N.RPL_MOTD, "250"}
"""Numerics of the welcome block, shown on the first connection only (not again on each reconnect)."""

JOIN_GRACE = 0.5
"""Seconds after the welcome to wait for the server to put us in a room before we JOIN."""

CLIENT_VERSION = "geventchat curses client"

_FORMATTING = re.compile(r"\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]")
_MODE_PREFIXES = "~&@%+"

HANDLERS: dict[str, Handler] = {}


def handles(*commands: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for command in commands:
            HANDLERS[command] = fn
        return fn
    return register


def handle(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """Apply one server message; return what to send back."""
    handler = HANDLERS.get(msg.command)
    if handler is not None:
        return handler(state, msg, now)
    if msg.command.isdigit():
        return _numeric(state, msg, now)
    return []  # commands we have no use for (MODE, ...) change nothing on screen


def nick_of(prefix: str | None) -> str:
    return (prefix or "").split("!", 1)[0]


def userhost_of(prefix: str | None) -> str:
    return (prefix or "").partition("!")[2]


def _last(msg: Message) -> str:
    """The trailing parameter, or "" when a server sent none."""
    return msg.params[-1] if msg.params else ""


def strip_formatting(text: str) -> str:
    """Drop mIRC colour and bold codes: we show text, not control bytes."""
    return _FORMATTING.sub("", text)


def is_channel(name: str) -> bool:
    return name[:1] in "#&+!"


def alternative_nick(nick: str, nicklen: int) -> str:
    """A nick to try when `nick` is taken: append `_`, or replace the tail with a number.

    alice -> alice_ -> alice__ ...; when no room is left, alice1, alice2 ...
    """
    if len(nick) < nicklen:
        return nick + "_"
    stem = nick.rstrip("_0123456789") or "guest"
    digits = nick[len(stem):].strip("_")
    number = int(digits) + 1 if digits.isdigit() else 1
    suffix = str(number)
    return stem[:max(1, nicklen - len(suffix))] + suffix


# --- connection and registration ---------------------------------------

@handles("PING")
def ping(state: ChatState, msg: Message, now: float) -> list[Reply]:
    return [("PONG", msg.param(0))]


@handles("PONG")
def pong(state: ChatState, msg: Message, now: float) -> list[Reply]:
    return []


@handles("CAP")
def cap(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """We ask for no capabilities: end negotiation once the list is complete."""
    sub = msg.param(1).upper()
    if sub == "LS" and msg.param(2) == "*":
        return []  # more LS lines follow
    if sub in ("LS", "ACK", "NAK"):
        return [("CAP", "END")]
    return []


@handles(N.RPL_WELCOME)
def welcome(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """The welcome block is shown once; a reconnect gets one line instead."""
    state.nick = msg.param(0) or state.nick
    state.phase = Phase.CONNECTED
    state.detail = ""
    if msg.prefix:
        state.server = msg.prefix
    if state.quiet_welcome:
        state.status(now, f"Reconnected to {state.server} as {state.nick}")
    else:
        state.status(now, strip_formatting(_last(msg) or "Welcome"))
    state.welcomed = True
    if state.asked_nick and not state.is_me(state.asked_nick):
        state.status(now, f"You are connected as {state.nick} ({state.asked_nick} was not available)")
    return []


@handles(N.RPL_ISUPPORT)
def isupport(state: ChatState, msg: Message, now: float) -> list[Reply]:
    for token in msg.params[1:-1]:
        name, _, value = token.partition("=")
        if name == "NICKLEN" and value.isdigit() and int(value) > 0:
            state.nicklen = int(value)
        elif name == "MONITOR":
            state.monitor = True
        elif name == "-MONITOR":
            state.monitor = False
    return []


@handles(N.RPL_ENDOFMOTD, N.ERR_NOMOTD)
def end_of_welcome(state: ChatState, msg: Message, now: float) -> list[Reply]:
    if msg.command == N.RPL_ENDOFMOTD and not state.quiet_welcome:
        state.status(now, strip_formatting(_last(msg)))
    state.quiet_welcome = False
    state.motd_done = True
    if state.room is None:
        state.join_due = now + JOIN_GRACE
    return []


@handles(N.ERR_NICKNAMEINUSE, ERR_UNAVAILRESOURCE, N.ERR_ERRONEUSNICKNAME)
def nick_refused(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """At registration: try another nick and say so. Later: say so, unless it was our own try to
    take our nick back (it is still taken; we keep watching)."""
    wanted = msg.param(1)
    why = "is already in use" if msg.command != N.ERR_ERRONEUSNICKNAME else "is not a valid nickname"
    if state.phase is Phase.CONNECTED:
        if state.reclaiming and casefold(wanted) == casefold(state.wanted_nick):
            state.reclaiming = False
            return []
        state.error(now, f"Nick {wanted} {why}")
        return []
    if msg.command == N.ERR_ERRONEUSNICKNAME and len(wanted) > 9 and valid_nick(wanted[:9], 9):
        new = wanted[:9]  # longer than this server allows: RFC 1459's nine always are
    elif msg.command == N.ERR_ERRONEUSNICKNAME or not valid_nick(alternative_nick(wanted, state.nicklen), 30):
        new = f"guest{int(now * 1000) % 10000}"[:state.nicklen]
    else:
        new = alternative_nick(wanted or state.nick, max(state.nicklen, len(wanted)))
    state.error(now, f"Nick {wanted} {why}; trying {new}")
    state.nick = new
    return [("NICK", new)]


@handles("ERROR")
def error(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """The server closes the link and says why; after our own QUIT that is no error."""
    text = strip_formatting(msg.param(0))
    if state.quitting:
        state.status(now, f"Server closed the link: {text}")
        return []
    verdict = judge_error(text)
    state.refusal = verdict
    if verdict.retry is Retry.SOON:
        state.error(now, f"Server closed the link: {text}")
    else:
        state.error(now, f"The server refused the connection: {verdict.reason}")
    return []


def _reclaim_if_free(state: ChatState, nick: str, now: float) -> list[Reply]:
    """Someone left our nick: take it back (once; the answer says whether it worked)."""
    if (state.phase is Phase.CONNECTED and not state.reclaiming and casefold(nick) == casefold(state.wanted_nick)
            and not state.is_me(state.wanted_nick)):
        state.reclaiming = True
        state.status(now, f"{state.wanted_nick} is free again: taking it back")
        return [("NICK", state.wanted_nick)]
    return []


@handles(RPL_MONOFFLINE)
def monitor_offline(state: ChatState, msg: Message, now: float) -> list[Reply]:
    for target in _last(msg).split(","):
        replies = _reclaim_if_free(state, nick_of(target.strip()), now)
        if replies:
            return replies
    return []


@handles(RPL_MONONLINE)
def monitor_online(state: ChatState, msg: Message, now: float) -> list[Reply]:
    return []


@handles(N.RPL_ISON)
def ison(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """ISON's answer lists who of those asked are online; ours (polling for our nick) is not shown."""
    online = {casefold(nick) for nick in _last(msg).split()}
    if not state.ison_asked:
        state.status(now, f"Online: {_last(msg)}" if online else "Online: nobody of those")
        return []
    state.ison_asked = False
    if casefold(state.wanted_nick) not in online:
        return _reclaim_if_free(state, state.wanted_nick, now)
    return []


# --- the room ------------------------------------------------------------

@handles("JOIN")
def join(state: ChatState, msg: Message, now: float) -> list[Reply]:
    nick, room = nick_of(msg.prefix), msg.param(0)
    if state.is_me(nick):
        state.room = room
        state.prefix = msg.prefix or ""
        state.join_due = None
        state.members.clear()
        state.add_member(nick)
        state.status(now, f"You joined {room}")
    elif state.room is not None and casefold(room) == casefold(state.room):
        state.add_member(nick)
        state.status(now, f"{nick} ({userhost_of(msg.prefix)}) joined {room}")
    return []


@handles("PART")
def part(state: ChatState, msg: Message, now: float) -> list[Reply]:
    nick, room = nick_of(msg.prefix), msg.param(0)
    reason = f" ({strip_formatting(msg.param(1))})" if msg.param(1) else ""
    if state.is_me(nick):
        state.room = None
        state.members.clear()
        state.status(now, f"You left {room}{reason}")
    else:
        state.remove_member(nick)
        state.status(now, f"{nick} left {room}{reason}")
    return []


@handles("KICK")
def kick(state: ChatState, msg: Message, now: float) -> list[Reply]:
    room, victim, reason = msg.param(0), msg.param(1), strip_formatting(msg.param(2))
    by = nick_of(msg.prefix)
    if state.is_me(victim):
        state.room = None
        state.members.clear()
        state.error(now, f"You were kicked from {room} by {by} ({reason})")
    else:
        state.remove_member(victim)
        state.status(now, f"{victim} was kicked from {room} by {by} ({reason})")
    return []


@handles("QUIT")
def quit_(state: ChatState, msg: Message, now: float) -> list[Reply]:
    nick = nick_of(msg.prefix)
    state.remove_member(nick)
    state.status(now, f"{nick} quit ({strip_formatting(msg.param(0))})")
    return _reclaim_if_free(state, nick, now)


@handles("NICK")
def nick(state: ChatState, msg: Message, now: float) -> list[Reply]:
    old, new = nick_of(msg.prefix), msg.param(0)
    replies: list[Reply] = []
    if state.is_me(old):
        state.nick = new
        state.prefix = new + (msg.prefix or "")[len(old):] if state.prefix else ""
        if state.reclaiming and casefold(new) == casefold(state.wanted_nick):
            state.status(now, f"You have your nick back: you are now known as {new}")
        else:
            state.status(now, f"You are now known as {new}")
        state.reclaiming = False
    else:
        state.status(now, f"{old} is now known as {new}")
        replies = _reclaim_if_free(state, old, now)
    if state.remove_member(old):
        state.add_member(new)
    return replies


@handles(N.RPL_TOPIC)
def topic_reply(state: ChatState, msg: Message, now: float) -> list[Reply]:
    state.status(now, f"Topic of {msg.param(1)}: {strip_formatting(_last(msg))}")
    return []


@handles("TOPIC")
def topic(state: ChatState, msg: Message, now: float) -> list[Reply]:
    state.status(now, f"{nick_of(msg.prefix)} set the topic of {msg.param(0)}: {strip_formatting(msg.param(1))}")
    return []


@handles(N.RPL_NAMREPLY)
def names_reply(state: ChatState, msg: Message, now: float) -> list[Reply]:
    for name in _last(msg).split():
        name = name.lstrip(_MODE_PREFIXES).split("!", 1)[0]
        if name:
            state.pending_names[casefold(name)] = name
    return []


@handles(N.RPL_ENDOFNAMES)
def end_of_names(state: ChatState, msg: Message, now: float) -> list[Reply]:
    room = msg.param(1)
    names = sorted(state.pending_names.values(), key=casefold)
    if state.room is not None and casefold(room) == casefold(state.room):
        state.members = dict(state.pending_names)
        state.changed = True
    state.pending_names = {}
    state.status(now, f"{len(names)} in {room}: {' '.join(names)}")
    return []


# --- talking -------------------------------------------------------------

@handles("PRIVMSG")
def privmsg(state: ChatState, msg: Message, now: float) -> list[Reply]:
    sender, target, text = nick_of(msg.prefix), msg.param(0), msg.param(1)
    private = not is_channel(target)
    if text.startswith("\x01"):
        return _ctcp(state, sender, private, text.strip("\x01"), now)
    text = strip_formatting(text)
    if private:
        state.add(now, Kind.PRIVATE_IN, text, sender, mention=True)
    else:
        state.add(now, Kind.MESSAGE, text, sender, mention=state.mentions_me(text))
    return []


def _ctcp(state: ChatState, sender: str, private: bool, body: str, now: float) -> list[Reply]:
    verb, _, arg = body.partition(" ")
    verb = verb.upper()
    if verb == "ACTION":
        arg = strip_formatting(arg)
        state.add(now, Kind.ACTION, arg, sender, mention=private or state.mentions_me(arg))
        return []
    state.status(now, f"{sender} asked for CTCP {verb}")
    if verb == "VERSION":
        return [("NOTICE", sender, f"\x01VERSION {CLIENT_VERSION}\x01")]
    if verb == "PING":
        return [("NOTICE", sender, f"\x01PING {arg}\x01")]
    if verb == "TIME":
        return [("NOTICE", sender, f"\x01TIME {time.ctime(now)}\x01")]
    return []


@handles("NOTICE")
def notice(state: ChatState, msg: Message, now: float) -> list[Reply]:
    sender = nick_of(msg.prefix) or state.server
    text = strip_formatting(msg.param(1).strip("\x01"))
    state.add(now, Kind.NOTICE, text, sender)
    return []


# --- queries, shown readably ---------------------------------------------

@handles(N.RPL_WHOISUSER)
def whois_user(state: ChatState, msg: Message, now: float) -> list[Reply]:
    _, nick, user, host = msg.params[:4] if len(msg.params) >= 4 else (*msg.params, "", "", "", "")[:4]
    state.status(now, f"{nick} is {user}@{host} ({_last(msg)})")
    return []


@handles(N.RPL_WHOISSERVER)
def whois_server(state: ChatState, msg: Message, now: float) -> list[Reply]:
    state.status(now, f"{msg.param(1)} is connected to {msg.param(2)} ({_last(msg)})")
    return []


@handles(N.RPL_WHOISIDLE)
def whois_idle(state: ChatState, msg: Message, now: float) -> list[Reply]:
    nick, idle, signon = msg.param(1), msg.param(2), msg.param(3)
    text = f"{nick} has been idle {_duration(idle)}"
    if signon.isdigit():
        text += ", signed on " + time.strftime("%Y-%m-%d %H:%M", time.localtime(int(signon)))
    state.status(now, text)
    return []


@handles(N.RPL_WHOISCHANNELS)
def whois_channels(state: ChatState, msg: Message, now: float) -> list[Reply]:
    state.status(now, f"{msg.param(1)} is in {_last(msg)}")
    return []


@handles(N.RPL_AWAY)
def away(state: ChatState, msg: Message, now: float) -> list[Reply]:
    state.status(now, f"{msg.param(1)} is away: {strip_formatting(_last(msg))}")
    return []


@handles(N.RPL_ENDOFWHOIS, N.RPL_ENDOFWHO)
def end_of_list(state: ChatState, msg: Message, now: float) -> list[Reply]:
    what = "WHOIS" if msg.command == N.RPL_ENDOFWHOIS else "WHO"
    state.status(now, f"End of {what} {msg.param(1)}")
    return []


@handles(N.RPL_WHOREPLY)
def who_reply(state: ChatState, msg: Message, now: float) -> list[Reply]:
    # <me> <channel> <user> <host> <server> <nick> <flags> :<hops> <realname>
    channel, user, host, server, nick = (msg.param(i) for i in range(1, 6))
    realname = _last(msg).partition(" ")[2] if len(msg.params) > 7 else ""
    state.status(now, f"{channel} {nick} ({user}@{host}) on {server}: {realname}")
    return []


def _duration(seconds: str) -> str:
    if not seconds.isdigit():
        return seconds
    value = int(seconds)
    minutes, secs = divmod(value, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs} second{'s' if secs != 1 else ''}"


# --- every other numeric -------------------------------------------------

_ERRORS_IN_WORDS: dict[str, str] = {
    N.ERR_NOSUCHNICK: "No such nick or channel: {0}",
    N.ERR_NOSUCHSERVER: "No such server: {0}",
    N.ERR_NOSUCHCHANNEL: "No such channel: {0}",
    N.ERR_CANNOTSENDTOCHAN: "You cannot send to {0}",
    N.ERR_NORECIPIENT: "The message had no recipient",
    N.ERR_NOTEXTTOSEND: "The message had no text",
    N.ERR_INPUTTOOLONG: "That line was too long for the server",
    N.ERR_UNKNOWNCOMMAND: "The server does not know the command {0}",
    N.ERR_NONICKNAMEGIVEN: "No nickname given",
    N.ERR_NOTONCHANNEL: "You are not in {0}",
    N.ERR_NOTREGISTERED: "Not registered with the server yet",
    N.ERR_NEEDMOREPARAMS: "The server needs more parameters for {0}",
    N.ERR_ALREADYREGISTERED: "Already registered",
    N.ERR_CHANOPRIVSNEEDED: "You are not an operator of {0}",
}


def _numeric(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """Errors in words (with the server's own text when we have no wording); the rest as info."""
    params = list(msg.params[1:])  # params[0] is our nick
    text = strip_formatting(params[-1]) if params else ""
    subjects = params[:-1]
    code = int(msg.command)
    if state.quiet_welcome and msg.command in WELCOME_BLOCK:
        return []
    if 400 <= code < 600:
        wording = _ERRORS_IN_WORDS.get(msg.command)
        if wording is not None:
            state.error(now, wording.format(*(subjects or [""])))
        else:
            state.error(now, f"{' '.join(subjects)}: {text}" if subjects else text)
    elif text:
        state.status(now, " ".join([*subjects[1:], text]) if msg.command == N.RPL_MYINFO else
                     (f"{' '.join(subjects)} {text}" if subjects and code not in _PLAIN_INFO else text))
    return []


_PLAIN_INFO = {251, 255, 265, 266}
"""Informational numerics whose middle parameters are counts already said in the text."""
