"""Users as plain records on the wire and in Redis, and which node a uid lives on.

A uid is `<node>/<run>.<n>` (Chat is built with node=uid_prefix(name, run)):
the node that holds a user is read off its uid, so no lookup is needed to
route a private message, and the run (the process's start time) keeps the
uids of two runs of one node name apart, so a line meant for a user of a
dead run can never reach a user of the next one.
"""

from __future__ import annotations

import re

from ..core.state import User

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def default_node_name(server_name: str) -> str:
    """The server name in the node-name alphabet: stable across restarts, unlike a PID."""
    return _UNSAFE.sub("_", server_name)[:64] or "node"


def base36(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = _DIGITS[digit] + out
        if not number:
            return out


def run_id(started: float) -> str:
    """This process's run of a node name: its start time in ms, in base 36."""
    return base36(int(started * 1000))


def uid_prefix(node: str, run: str = "") -> str:
    return f"{node}/{run}." if run else f"{node}/"


def node_of(uid: str) -> str:
    return uid.partition("/")[0]


def to_record(user: User) -> dict:
    return {
        "uid": user.uid,
        "nick": user.nick,
        "user": user.user,
        "host": user.host,
        "realname": user.realname,
        "server": user.server,
        "signon": user.signon,
        "away": user.away,
        "secure": user.secure,
        "account": user.account,
        "modes": user.modes,  # +o for WHOIS 313 and WHO's `*`, +i for who may see it in WHO
    }


def from_record(record: dict) -> User:
    return User(
        uid=record["uid"],
        nick=record["nick"],
        user=record["user"],
        host=record["host"],
        realname=record["realname"],
        server=record["server"],
        signon=float(record["signon"]),
        last_spoke=float(record["signon"]),
        away=record.get("away"),
        secure=bool(record.get("secure")),
        account=record.get("account"),
        modes=record.get("modes", ""),
    )
