"""TLS pieces with no network: fingerprints as people paste them, the pin check, failures in words."""

from __future__ import annotations

import base64
import hashlib
import ssl

import pytest
import trustme

from curses_client.config import TlsConfig
from curses_client.tls import (FingerprintError, check_pin, describe_tls_error, format_fingerprint,
                               make_context, parse_fingerprint)

DIGEST = hashlib.sha256(b"a certificate").digest()


@pytest.mark.parametrize("text", [
    DIGEST.hex(),
    DIGEST.hex().upper(),
    format_fingerprint(DIGEST),
    format_fingerprint(DIGEST).lower(),
    " ".join(f"{b:02x}" for b in DIGEST),
    "SHA256:" + format_fingerprint(DIGEST),
    "SHA256:" + base64.b64encode(DIGEST).decode().rstrip("="),   # as ssh prints it
])
def test_fingerprint_forms(text: str) -> None:
    assert parse_fingerprint(text) == DIGEST


@pytest.mark.parametrize("text, says", [
    ("abcd", "64 hex digits"),
    ("zz" * 32, "not a hex fingerprint"),
    ("SHA256:tooshort", "not a SHA-256 fingerprint"),
])
def test_bad_fingerprints(text: str, says: str) -> None:
    with pytest.raises(FingerprintError, match=says):
        parse_fingerprint(text)


def test_pin_check() -> None:
    der = b"a certificate"
    assert check_pin(TlsConfig(enabled=True), der) is None
    assert check_pin(TlsConfig(enabled=True, fingerprint=DIGEST), der) is None
    other = hashlib.sha256(b"another").digest()
    why = check_pin(TlsConfig(enabled=True, fingerprint=other), der)
    assert why is not None and format_fingerprint(DIGEST) in why


def test_contexts() -> None:
    ca = trustme.CA()
    with ca.cert_pem.tempfile() as path:
        strict = make_context(TlsConfig(enabled=True, ca_file=path))
    assert strict.verify_mode == ssl.CERT_REQUIRED and strict.check_hostname
    loose = make_context(TlsConfig(enabled=True, insecure=True))
    assert loose.verify_mode == ssl.CERT_NONE
    assert strict.minimum_version == ssl.TLSVersion.TLSv1_2


def test_a_refused_certificate_in_words() -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    text = describe_tls_error(error)
    assert "self-signed certificate" in text and "--tls-ca" in text
