"""COMMANDS: every verb the server knows, with its generic checks."""

from __future__ import annotations

from ..dispatch import Command
from . import accounts, admin, capabilities, channels, history, messaging, opers, queries, registration

COMMANDS: dict[str, Command] = {
    # getting on and off; allowed before registration
    "CAP": Command(capabilities.cap, 1, before_registration=True),
    "PASS": Command(registration.pass_, 1, before_registration=True),
    "NICK": Command(registration.nick, 0, before_registration=True),
    "USER": Command(registration.user, 4, before_registration=True),
    "PING": Command(registration.ping, 1, before_registration=True),
    "PONG": Command(registration.pong, 0, before_registration=True),
    "QUIT": Command(registration.quit_, 0, before_registration=True),
    "AUTHENTICATE": Command(accounts.authenticate, 1, before_registration=True),
    "REGISTER": Command(accounts.register, 3, before_registration=True),
    "SETNAME": Command(registration.setname, 1),
    # talking
    "PRIVMSG": Command(messaging.privmsg),
    "NOTICE": Command(messaging.notice),
    "TAGMSG": Command(messaging.tagmsg),
    "AWAY": Command(messaging.away),
    # history
    "CHATHISTORY": Command(history.chathistory),
    "REDACT": Command(history.redact),
    "MARKREAD": Command(history.markread),
    # channels
    "JOIN": Command(channels.join, 1),
    "PART": Command(channels.part, 1),
    "TOPIC": Command(channels.topic, 1),
    "NAMES": Command(channels.names),
    "LIST": Command(channels.list_),
    "KICK": Command(channels.kick, 2),
    "INVITE": Command(channels.invite, 2),
    "MODE": Command(channels.mode, 1),
    # queries
    "WHOIS": Command(queries.whois),
    "WHO": Command(queries.who),
    "LUSERS": Command(queries.lusers),
    "MOTD": Command(queries.motd),
    "VERSION": Command(queries.version),
    "TIME": Command(queries.time_),
    "ISON": Command(queries.ison, 1),
    "USERHOST": Command(queries.userhost, 1),
    # accounts
    "NICKSERV": Command(accounts.nickserv_command),
    "NS": Command(accounts.nickserv_command),
    # operators
    "OPER": Command(opers.oper, 2),
    "KILL": Command(opers.kill, 1),
    "WALLOPS": Command(opers.wallops, 1),
    "KLINE": Command(opers.kline, 1),
    "UNKLINE": Command(opers.unkline, 1),
    "REHASH": Command(admin.rehash),
}
