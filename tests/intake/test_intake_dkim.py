"""check_dkim with keys given in the test (no DNS).

The RSA key is made here in plain Python (Miller-Rabin primes, DER written by
hand) from a fixed seed, so the test needs no openssl and no extra package.
"""

from __future__ import annotations

import base64
import random
from math import gcd

import dkim
import pytest

from ronda.takedowns.intake.dkimcheck import DkimResult, check_dkim

SELECTOR_NAME = "sel1._domainkey.kominfo.go.id"


def _is_probable_prime(n: int, rng: random.Random) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47):
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(24):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if _is_probable_prime(candidate, rng):
            return candidate


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_int(x: int) -> bytes:
    raw = x.to_bytes(x.bit_length() // 8 + 1, "big")
    return b"\x02" + _der_len(len(raw)) + raw


def _der_seq(*items: bytes) -> bytes:
    body = b"".join(items)
    return b"\x30" + _der_len(len(body)) + body


def make_rsa_key(seed: int) -> tuple[bytes, str]:
    """(PEM RSAPrivateKey, DNS TXT record) for a 1024-bit key."""
    rng = random.Random(seed)
    e = 65537
    while True:
        p, q = _prime(512, rng), _prime(512, rng)
        phi = (p - 1) * (q - 1)
        if p != q and gcd(e, phi) == 1:
            break
    n = p * q
    d = pow(e, -1, phi)
    private = _der_seq(
        *(_der_int(v) for v in (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p)))
    )
    body = base64.b64encode(private)
    lines = b"\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    pem = b"-----BEGIN RSA PRIVATE KEY-----\n" + lines + b"\n-----END RSA PRIVATE KEY-----\n"
    public = _der_seq(_der_int(n), _der_int(e))
    rsa_oid = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"
    spki = _der_seq(
        _der_seq(rsa_oid, b"\x05\x00"), b"\x03" + _der_len(len(public) + 1) + b"\x00" + public
    )
    return pem, f"v=DKIM1; k=rsa; p={base64.b64encode(spki).decode()}"


@pytest.fixture(scope="module")
def key() -> tuple[bytes, str]:
    return make_rsa_key(2026)


MESSAGE = (
    b"From: Komdigi <aduan@kominfo.go.id>\r\n"
    b"To: takedown@ronda.example\r\n"
    b"Subject: Nomor: B-1/DJAI/2026 pemblokiran\r\n"
    b"Date: Mon, 02 Nov 2026 09:15:00 +0700\r\n"
    b"Message-ID: <dkim-1@kominfo.go.id>\r\n"
    b"\r\n"
    b"Mohon blokir https://t.me/kanal_judi\r\n"
)


def sign(message: bytes, pem: bytes, domain: bytes = b"kominfo.go.id", **kw: object) -> bytes:
    signature = dkim.sign(
        message,
        b"sel1",
        domain,
        pem,
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
        **kw,
    )
    return bytes(signature) + message


def test_valid_signature_passes(key: tuple[bytes, str]) -> None:
    pem, record = key
    signed = sign(MESSAGE, pem)
    result = check_dkim(signed, keys={SELECTOR_NAME: record})
    assert result == DkimResult("pass", ["kominfo.go.id"], result.reason)
    assert "verified" in result.reason


def test_key_names_match_case_and_trailing_dot(key: tuple[bytes, str]) -> None:
    pem, record = key
    result = check_dkim(sign(MESSAGE, pem), keys={"SEL1._DomainKey.Kominfo.go.id.": record})
    assert result.status == "pass"


def test_tampered_body_fails(key: tuple[bytes, str]) -> None:
    pem, record = key
    signed = sign(MESSAGE, pem).replace(b"kanal_judi", b"kanal_lain")
    result = check_dkim(signed, keys={SELECTOR_NAME: record})
    assert result.status == "fail"
    assert result.domains == []
    assert "body hash mismatch" in result.reason


def test_tampered_subject_fails(key: tuple[bytes, str]) -> None:
    pem, record = key
    signed = sign(MESSAGE, pem).replace(b"Nomor: B-1/", b"Nomor: B-2/")
    result = check_dkim(signed, keys={SELECTOR_NAME: record})
    assert result.status == "fail"


def test_unsigned_is_none() -> None:
    result = check_dkim(MESSAGE)
    assert result == DkimResult("none", [], "no DKIM-Signature header")


def test_missing_key_fails_without_dns(key: tuple[bytes, str]) -> None:
    pem, _ = key
    result = check_dkim(sign(MESSAGE, pem))
    assert result.status == "fail"
    assert f"no key for {SELECTOR_NAME}" in result.reason


def test_wrong_key_fails(key: tuple[bytes, str]) -> None:
    pem, _ = key
    _, other_record = make_rsa_key(7)
    result = check_dkim(sign(MESSAGE, pem), keys={SELECTOR_NAME: other_record})
    assert result.status == "fail"


def test_broken_key_record_fails_with_reason(key: tuple[bytes, str]) -> None:
    pem, _ = key
    result = check_dkim(sign(MESSAGE, pem), keys={SELECTOR_NAME: "v=DKIM1; k=rsa; p=AAAA"})
    assert result.status == "fail"
    assert result.reason


def test_partial_body_signature_is_not_trusted(key: tuple[bytes, str]) -> None:
    pem, record = key
    signed = sign(MESSAGE, pem, length=True) + b"Tambahan: https://t.me/disisipkan\r\n"
    result = check_dkim(signed, keys={SELECTOR_NAME: record})
    assert result.status == "fail"
    assert "l= tag" in result.reason


def test_one_good_signature_among_two(key: tuple[bytes, str]) -> None:
    pem, record = key
    signed = sign(MESSAGE, pem)
    # A second signature from another domain whose key we do not have.
    double = sign(signed, pem, domain=b"relay.example")
    result = check_dkim(double, keys={SELECTOR_NAME: record})
    assert result.status == "pass"
    assert result.domains == ["kominfo.go.id"]
    assert "no key for sel1._domainkey.relay.example" in result.reason


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff" * 100,
        b"DKIM-Signature: v=1; garbage\r\n\r\nbody\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=x; s=y; h=from; bh=!!; b=??\r\n\r\nb\r\n",
    ],
)
def test_garbage_never_raises(raw: bytes) -> None:
    result = check_dkim(raw)
    assert result.status in ("none", "fail")
    assert result.domains == []
