"""The client's settings, each with its default: the command line fills one ClientConfig.

Defaults follow the server's own (a paced burst of 10 lines then 1 a second
is what geventchat and most servers allow before they delay or disconnect).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_PORT = 25565
DEFAULT_TLS_PORT = 6697

NICK_MAX = 64
"""Longest nick we let through; the server's own limit (NICKLEN) applies once it has said it."""

SEND_BURST = 10
"""Lines sent at once before pacing starts (the server's flood burst)."""

SEND_RATE = 1.0
"""Lines per second after the burst (the server's flood rate)."""

PASTE_CONFIRM_LINES = 5
"""A paste of more lines than this asks before sending (irssi's default)."""

REFUSED_RETRY = 300.0
"""Seconds before retrying after a refusal that retrying soon would not change (server full, too many
connections from this host)."""

CONNECT_TIMEOUT = 30.0
"""Seconds for the TCP connect and the TLS handshake before the attempt counts as failed."""

NICK_POLL = 60.0
"""Seconds between ISON checks for our nick while we use a fallback (servers without MONITOR)."""

HISTORY_LINES = 100
"""Lines of a channel's history shown on joining it, and fetched each time PageUp reaches the top."""

HISTORY_CATCHUP = 1000
"""Most lines of one channel fetched after a reconnect (what was said while we were away)."""

HISTORY_DM_DAYS = 1.0
"""Days of private conversations looked back over on the first connection (0: none; a reconnect always
catches up from the last line seen)."""

HISTORY_DM_MAX = 50
"""Most private conversations brought back from history at one connection (CHATHISTORY TARGETS)."""

ECHO_TIMEOUT = 30.0
"""Seconds to wait for the server to echo a line of ours before flagging it as not confirmed."""

HISTORY_WAIT = 10.0
"""Seconds live lines wait for a history answer before they are shown anyway."""


SCROLLBACK = 10_000
"""Lines each window keeps (and lines line mode may fall behind by; msgids remembered: twice as many)."""

NICKLIST_COLS = 100
"""A channel's nick list is a column beside the chat on terminals at least this wide (0: never)."""

PASSWORD_ENV = "CHAT_PASSWORD"
"""The environment variable the account password is read from, when set (else it is asked for)."""


@dataclass(frozen=True)
class TlsConfig:
    """How to check the server's certificate; `enabled` False means plain TCP."""

    enabled: bool = False
    ca_file: str | None = None        # trust this CA file instead of the system store
    insecure: bool = False            # no verification at all (said loudly on screen)
    fingerprint: bytes | None = None  # SHA-256 of the certificate, pinned the ssh way
    cert_file: str | None = None      # our own certificate (PEM, with its key unless key_file), for SASL EXTERNAL
    key_file: str | None = None


@dataclass(frozen=True)
class ClientConfig:
    host: str
    port: int
    nick: str
    realname: str
    username: str
    room: str = "#lobby"
    reconnect: bool = True
    plain: bool = False
    tls: TlsConfig = field(default_factory=TlsConfig)
    send_burst: int = SEND_BURST
    send_rate: float = SEND_RATE
    paste_lines: int = PASTE_CONFIRM_LINES
    refused_retry: float = REFUSED_RETRY
    nick_poll: float = NICK_POLL
    connect_timeout: float = CONNECT_TIMEOUT
    scrollback: int = SCROLLBACK
    history_lines: int = HISTORY_LINES
    history_catchup: int = HISTORY_CATCHUP
    history_dm_days: float = HISTORY_DM_DAYS
    history_dm_max: int = HISTORY_DM_MAX
    echo_timeout: float = ECHO_TIMEOUT
    history_wait: float = HISTORY_WAIT
    nicklist_cols: int = NICKLIST_COLS
    sasl: str | None = None           # the SASL mechanism to log in with: PLAIN or EXTERNAL; None: no login
    account: str = ""                 # the account (the nick when empty)
    password: str = field(default="", repr=False)   # read from the environment or a prompt, never the command line
    sasl_required: bool = False       # leave when the login fails, instead of going on without an account
    password_env: str = PASSWORD_ENV  # where the password is read from
