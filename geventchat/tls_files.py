"""The TLS certificate and key on disk, loaded into a context, and loaded again on SIGHUP.

Rotation: new connections get the new context; connections already open keep
the one they were made with. A reload loads the files first and uses the new
context only when the whole reload applies: a half-written file or a key that
does not match keeps the old context (server.py says why).
"""

from __future__ import annotations

import logging

from OpenSSL import SSL

from .transports.tls import server_context

log = logging.getLogger("geventchat")


class TlsFiles:
    def __init__(self, cert_file: str, key_file: str | None) -> None:
        self.cert_file = cert_file
        self.key_file = key_file
        self.context: SSL.Context = server_context(cert_file, key_file)

    def load(self, cert_file: str, key_file: str | None) -> SSL.Context:
        """A context from these files as they are on disk now; raises ValueError or OSError saying why."""
        return server_context(cert_file, key_file)

    def use(self, context: SSL.Context, cert_file: str, key_file: str | None) -> None:
        """New connections get this context from now on (a reload checked it first)."""
        self.context, self.cert_file, self.key_file = context, cert_file, key_file
        log.info("TLS certificate reloaded from %s", cert_file)
