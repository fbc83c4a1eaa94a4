"""Every setting and limit of the server, one field each, with its default and its flag.

Settings are grouped in sections (server, listeners, limits, channels, flood,
history, accounts, opers, network, web, metrics) that the config file follows
one to one: a field's name is its key in its section's table
(config_file.py). Each field carries its command-line flag in its metadata,
so cli.py builds the parser from these dataclasses: a default is written
once, here. The metadata also says whether a running server takes a new
value on reload (`reload=True`; otherwise a change waits for a restart) and
whether the value is a secret that printed configurations mask. The defaults suit a public server (see PROTOCOL.md, Liveness and limits).
"""

from __future__ import annotations

import dataclasses
import socket
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from . import argtypes as valid


def setting(
    default: Any,
    help: str,
    flag: str | None = None,
    parse: Callable[[str], Any] | None = None,
    metavar: str | None = None,
    shown: str | None = None,
    factory: Callable[[], Any] | None = None,
    reload: bool = False,
    secret: bool = False,
    example: Any = None,
) -> Any:
    """A Config field with its flag: `flag` defaults to the field's name with dashes.

    `parse` turns the flag's text (or a config file's value, as text) into the
    value (an argparse type); `shown` is what --help prints as the default
    when the value itself would mislead. `reload`: SIGHUP and REHASH apply a
    new value to the running server; without it a changed value is reported
    as needing a restart and left as it was (the safe default for a setting
    read once at start). `secret`: --print-config and reload logs mask it.
    `example`: a value the example config file shows for a setting that has
    no default.
    """
    meta = {"help": help, "flag": flag, "parse": parse, "metavar": metavar, "shown": shown,
            "reload": reload, "secret": secret, "example": example}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class ServerConfig:
    """Who this server is and what it says about itself."""

    name: str = setting(None, "name in replies", flag="--server-name", parse=valid.server_name, metavar="NAME",
                        factory=socket.gethostname, shown="the host name", example="irc.example.org")
    network: str = setting("geventchat", "network name in 001 and 005")
    lobby: str | None = setting("#lobby", "the channel everyone enters on registration ('none': a classic "
                                          "IRC server, no channel joined for you)", parse=valid.lobby,
                                metavar="CHANNEL")
    motd_file: str | None = setting(None, "message of the day, one line per line, read again on reload",
                                    metavar="PATH", reload=True, example="/etc/geventchat/motd.txt")
    resolve: bool = setting(False, "use reverse-DNS names as hosts", reload=True)
    log_level: str = setting("INFO", "log verbosity: DEBUG, INFO, WARNING or ERROR", parse=valid.log_level,
                             metavar="LEVEL", reload=True)
    log_format: str = setting("text", "log lines as text, or as one JSON object a line (for log shippers)",
                              parse=valid.log_format, metavar="text|json", reload=True)
    thread_switch_interval: float = setting(
        0.001, "seconds a worker thread (history writes, password hashes) may hold the interpreter before "
               "the event loop gets it back", parse=valid.seconds)
    data_dir: str = setting(None, "where what must outlive the process is kept (history, accounts); "
                                  "created on first run", metavar="PATH", factory=valid.default_data_dir,
                            shown="$XDG_DATA_HOME/geventchat, else ~/.local/share/geventchat",
                            example="/var/lib/geventchat")


@dataclass
class ListenersConfig:
    """Where the server listens: plain IRC, IRC over TLS."""

    host: str = setting("0.0.0.0", "address to listen on")
    port: int = setting(25565, "plain TCP port (0: any free port)", parse=valid.port(0), metavar="PORT")
    tls_port: int | None = setting(None, "TLS port (0: any free port)", parse=valid.port(0), metavar="PORT",
                                   shown="6697 when --tls-cert is given", example=6697)
    tls_cert: str | None = setting(None, "TLS certificate chain, PEM, read again on reload", metavar="PATH",
                                   reload=True, example="/etc/geventchat/tls/fullchain.pem")
    tls_key: str | None = setting(None, "TLS private key, PEM (default: in the --tls-cert file)", metavar="PATH",
                                  reload=True, example="/etc/geventchat/tls/privkey.pem")
    sts: bool = setting(True, "advertise the IRCv3 sts policy while TLS is on: clients that support it "
                              "move from the plain port to TLS (turn off while the certificate is self-signed)",
                        flag="--no-sts", reload=True)
    sts_duration: int = setting(0, "seconds an sts client keeps coming back over TLS by itself "
                                   "(0: it moves each time it connects plain, and keeps no policy)",
                                parse=valid.not_negative(int), metavar="SECONDS", shown="0", reload=True)
    reuse_port: bool = setting(False, "set SO_REUSEPORT on the listening sockets")
    backlog: int = setting(1024, "connections the kernel queues before accept()", flag="--listen-backlog",
                           parse=valid.count)


