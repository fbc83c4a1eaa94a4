"""SASL as IRC carries it (IRCv3 SASL 3.1/3.2): a mechanism's message as AUTHENTICATE chunks; no I/O.

PLAIN sends the account and password (RFC 4616); EXTERNAL sends nothing and
lets the server read the TLS client certificate. The base64 text goes in
chunks of 400 bytes; a last chunk of exactly 400 is followed by `+`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

CHUNK = 400
MECHANISMS = ("PLAIN", "EXTERNAL")


@dataclass(frozen=True)
class Login:
    """One login to make: the mechanism, the account, the password (PLAIN only)."""

    mechanism: str
    account: str
    password: str = ""

    def __repr__(self) -> str:  # never the password, whatever prints this
        return f"Login({self.mechanism!r}, {self.account!r})"


def chunks(login: Login) -> list[str]:
    """The AUTHENTICATE parameters that answer the server's `AUTHENTICATE +`."""
    if login.mechanism != "PLAIN":
        return ["+"]
    raw = "\0".join((login.account, login.account, login.password)).encode("utf-8")
    text = base64.b64encode(raw).decode("ascii")
    out = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or ["+"]
    if len(out[-1]) == CHUNK:
        out.append("+")
    return out


def offers(value: str, mechanism: str) -> bool:
    """The `sasl` capability's value lists the mechanism (an empty value lists nothing: try it)."""
    return not value or mechanism in value.upper().split(",")
