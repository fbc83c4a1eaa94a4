"""TLS for the client: the context from the flags, fingerprints, and failures in words.

Three ways to trust a server: the system's certificate store (or a CA file
given for it), a pinned SHA-256 fingerprint of the server's certificate (the
ssh way: no CA needed, any other certificate is refused), or no check at all,
which the screen says loudly. The handshake itself runs non-blocking in
connection.py; this module only decides and explains.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ssl

from .config import TlsConfig


class FingerprintError(ValueError):
    """A --tls-fingerprint value that is not a SHA-256 digest; the message says why."""


def parse_fingerprint(text: str) -> bytes:
    """A SHA-256 digest from hex (colons, spaces or none; any case) or ssh's `SHA256:<base64>`."""
    value = text.strip()
    if value.upper().startswith("SHA256:"):
        value = value[len("SHA256:"):]
        digits = value.replace(":", "").replace(" ", "")
        if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            try:  # ssh prints base64 without padding
                digest = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
            except (binascii.Error, ValueError):
                digest = b""
            if len(digest) != 32:
                raise FingerprintError(f"not a SHA-256 fingerprint: {text!r}")
            return digest
        value = digits
    digits = value.replace(":", "").replace(" ", "").replace("-", "")
    if len(digits) != 64:
        raise FingerprintError(f"a SHA-256 fingerprint has 64 hex digits, {text!r} has {len(digits)}")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise FingerprintError(f"not a hex fingerprint: {text!r}") from None


def format_fingerprint(digest: bytes) -> str:
    """Colon-separated upper-case hex, as openssl prints it."""
    return ":".join(f"{b:02X}" for b in digest)


def fingerprint_of(der: bytes) -> bytes:
    return hashlib.sha256(der).digest()


def make_context(tls: TlsConfig) -> ssl.SSLContext:
    """The client context the flags ask for (TLS 1.2 at least), with our own certificate when given.

    Raises OSError/ssl.SSLError on a bad CA file or a certificate that cannot be used.
    """
    if tls.insecure or tls.fingerprint is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the pin is checked after the handshake
    else:
        context = ssl.create_default_context(cafile=tls.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls.cert_file:
        context.load_cert_chain(tls.cert_file, tls.key_file)  # our certificate, for SASL EXTERNAL
    return context


def check_pin(tls: TlsConfig, der: bytes | None) -> str | None:
    """None when the certificate matches the pinned fingerprint (or none is pinned), else why not."""
    if tls.fingerprint is None:
        return None
    if not der:
        return "the server sent no certificate to check against --tls-fingerprint"
    got = fingerprint_of(der)
    if hmac.compare_digest(got, tls.fingerprint):
        return None
    return (f"the server's certificate has the SHA-256 fingerprint {format_fingerprint(got)}, "
            "not the one given with --tls-fingerprint")


def describe_tls_error(error: BaseException) -> str:
    """A handshake failure in words, with what to do about an untrusted certificate."""
    if isinstance(error, ssl.SSLCertVerificationError):
        why = error.verify_message or error.reason or "not trusted"
        return (f"the server's TLS certificate was refused ({why}); "
                "--tls-ca FILE trusts another CA, --tls-fingerprint pins this certificate")
    if isinstance(error, ssl.SSLError):
        reason = error.reason or str(error)
        if reason in ("WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE",
                      "UNEXPECTED_RECORD", "HTTP_REQUEST"):
            return f"the server does not speak TLS on this port ({reason}); try without --tls"
        return f"TLS handshake failed ({reason})"
    return str(error) or type(error).__name__