@dataclass
class LimitsConfig:
    """What one client may send, hold and take, and how long the server waits for it."""

    nicklen: int = setting(9, "longest nickname", parse=valid.count, reload=True)
    channellen: int = setting(50, "longest channel name", parse=valid.count, reload=True)
    userlen: int = setting(10, "longest username (USER)", parse=valid.count, reload=True)
    realnamelen: int = setting(100, "longest real name (USER)", parse=valid.count, reload=True)
    awaylen: int = setting(200, "longest away message", parse=valid.count, reload=True)
    quitlen: int = setting(300, "longest quit message", parse=valid.count, reload=True)
    max_targets: int = setting(4, "targets per PRIVMSG/NOTICE", parse=valid.count, reload=True)
    max_whois_targets: int = setting(5, "nicks per WHOIS", parse=valid.count, reload=True)
    max_userhost: int = setting(5, "nicks per USERHOST", parse=valid.count, reload=True)
    sendq: int = setting(256 * 1024, "unsent bytes per client before it is closed", parse=valid.count,
                         metavar="BYTES", reload=True)  # a reload applies it to new connections
    max_clients: int = setting(10_000, "clients per process", parse=valid.count, reload=True)
    max_per_ip: int = setting(10, "connections per address", parse=valid.count, reload=True)
    exempt: tuple[str, ...] = setting((), "addresses free of --max-per-ip (repeatable)", parse=valid.cidr,
                                      metavar="CIDR", reload=True)
    limit_loopback: bool = setting(False, "count loopback connections against --max-per-ip too "
                                          "(by default a shared shell host's users are not limited)", reload=True)
    registration_timeout: float = setting(30.0, "seconds from connect (TLS handshake included) to finish NICK/USER",
                                          parse=valid.seconds, reload=True)
    ping_interval: float = setting(120.0, "idle seconds before the server sends PING", parse=valid.seconds,
                                   reload=True)
    ping_timeout: float = setting(60.0, "seconds to answer a PING", parse=valid.seconds, reload=True)
    shutdown_grace: float = setting(3.0, "seconds to flush queues on shutdown", parse=valid.seconds, reload=True)
    recv_size: int = setting(16384, "bytes read from a socket at a time", parse=valid.count, metavar="BYTES")
    refusal_timeout: float = setting(2.0, "seconds to send a refused connection its ERROR line", parse=valid.seconds,
                                     reload=True)
    resolve_timeout: float = setting(3.0, "seconds to wait for a reverse-DNS answer (--resolve)", parse=valid.seconds,
                                     reload=True)


@dataclass
class ChannelsConfig:
    """Channels: how many, how long their names, topics and lists may be."""

    max_channels_per_user: int = setting(20, "channels one user may be in (ISUPPORT CHANLIMIT)", parse=valid.count,
                                         reload=True)
    max_channels: int = setting(10_000, "channels on the server", parse=valid.count, reload=True)
    topiclen: int = setting(390, "longest topic (TOPICLEN)", parse=valid.count, reload=True)
    kicklen: int = setting(255, "longest kick reason (KICKLEN)", parse=valid.count, reload=True)
    maxlist: int = setting(100, "entries in each of a channel's ban, exception and invite lists (MAXLIST)",
                           parse=valid.count, reload=True)
    modes_per_command: int = setting(4, "modes with a parameter in one MODE command (MODES)", parse=valid.count,
                                     reload=True)


@dataclass
class FloodConfig:
    """Flood control: a token bucket of lines per client, and a smaller one for PING/PONG."""

    burst: int = setting(10, "lines a client may send at once", flag="--flood-burst", parse=valid.count, reload=True)
    rate: float = setting(1.0, "lines per second after the burst", flag="--flood-rate", parse=valid.positive(float),
                          metavar="PER_SECOND", reload=True)
    backlog: int = setting(20, "delayed lines waiting before 'Excess flood'", flag="--flood-backlog",
                           parse=valid.count, reload=True)
    ping_burst: int = setting(20, "PING/PONG lines a client may send at once", flag="--ping-flood-burst",
                              parse=valid.count, reload=True)
    ping_rate: float = setting(5.0, "PING/PONG lines per second after their burst", flag="--ping-flood-rate",
                               parse=valid.positive(float), metavar="PER_SECOND", reload=True)


