"""Users as plain records on the wire and in Redis, and which node a uid lives on.

A uid is `<node>/<n>` (Chat is built with node=f"{name}/"), so the node that
holds a user is read off its uid: no lookup needed to route a private message.
"""

from __future__ import annotations

import re

from ..core.state import User

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def default_node_name(server_name: str, pid: int) -> str:
    return f"{_UNSAFE.sub('_', server_name)[:50]}-{pid}"


def uid_prefix(node: str) -> str:
    return f"{node}/"


def node_of(uid: str) -> str:
    return uid.rpartition("/")[0]


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
    )
