"""What the chat reports as it runs, for whoever counts it: nobody by default.

The core calls these where an event happens once: per read of lines, per
publish (with the number of lines the bus queued), per registration, per
quit, per refusal; never once per recipient. `Metrics` does nothing; the
metrics edge (geventchat/metrics.py) counts with prometheus-client. Quit
reasons are free text on the wire, so a quit is reported with a code from a
fixed set: a metric with one label value per free-text reason would grow
without bound.
"""

from __future__ import annotations

QUIT = "quit"  # the client said QUIT
QUIT_CODES = {
    "Remote host closed the connection": "closed",
    "Connection closed": "closed",
    "Connection reset by peer": "reset",
    "SendQ exceeded": "sendq",
    "Excess flood": "flood",
    "Registration timed out": "registration_timeout",
    "Server shutting down": "shutdown",
    "Internal server error": "error",
}
QUIT_PREFIXES = (("Ping timeout", "ping_timeout"), ("Read error", "io_error"), ("Write error", "io_error"))
OTHER = "other"
ALL_QUIT_CODES = tuple(sorted({QUIT, OTHER, *QUIT_CODES.values(), *(code for _, code in QUIT_PREFIXES)}))


def quit_code(reason: str) -> str:
    """The fixed code of a quit reason the server gave (not a client's own QUIT message)."""
    code = QUIT_CODES.get(reason)
    if code is not None:
        return code
    for prefix, code in QUIT_PREFIXES:
        if reason.startswith(prefix):
            return code
    return OTHER


class Metrics:
    """The events the chat reports; each does nothing here."""

    def received(self, lines: int) -> None:
        """`lines` lines were read from one client (one call per read, not per line)."""

    def delivered(self, lines: int) -> None:
        """One relayed line was queued for `lines` recipients (one call per publish)."""

    def registered(self, transport: str) -> None:
        """A client finished registration, over this kind of transport ("tcp", "tls" ...)."""

    def quit(self, code: str) -> None:
        """A client of this server left, for a reason of this code (see quit_code)."""

    def refused(self, cause: str) -> None:
        """A connection was turned away before it became a client ("server_full", "per_ip" ...)."""

    def history_write(self, seconds: float) -> None:
        """The history store took this long to write a batch."""

    def history_query(self, seconds: float) -> None:
        """The history store took this long to answer a query."""


NO_METRICS = Metrics()