@dataclass
class HistoryConfig:
    """Chat history: what is kept of each channel, for how long, and how it is served."""

    history: str = setting("auto", "where history is kept: sqlite (in --data-dir), redis (shared by a "
                                   "network's nodes), none (off); auto: redis with --redis, else sqlite",
                           parse=valid.choice("auto", "sqlite", "redis", "none"), metavar="STORE")
    history_max_age: float = setting(30.0, "days a line is kept", parse=valid.positive(float), metavar="DAYS")
    history_max_lines: int = setting(100_000, "lines kept per channel", parse=valid.count)
    history_playback: int = setting(20, "lines a client without draft/chathistory is shown when it joins "
                                        "(0: none)", parse=valid.not_negative(int), metavar="N", reload=True)
    chathistory_max: int = setting(1000, "most lines one CHATHISTORY request returns (ISUPPORT CHATHISTORY)",
                                   parse=valid.count, reload=True)
    history_flush: float = setting(0.5, "seconds between batched writes: at most this much is lost to a crash",
                                   parse=valid.seconds)
    history_checkpoint: float = setting(1.0, "seconds between folding the history's WAL back into its file "
                                             "(on a thread of its own)", parse=valid.seconds)
    history_prune_interval: float = setting(60.0, "seconds between passes that drop lines past the limits",
                                            parse=valid.seconds)
    redact_window: float = setting(900.0, "seconds during which a user may take back (REDACT) its own line",
                                   parse=valid.seconds, reload=True)


@dataclass
class AccountsConfig:
    """Accounts and logins: password hashing, SASL, failed logins, who may register.

    Passwords are hashed with argon2id. The defaults (2 passes over 19 MiB,
    one lane) are the smallest OWASP recommends: a check costs a core about
    20 ms, so a node still takes dozens of logins a second, while each guess
    costs an attacker with a GPU the same 19 MiB of memory.
    """

    argon2_time_cost: int = setting(2, "argon2id passes over its memory per password hash", parse=valid.count)
    argon2_memory_cost: int = setting(19456, "argon2id memory per password hash, KiB (at least 8 per lane)",
                                      parse=valid.count, metavar="KIB")
    argon2_parallelism: int = setting(1, "argon2id lanes per password hash", parse=valid.count)
    password_threads: int = setting(2, "threads that hash and check passwords, off the event loop "
                                       "(at most this many checks run at once; the memory cost each)",
                                    parse=valid.count)
    password_nice: int = setting(10, "niceness of the password threads (Linux, 0-19): the event loop, which "
                                     "every client waits on, gets the CPU before a hash does",
                                 parse=valid.not_negative(int), metavar="0-19")
    password_min: int = setting(8, "shortest password an account may have", parse=valid.count, metavar="CHARS",
                                reload=True)
    password_max: int = setting(300, "longest password, in bytes (a NickServ line must hold it)", parse=valid.count,
                                metavar="BYTES", reload=True)
    sasl_max_bytes: int = setting(2048, "bytes of AUTHENTICATE data one SASL exchange may send", parse=valid.count,
                                  metavar="BYTES", reload=True)
    login_burst: int = setting(5, "failed logins from one address before its attempts are slowed",
                               parse=valid.count)
    login_interval: float = setting(10.0, "then seconds between login attempts from that address",
                                    parse=valid.seconds)
    account_login_burst: int = setting(10, "failed logins to one account, from anywhere, before its attempts "
                                           "are slowed", parse=valid.count)
    account_login_interval: float = setting(5.0, "then seconds between login attempts to that account",
                                            parse=valid.seconds)
    register_burst: int = setting(3, "accounts one address may register before it is slowed", parse=valid.count)
    register_interval: float = setting(600.0, "then seconds between registrations from that address",
                                       parse=valid.seconds)
    password: str | None = setting(None, "server password every client must give with PASS: the password, or "
                                         "its argon2 hash from `chat-server mkpasswd`", metavar="PASSWORD",
                                   secret=True, reload=True, example="$argon2id$...")
    require_account: bool = setting(False, "only clients logged in to an account (SASL, PASS account:password) "
                                           "may register", reload=True)


@dataclass
class OpersConfig:
    """Operators: who may KILL, KLINE and WALLOPS, and the hash of each one's password."""

    oper: tuple[str, ...] = setting((), "an operator, NAME:HASH with the hash from `chat-server mkpasswd` "
                                        "(repeatable; a reload adds and removes operators)", parse=valid.oper,
                                  metavar="NAME:HASH", secret=True, reload=True, example=("admin:$argon2id$...",))


