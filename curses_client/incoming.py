"""What each server message does to the client: state changes, screen lines, replies.

The table lives in handlers.py; this module holds the handlers for the
connection, registration and queries, gathers the others (channels, talk,
history, accounts), and is the one entry point: `handle(state, msg, now)`.
A message nobody handles still shows up in words rather than vanishing, and
nothing a server sends can raise out of here.
"""

from __future__ import annotations

import time

from geventchat.protocol import numerics as N
from geventchat.protocol.message import Message
from geventchat.protocol.names import casefold, valid_nick

from . import accounts, channels, history, talk
from .handlers import HANDLERS, Reply, handles, last, nick_of, reclaim_if_free, strip_formatting
from .refusal import Retry, judge_error
from .state import ChatState, Phase, Window

__all__ = ["alternative_nick", "handle", "nick_of", "strip_formatting"]

ERR_UNAVAILRESOURCE = "437"   # nick temporarily unavailable (RFC 2812)
RPL_MONONLINE = "730"         # MONITOR (IRCv3): a watched nick is online
RPL_MONOFFLINE = "731"        # ... is offline: free to take

WELCOME_BLOCK = {N.RPL_YOURHOST, N.RPL_CREATED, N.RPL_MYINFO, N.RPL_LUSERCLIENT, N.RPL_LUSEROP,
                 N.RPL_LUSERUNKNOWN, N.RPL_LUSERCHANNELS, N.RPL_LUSERME, N.RPL_LOCALUSERS,
                 N.RPL_GLOBALUSERS, N.RPL_MOTDSTART, N.RPL_MOTD, "250"}
"""Numerics of the welcome block, shown on the first connection only (not again on each reconnect)."""

JOIN_GRACE = 0.5
"""Seconds after the welcome to wait for the server to put us in a channel before we JOIN."""


