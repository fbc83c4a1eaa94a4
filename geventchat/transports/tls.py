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
SEAL_CHUNK = 16384  # plaintext encrypted at a time: one full TLS record


def _accept_any(conn: SSL.Connection, cert: crypto.X509, errno: int, depth: int, ok: int) -> bool:
    """A client certificate is an identity by its fingerprint, not by who signed it."""
    return True


def server_context(cert_file: str, key_file: str | None, client_certs: bool = True) -> SSL.Context:
    """A TLS 1.2+ server context for this certificate chain and key; raises with a readable reason.

    `client_certs`: ask the client for a certificate (IRC clients log in
    with one; a browser would put a certificate picker in front of its user,
    so the web listener's context does not ask).
    """
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
    if client_certs:
        context.set_verify(SSL.VERIFY_PEER, _accept_any)  # ask for a client certificate, require none
    context.set_session_id(b"geventchat" if client_certs else b"geventchat-web")
    return context


def _reason(error: Exception) -> str:
    parts = [item[2] for item in error.args[0] if len(item) > 2] if error.args and isinstance(error.args[0], list) else []
    return ", ".join(parts) or str(error) or type(error).__name__


def fingerprint(cert: crypto.X509) -> str:
    """SHA-256 of the certificate's DER form, lower-case hex: the CertFP IRC servers show."""
    return hashlib.sha256(crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)).hexdigest()


class TlsStream:
    """TLS over memory buffers on one socket: plaintext in and out, ciphertext on the wire.

    The byte layer under a line transport (TlsTransport) or a message one
    (WebSocket over TLS): `recv()` blocks for records and returns the
    plaintext they held, `seal()` encrypts without blocking.
    """

    __slots__ = ("sock", "recv_size", "wants_write", "certfp", "_tls", "_ready", "_closed", "_early")

    def __init__(self, sock: socket.socket, recv_size: int, context: SSL.Context) -> None:
        self.sock = sock
        self.recv_size = recv_size
        self.wants_write = False  # records of our own (alerts, tickets) wait to be sent
        self.certfp: str | None = None
        self._tls = SSL.Connection(context, None)
        self._tls.set_accept_state()
        self._ready = False
        self._closed = False
        self._early = b""  # plaintext that came with the handshake's last flight

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
        self.certfp = fingerprint(cert) if cert is not None else None
        self._ready = True
        # A client may send its first lines (or its HTTP request) in the same packet as its
        # Finished message: they are in OpenSSL's buffer now, and no socket read would wake for them.
        self._early = self._plaintext() or b""

    def recv(self) -> bytes | None:
        """The plaintext of the records that arrived (b"" if they held none); None once the peer has closed."""
        if self._early:
            early, self._early = self._early, b""
            return early
        if self._closed:
            return None
        data = self.sock.recv(self.recv_size)
        if not data:
            return None
        self._tls.bio_write(data)
        return self._plaintext()

    def _plaintext(self) -> bytes | None:
        """Decrypt what OpenSSL holds; None once the peer said close_notify and nothing is left."""
        tls = self._tls
        chunks = []
        while True:
            try:
                chunks.append(tls.recv(BIO_CHUNK))
            except SSL.WantReadError:
                break
            except SSL.ZeroReturnError:  # the peer's close_notify
                self._closed = True
                break
            except SSL.Error as error:
                raise ConnectionError(f"TLS error: {_reason(error)}") from None
        self.wants_write = True  # reading may have made records of its own (alerts, tickets)
        if self._closed and not chunks:
            return None
        return b"".join(chunks)

    def seal(self, data: bytes) -> bytes:
        """Encrypt into records; b"" before the handshake is done (nothing can reach the client yet).

        A record at a time, its ciphertext taken out at once: OpenSSL's memory
        buffer keeps the size of the most it ever held, so encrypting a whole
        flat-out batch (hundreds of KB) in one call would leave every
        connection holding that much for good.
        """
        if not self._ready:
            return b""
        self.wants_write = False
        if len(data) <= SEAL_CHUNK:
            if data:
                self._tls.sendall(data)
            return self._ciphertext()
        pieces = [self._ciphertext()]  # records of our own first (alerts, tickets)
        view = memoryview(data)
        for start in range(0, len(data), SEAL_CHUNK):
            self._tls.sendall(view[start:start + SEAL_CHUNK])
            pieces.append(self._ciphertext())
        return b"".join(pieces)

    def sendall(self, data: bytes) -> None:
        """Encrypt and send, blocking this greenlet (an HTTP response, before any queue exists)."""
        self.sock.sendall(self.seal(data))

    def _ciphertext(self) -> bytes:
        tls, chunks = self._tls, []
        while True:
            try:
                chunks.append(tls.bio_read(BIO_CHUNK))
            except SSL.WantReadError:
                return b"".join(chunks)


class TlsTransport:
    """IRC over TLS: CRLF-ended lines in a TLS stream."""

    __slots__ = ("stream", "info", "_lines", "_ip")

    def __init__(self, sock: socket.socket, recv_size: int, ip: str, context: SSL.Context) -> None:
        self.stream = TlsStream(sock, recv_size, context)
        self.info = TransportInfo("tls", secure=True, ip=ip)
        self._lines = LineBuffer()
        self._ip = ip

    @property
    def wants_write(self) -> bool:
        return self.stream.wants_write

    def start(self) -> None:
        self.stream.start()
        self.info = TransportInfo("tls", secure=True, certfp=self.stream.certfp, ip=self._ip)

    def read(self) -> list[bytes | TooLong] | None:
        data = self.stream.recv()
        if data is None:
            return None
        return self._lines.feed(data) if data else []

    def wire(self, data: bytes) -> bytes:
        return self.stream.seal(data)

    def farewell(self) -> bytes:
        return b""