@dataclass
class NetworkConfig:
    """A network of nodes over Redis (geventchat/network/); no URL: one process alone."""

    redis: str | None = setting(None, "be a node of the chat shared through this Redis, "
                                      "e.g. redis://127.0.0.1:6379/0", metavar="URL", secret=True,
                                example="redis://127.0.0.1:6379/0")
    node_name: str | None = setting(None, "this node's name in uids, keys and netsplit reasons; unique on the "
                                          "network (a second node with a live node's name is refused)",
                                    parse=valid.node_name, metavar="NAME", shown="the server name",
                                    example="irc1-a")
    node_timeout: float = setting(10.0, "seconds without a heartbeat before a node is declared dead "
                                        "(its users announced as split off, its nicks freed)", parse=valid.seconds)
    heartbeat_interval: float = setting(1.0, "seconds between a node's heartbeats", parse=valid.seconds)
    unreachable_after: float = setting(3.0, "seconds without a heartbeat after which private messages to a "
                                            "node's users are refused with a reason", parse=valid.seconds)
    redis_retry_max: float = setting(2.0, "longest pause between attempts to reconnect to Redis", parse=valid.seconds)
    redis_retry_min: float = setting(0.1, "first pause before reconnecting to Redis", parse=valid.seconds)
    redis_join_wait: float = setting(5.0, "seconds to wait at start to join the network before serving "
                                          "this node's users alone (until Redis answers)", parse=valid.seconds)
    redis_buffer_time: float = setting(60.0, "seconds of what local users say kept while Redis is away, "
                                             "passed on when it is back", parse=valid.seconds)
    redis_buffer_bytes: int = setting(16 * 1024 * 1024, "bytes of what local users say kept while Redis is "
                                                        "away (or too slow)", parse=valid.count, metavar="BYTES")
    redis_replay: float = setting(1.0, "seconds of entries written again after Redis restarts empty "
                                       "(readers drop the copies they have)", parse=valid.seconds)
    redis_stream_keep: float = setting(300.0, "seconds of entries every stream (a channel, a node's inbox, the "
                                              "directory) keeps, so a node paused, busy or cut off that long "
                                              "misses nothing (trimmed by age on Redis 6.2 and later)",
                                       parse=valid.seconds)
    redis_stream_maxlen: int = setting(200_000, "most entries a stream keeps whatever their age (bounds Redis's "
                                                "memory; a node further behind is told what it lost)",
                                       parse=valid.count, metavar="N")
    workers: int = setting(1, "processes sharing the port with SO_REUSEPORT (above 1 needs --redis)",
                           parse=valid.count, metavar="N")
    redis_command_timeout: float = setting(2.0, "seconds for a Redis command before Redis counts as gone",
                                           parse=valid.seconds)
    redis_connect_timeout: float = setting(2.0, "seconds to connect to Redis", parse=valid.seconds)
    redis_pool_size: int = setting(32, "command connections to Redis per node", parse=valid.count)
    redis_pool_wait: float = setting(5.0, "seconds to wait for a free Redis connection", parse=valid.seconds)
    redis_poll: float = setting(0.5, "longest wait of one read of the streams (a newly joined channel "
                                     "is read from the next one on)", parse=valid.seconds)
    redis_batch: int = setting(512, "entries written to Redis in one step", parse=valid.count)
    redis_read_count: int = setting(1000, "entries read from each stream in one step", parse=valid.count)
    redis_flush_on_stop: float = setting(2.0, "seconds to flush the backlog to Redis when stopping",
                                         parse=valid.seconds)
    redis_release_wait: float = setting(2.0, "seconds to wait for our own nick releases (or channel parts) to "
                                             "reach Redis before a nick (or a channel) is claimed again",
                                        parse=valid.seconds)


