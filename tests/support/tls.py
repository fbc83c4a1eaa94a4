"""Throwaway TLS certificates (trustme) written where a server can read them, and client contexts."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass
class TlsFiles:
    ca: trustme.CA
    cert: Path  # the server's chain (leaf first), PEM
    key: Path

    def flags(self) -> tuple[str, ...]:
        return ("--tls-port", "0", "--tls-cert", str(self.cert), "--tls-key", str(self.key))

    def client_context(self) -> ssl.SSLContext:
        """A client that trusts this CA (and checks the name, localhost)."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def issue(self, name: str = "localhost") -> None:
        """Replace the files with a new certificate from the same CA (a rotation)."""
        leaf = self.ca.issue_cert(name, "127.0.0.1")
        leaf.private_key_pem.write_to_path(str(self.key))
        self.cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))


def make_tls_files(folder: Path) -> TlsFiles:
    files = TlsFiles(trustme.CA(), folder / "cert.pem", folder / "key.pem")
    files.issue()
    return files
