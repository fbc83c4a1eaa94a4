"""The TLS certificate and key on disk, loaded into a context, and loaded again on SIGHUP.

Two contexts from the same files: the IRC listener's asks clients for a
certificate (CertFP), the web listener's does not (a browser would show a
certificate picker). Rotation: new connections get the new contexts; connections already open keep
the one they were made with. A reload that fails (a half-written file, a key
that does not match) keeps the old context and says why.
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

    def reload(self) -> bool:
        try:
            context = server_context(self.cert_file, self.key_file)
            web_context = server_context(self.cert_file, self.key_file, client_certs=False)
        except (ValueError, OSError) as error:
            log.warning("TLS certificate not reloaded, the old one stays: %s", error)
            return False
        self.context, self.web_context = context, web_context
        log.info("TLS certificate reloaded from %s", self.cert_file)
        return True
