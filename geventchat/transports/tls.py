"""IRC over TLS: the TCP line stream, encrypted by OpenSSL through memory buffers.

The TLS state machine runs over memory BIOs (pyOpenSSL), not over the
socket, so encrypting is a plain function call: the connection's queue is
flushed from the event loop with one non-blocking send of ciphertext, exactly
as for plain TCP. pyOpenSSL rather than the standard library's ssl because a
server must accept any client certificate and keep its fingerprint (the
CertFP of SASL EXTERNAL): the standard library can request a client
certificate only by verifying it against a CA, and IRC client certificates
are self-signed.
"""

from __future__ import annotations

import hashlib
import logging
import socket

from OpenSSL import SSL, crypto

from ..core.session import TransportInfo
from ..protocol.framing import LineBuffer, TooLong
from .base import HandshakeFailed

log = logging.getLogger("geventchat")

BIO_CHUNK = 65536


def _accept_any(conn: SSL.Connection, cert: crypto.X509, errno: int, depth: int, ok: int) -> bool:
    """A client certificate is an identity by its fingerprint, not by who signed it."""
    return True


def server_context(cert_file: str, key_file: str | None) -> SSL.Context:
    """A TLS 1.2+ server context for this certificate chain and key; raises with a readable reason."""
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_CIPHER_SERVER_PREFERENCE | SSL.OP_NO_RENEGOTIATION)
    try:
        context.use_certificate_chain_file(cert_file)
        context.use_privatekey_file(key_file or cert_file)
        context.check_privatekey()
    except SSL.Error as error:
        raise ValueError(f"cannot use TLS certificate {cert_file} / key {key_file or cert_file}: "
                         f"{_reason(error)}") from None
    context.set_verify(SSL.VERIFY_PEER, _accept_any)  # ask for a client certificate, require none
    context.set_session_id(b"geventchat")
    return context


def _reason(error: Exception) -> str:
    parts = [item[2] for item in error.args[0] if len(item) > 2] if error.args and isinstance(error.args[0], list) else []
    return ", ".join(parts) or str(error) or type(error).__name__


def fingerprint(cert: crypto.X509) -> str:
    """SHA-256 of the certificate's DER form, lower-case hex: the CertFP IRC servers show."""
    return hashlib.sha256(crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)).hexdigest()


class TlsTransport:
    __slots__ = ("sock", "recv_size", "info", "wants_write", "_tls", "_lines", "_ready", "_ip", "_early")

    def __init__(self, sock: socket.socket, recv_size: int, ip: str, context: SSL.Context) -> None:
        self.sock = sock
        self.recv_size = recv_size
        self.info = TransportInfo("tls", secure=True, ip=ip)
        self.wants_write = False
        self._tls = SSL.Connection(context, None)
        self._tls.set_accept_state()
        self._lines = LineBuffer()
        self._ready = False
        self._ip = ip
        self._early: list[bytes | TooLong] | None = None  # lines that came with the handshake's last flight

    def start(self) -> None:
        """Run the handshake in the reader greenlet (the caller bounds it in time)."""
        tls = self._tls
        while True:
            try:
                tls.do_handshake()
                break
            except SSL.WantReadError:
                pending = self._ciphertext()
                if pending:
                    self.sock.sendall(pending)
                data = self.sock.recv(self.recv_size)
                if not data:
                    raise HandshakeFailed("closed during the TLS handshake")
                tls.bio_write(data)
            except SSL.Error as error:
                raise HandshakeFailed(f"TLS handshake failed: {_reason(error)}") from None
        pending = self._ciphertext()
        if pending:
            self.sock.sendall(pending)
        cert = tls.get_peer_certificate()
        self.info = TransportInfo("tls", secure=True, certfp=fingerprint(cert) if cert is not None else None,
                                  ip=self._ip)
        self._ready = True
        # A client may send its first lines in the same packet as its Finished
        # message: they are in OpenSSL's buffer now, and no socket read would wake for them.
        self._early = self._plaintext()

    def read(self) -> list[bytes | TooLong] | None:
        early = self._early
        if early:
            self._early = None
            return early
        data = self.sock.recv(self.recv_size)
        if not data:
            return None
        self._tls.bio_write(data)
        return self._plaintext()

    def _plaintext(self) -> list[bytes | TooLong] | None:
        """Decrypt what OpenSSL holds into lines; None once the peer said close_notify and nothing is left."""
        tls = self._tls
        chunks = []
        closed = False
        while True:
            try:
                chunks.append(tls.recv(BIO_CHUNK))
            except SSL.WantReadError:
                break
            except SSL.ZeroReturnError:  # the peer's close_notify
                closed = True
                break
            except SSL.Error as error:
                raise ConnectionError(f"TLS error: {_reason(error)}") from None
        self.wants_write = True  # reading may have made records of its own (alerts, tickets)
        lines = self._lines.feed(b"".join(chunks)) if chunks else []
        if closed and not lines:
            return None
        return lines

    def wire(self, data: bytes) -> bytes:
        """Encrypt into records; b"" before the handshake is done (nothing can reach the client yet)."""
        if not self._ready:
            return b""
        self.wants_write = False
        if data:
            self._tls.sendall(data)
        return self._ciphertext()

    def _ciphertext(self) -> bytes:
        tls, chunks = self._tls, []
        while True:
            try:
                chunks.append(tls.bio_read(BIO_CHUNK))
            except SSL.WantReadError:
                return b"".join(chunks)