@dataclass
class WebConfig:
    """The web listener: the chat page, and IRC over WebSocket for it and other web clients."""

    port: int | None = setting(None, "port serving the chat page and IRC over WebSocket, on any path "
                                     "(0: any free port; over TLS when --tls-cert is given)",
                               flag="--web-port", parse=valid.port(0), metavar="PORT", shown="off", example=8080)
    host: str | None = setting(None, "address the web listener listens on", flag="--web-host", metavar="HOST",
                               shown="the --host address", example="0.0.0.0")
    origins: tuple[str, ...] = setting((), "a web page origin allowed to open WebSocket connections besides the "
                                           "page's own, like https://chat.example.org (repeatable; * for any)",
                                       flag="--web-origin", parse=valid.origin, metavar="ORIGIN", reload=True)
    trusted_proxies: tuple[str, ...] = setting((), "a reverse proxy whose X-Forwarded-For names the real client "
                                                   "(repeatable)", flag="--trusted-proxy", parse=valid.cidr,
                                               metavar="CIDR")
    request_timeout: float = setting(10.0, "seconds for a web client to send a request, from connect or from "
                                           "the end of the previous answer", flag="--web-request-timeout",
                                     parse=valid.seconds, reload=True)
    send_timeout: float = setting(10.0, "seconds to send an answer to a web client that reads slowly",
                                  flag="--web-send-timeout", parse=valid.seconds,
                                  reload=True)
    max_request: int = setting(8192, "bytes of one request's head (request line and headers) or body",
                               flag="--web-max-request", parse=valid.count, metavar="BYTES",
                               reload=True)
    max_requests: int = setting(100, "requests one kept-alive web connection may make", flag="--web-max-requests",
                                parse=valid.count, reload=True)


@dataclass
class MetricsConfig:
    """Prometheus metrics and a health check over HTTP (off unless a port is given)."""

    port: int | None = setting(None, "serve /metrics and /healthz on this port (0: any free port)",
                               flag="--metrics-port", parse=valid.port(0), metavar="PORT", shown="off",
                               example=9102)
    host: str = setting("127.0.0.1", "address the metrics port listens on (loopback: only this machine scrapes)",
                        flag="--metrics-host", metavar="ADDRESS")


@dataclass
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    listeners: ListenersConfig = field(default_factory=ListenersConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    channels: ChannelsConfig = field(default_factory=ChannelsConfig)
    flood: FloodConfig = field(default_factory=FloodConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    accounts: AccountsConfig = field(default_factory=AccountsConfig)
    opers: OpersConfig = field(default_factory=OpersConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    web: WebConfig = field(default_factory=WebConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)

    DEFAULT_TLS_PORT = 6697

    @classmethod
    def from_flags(cls, **values: Any) -> Config:
        """A Config from flag names (`server_name=`, `flood_burst=`...): how tests and the CLI build one."""
        sections = {}
        unknown = dict(values)
        for section, kind, fields in sections_of():
            given = {f.name: unknown.pop(dest) for f, dest in fields if dest in unknown}
            sections[section] = kind(**given)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**sections)

    @property
    def sweep_interval(self) -> float:
        """How often the shared liveness sweep runs: fine enough for the shortest timer."""
        limits = self.limits
        shortest = min(limits.ping_interval, limits.ping_timeout, limits.registration_timeout)
        return max(0.05, min(1.0, shortest / 4))

    @property
    def history_store(self) -> str:
        """The history store in use: the flag's choice, `auto` resolved."""
        chosen = self.history.history
        if chosen == "auto":
            return "redis" if self.network.redis else "sqlite"
        return chosen

    @property
    def tls_port(self) -> int | None:
        """The TLS port in use: the flag's, or the default one once a certificate is given."""
        listeners = self.listeners
        if listeners.tls_port is not None:
            return listeners.tls_port
        return self.DEFAULT_TLS_PORT if listeners.tls_cert else None


_SECTIONS: dict[str, type] = {
    "server": ServerConfig,
    "listeners": ListenersConfig,
    "limits": LimitsConfig,
    "channels": ChannelsConfig,
    "flood": FloodConfig,
    "history": HistoryConfig,
    "accounts": AccountsConfig,
    "opers": OpersConfig,
    "network": NetworkConfig,
    "web": WebConfig,
    "metrics": MetricsConfig,
}


def flag_of(f: dataclasses.Field) -> str:
    """The field's command-line flag: named in its metadata, else its name with dashes."""
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def dest_of(f: dataclasses.Field) -> str:
    """The flag's name as a keyword (`--flood-burst` -> `flood_burst`): unique across sections."""
    return flag_of(f)[2:].replace("-", "_")


def reloadable(f: dataclasses.Field) -> bool:
    """Whether a running server takes a new value of this setting on reload (SIGHUP, REHASH)."""
    return bool(f.metadata.get("reload"))


def secret(f: dataclasses.Field) -> bool:
    """Whether printed configurations and logs must not show this setting's value."""
    return bool(f.metadata.get("secret"))


def sections_of() -> Iterator[tuple[str, type, list[tuple[dataclasses.Field, str]]]]:
    """Each section's name, its dataclass, and its fields with their flag destinations."""
    for name, kind in _SECTIONS.items():
        yield name, kind, [(f, dest_of(f)) for f in dataclasses.fields(kind)]
