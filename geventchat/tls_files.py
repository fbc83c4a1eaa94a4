"""The TLS certificate and key on disk, loaded into a context, and loaded again on SIGHUP.

Two contexts from the same files: the IRC listener's asks clients for a
certificate (CertFP), the web listener's does not (a browser would show a
certificate picker). Rotation: new connections get the new contexts;
connections already open keep the one they were made with. A reload loads
the files first and uses the new contexts only when the whole reload
applies: a half-written file or a key that does not match keeps the old ones
(server.py says why).
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
        self.web_context: SSL.Context = server_context(cert_file, key_file, client_certs=False)

    def load(self, cert_file: str, key_file: str | None) -> tuple[SSL.Context, SSL.Context]:
        """Both contexts from these files as they are on disk now; raises ValueError or OSError saying why."""
        return server_context(cert_file, key_file), server_context(cert_file, key_file, client_certs=False)

    def use(self, contexts: tuple[SSL.Context, SSL.Context], cert_file: str, key_file: str | None) -> None:
        """New connections get these contexts from now on (a reload checked them first)."""
        (self.context, self.web_context), self.cert_file, self.key_file = contexts, cert_file, key_file
        log.info("TLS certificate reloaded from %s", cert_file)
