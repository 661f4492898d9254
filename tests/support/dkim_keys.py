"""A test DKIM key pair, generated once per run (no DNS: keys go to settings)."""

from __future__ import annotations

import base64
from functools import lru_cache

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@lru_cache(maxsize=1)
def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def txt_record() -> str:
    public = (
        _key()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode()


def sign(message: bytes, *, domain: bytes, selector: bytes = b"sel1") -> bytes:
    private = _key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    signature = dkim.sign(
        message,
        selector,
        domain,
        private,
        include_headers=[b"from", b"subject", b"message-id", b"date"],
    )
    return signature + message