def handle(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """Apply one server message; return what to send back."""
    if history.collects(state, msg):
        return []
    history.heard(state, msg, now)
    handler = HANDLERS.get(msg.command)
    if handler is not None:
        return handler(state, msg, now)
    if msg.command.isdigit():
        return _numeric(state, msg, now)
    return []  # commands we have no use for change nothing on screen


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


@handles(N.RPL_WELCOME)
def welcome(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """The welcome block is shown once; a reconnect gets one line instead."""
    state.nick = msg.param(0) or state.nick
    state.phase = Phase.CONNECTED
    state.detail = ""
    if msg.prefix:
        state.server = msg.prefix
    if state.quiet_welcome:
        state.note(now, f"Reconnected to {state.server} as {state.nick}")
    else:
        state.status(now, strip_formatting(last(msg) or "Welcome"), state.windows.status)
    state.welcomed = True
    if state.asked_nick and not state.is_me(state.asked_nick):
        state.note(now, f"You are connected as {state.nick} ({state.asked_nick} was not available)")
    return accounts.at_welcome(state, now)


@handles(N.RPL_ISUPPORT)
def isupport(state: ChatState, msg: Message, now: float) -> list[Reply]:
    for token in msg.params[1:-1]:
        state.features.apply(token)
    return []


@handles(N.RPL_ENDOFMOTD, N.ERR_NOMOTD)
def end_of_welcome(state: ChatState, msg: Message, now: float) -> list[Reply]:
    if msg.command == N.RPL_ENDOFMOTD and not state.quiet_welcome:
        state.status(now, strip_formatting(last(msg)), state.windows.status)
    state.quiet_welcome = False
    state.motd_done = True
    replies = history.ask_targets(state, now)
    if not replies:
        # Lines sent before a loss that no history will vouch for are flagged now (with TARGETS asked,
        # private ones wait for its answer).
        talk.settle_lost(state, private=history.available(state))
    if any(casefold(name) not in _joined(state) for name, _ in state.wanted.values()):
        state.join_due = now + JOIN_GRACE
    return replies


def _joined(state: ChatState) -> set[str]:
    return {casefold(window.name) for window in state.joined()}


def channels_to_join(state: ChatState) -> list[Reply]:
    """The channels we mean to be in and are not (the server put us in none, or we reconnected)."""
    joined = _joined(state)
    return [("JOIN", name, key) if key else ("JOIN", name) for folded, (name, key) in state.wanted.items()
            if folded not in joined]


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
    nicklen = state.features.nicklen
    if msg.command == N.ERR_ERRONEUSNICKNAME and len(wanted) > 9 and valid_nick(wanted[:9], 9):
        new = wanted[:9]  # longer than this server allows: RFC 1459's nine always are
    elif msg.command == N.ERR_ERRONEUSNICKNAME or not valid_nick(alternative_nick(wanted, nicklen), 30):
        new = f"guest{int(now * 1000) % 10000}"[:nicklen]
    else:
        new = alternative_nick(wanted or state.nick, max(nicklen, len(wanted)))
    state.error(now, f"Nick {wanted} {why}; trying {new}", state.windows.status)
    state.nick = new
    return [("NICK", new)]


@handles("ERROR")
def error(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """The server closes the link and says why; after our own QUIT that is no error."""
    text = strip_formatting(msg.param(0))
    if state.quitting:
        state.status(now, f"Server closed the link: {text}", state.windows.status)
        return []
    verdict = judge_error(text)
    state.refusal = verdict
    if verdict.retry is Retry.SOON:
        state.note(now, f"Server closed the link: {text}", error=True)
    else:
        state.note(now, f"The server refused the connection: {verdict.reason}", error=True)
    return []


@handles(RPL_MONOFFLINE)
def monitor_offline(state: ChatState, msg: Message, now: float) -> list[Reply]:
    for target in last(msg).split(","):
        replies = reclaim_if_free(state, nick_of(target.strip()), now)
        if replies:
            return replies
    return []


@handles(RPL_MONONLINE)
def monitor_online(state: ChatState, msg: Message, now: float) -> list[Reply]:
    return []


@handles(N.RPL_ISON)
def ison(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """ISON's answer lists who of those asked are online; ours (polling for our nick) is not shown."""
    online = {casefold(nick) for nick in last(msg).split()}
    if not state.ison_asked:
        state.status(now, f"Online: {last(msg)}" if online else "Online: nobody of those")
        return []
    state.ison_asked = False
    if casefold(state.wanted_nick) not in online:
        return reclaim_if_free(state, state.wanted_nick, now)
    return []


# --- queries, shown readably ---------------------------------------------

@handles(N.RPL_WHOISUSER)
def whois_user(state: ChatState, msg: Message, now: float) -> list[Reply]:
    _, nick, user, host = msg.params[:4] if len(msg.params) >= 4 else (*msg.params, "", "", "", "")[:4]
    state.status(now, f"{nick} is {user}@{host} ({last(msg)})")
    return []


@handles(N.RPL_WHOISSERVER)
def whois_server(state: ChatState, msg: Message, now: float) -> list[Reply]:
    state.status(now, f"{msg.param(1)} is connected to {msg.param(2)} ({last(msg)})")
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
    state.status(now, f"{msg.param(1)} is in {last(msg)}")
    return []


@handles(N.RPL_AWAY)
def away(state: ChatState, msg: Message, now: float) -> list[Reply]:
    state.status(now, f"{msg.param(1)} is away: {strip_formatting(last(msg))}")
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
    realname = last(msg).partition(" ")[2] if len(msg.params) > 7 else ""
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
    N.ERR_CHANNELISFULL: "Cannot join {0}: it is full (+l)",
    N.ERR_INVITEONLYCHAN: "Cannot join {0}: it is invite only (+i)",
    N.ERR_BANNEDFROMCHAN: "Cannot join {0}: you are banned (+b)",
    N.ERR_BADCHANNELKEY: "Cannot join {0}: wrong key (+k)",
    N.ERR_TOOMANYCHANNELS: "Cannot join {0}: you are in too many channels",
    N.ERR_USERNOTINCHANNEL: "{0} is not in {1}",
    N.ERR_USERONCHANNEL: "{0} is already in {1}",
    N.ERR_BADCHANMASK: "Not a channel name: {0}",
    N.ERR_UNKNOWNMODE: "Unknown mode {0}",
}


def _numeric(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """Errors in words (with the server's own text when we have no wording); the rest as info."""
    params = list(msg.params[1:])  # params[0] is our nick
    text = strip_formatting(params[-1]) if params else ""
    subjects = params[:-1]
    code = int(msg.command)
    if state.quiet_welcome and msg.command in WELCOME_BLOCK:
        return []
    if msg.command in channels.JOIN_REFUSED:
        channels.join_refused(state, msg)
    window = _window_for_numeric(state, msg)
    if 400 <= code < 600:
        wording = _ERRORS_IN_WORDS.get(msg.command)
        if wording is not None:
            state.error(now, wording.format(*(subjects or [""]), "", ""), window)
        else:
            state.error(now, f"{' '.join(subjects)}: {text}" if subjects else text, window)
    elif text:
        state.status(now, " ".join([*subjects[1:], text]) if msg.command == N.RPL_MYINFO else
                     (f"{' '.join(subjects)} {text}" if subjects and code not in _PLAIN_INFO else text), window)
    return []


def _window_for_numeric(state: ChatState, msg: Message) -> Window:
    """The welcome block and what comes before it go to the status window; a reply naming one of our
    channels to that channel's window; the rest to the window on screen."""
    if msg.command in WELCOME_BLOCK or state.phase is not Phase.CONNECTED or not state.motd_done:
        return state.windows.status
    for param in msg.params[1:-1]:
        if state.features.is_channel(param):
            window = state.windows.find(param)
            if window is not None:
                return window
    return state.windows.active


@handles("FAIL", "WARN", "NOTE")
def standard_reply(state: ChatState, msg: Message, now: float) -> list[Reply]:
    """IRCv3 standard replies: FAIL <command> <code> [<context>...] :<text>."""
    command = msg.param(0).upper()
    if msg.command == "FAIL" and command == "CHATHISTORY":
        history.failed(state, msg, now)
    elif msg.command == "FAIL" and command == "REGISTER":
        accounts.register_failed(state, msg, now)
    elif msg.command == "FAIL":
        state.error(now, f"{command}: {strip_formatting(last(msg))}")
    else:
        state.status(now, f"{command}: {strip_formatting(last(msg))}")
    return []


_PLAIN_INFO = {251, 255, 265, 266}
"""Informational numerics whose middle parameters are counts already said in the text."""
