"""The account password for SASL PLAIN: from an environment variable, or asked for with no echo.

Never from the command line (every user of the machine can read it in the
process list) and never written anywhere by the client. The variable is
removed from the environment once read, so nothing the client starts could
inherit it.
"""

from __future__ import annotations

import getpass
import os
import sys


class PasswordError(Exception):
    """No password could be had; the message says how to give one."""


def read_password(env_name: str, account: str) -> str:
    """The password from `env_name` if set (then unset), else from a prompt on the terminal."""
    value = os.environ.pop(env_name, None)
    if value:
        return value
    if not sys.stdin.isatty():
        raise PasswordError(f"--sasl needs the password of {account}: set {env_name} in the environment "
                            "(there is no terminal to ask on)")
    try:
        value = getpass.getpass(f"Password for {account} (not shown): ")
    except EOFError:
        value = ""
    if not value:
        raise PasswordError("no password given")
    return value
