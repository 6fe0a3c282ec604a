"""Sealing and opening: both suites, the binding of purpose/key/device, hostile bodies."""

from __future__ import annotations

import zlib
from datetime import datetime

import pytest

from agent.domain import CHINA_TIME, EventType
from protocol.keys import CipherSuite, KeyFormatError, PlatformKey, generate_platform_secret
from protocol.messages import Batch, new_event, parse_batch
from protocol.sealing import BATCH, PERMIT_CHECK, CannotOpen, info, open_sealed, seal, seal_batch

SECRET = generate_platform_secret("k1", "2025-01-01T00:00:00.000000+00:00")


@pytest.mark.parametrize("suite", list(CipherSuite))
def test_a_batch_sealed_with_either_suite_opens_to_the_same_batch(suite: CipherSuite) -> None:
    event = new_event(EventType.NO_ARRIVALS, {"date": "2025-03-01"}, datetime(2025, 3, 1, 23, tzinfo=CHINA_TIME))
    batch = Batch("dev_1", "b-1", (event,))
    sealed = seal_batch(batch, SECRET.public(), supported=(suite,))
    assert sealed.suite is suite and sealed.batch_id == "b-1"
    assert sealed.headers()["Dengji-Suite"] == suite.value and sealed.headers()["Idempotency-Key"] == "b-1"
    assert parse_batch(open_sealed(sealed.body, SECRET, suite, BATCH, "dev_1")) == batch


def test_the_hybrid_is_chosen_when_both_sides_have_it_and_the_baseline_otherwise() -> None:
    public = SECRET.public()
    assert public.choose_suite() is CipherSuite.MLKEM768_X25519
    baseline_only = PlatformKey("k1", {CipherSuite.X25519: public.suites[CipherSuite.X25519]})
    assert baseline_only.choose_suite() is CipherSuite.X25519
    with pytest.raises(KeyFormatError):
        baseline_only.choose_suite((CipherSuite.MLKEM768_X25519,))


def test_a_key_announcement_from_a_newer_platform_keeps_the_suites_we_know() -> None:
    announced = SECRET.public().as_dict()
    announced["suites"]["FUTURE-KEM/HKDF-SHA256/AES-256-GCM"] = "AAAA"
    assert set(PlatformKey.from_dict(announced).suites) == set(CipherSuite)
    for broken in ({}, {"key_id": "k", "suites": {CipherSuite.X25519.value: "not base64!"}},
                   {"key_id": "k", "suites": {CipherSuite.X25519.value: "AAAA"}}):
        with pytest.raises(KeyFormatError):
            PlatformKey.from_dict(broken)


@pytest.mark.parametrize("purpose, device", [(PERMIT_CHECK, "dev_1"), (BATCH, "dev_2")])
def test_a_sealed_body_opens_only_for_its_purpose_and_device(purpose: str, device: str) -> None:
    sealed = seal(b"{}", SECRET.public(), BATCH, "dev_1")
    with pytest.raises(CannotOpen) as refused:
        open_sealed(sealed.body, SECRET, sealed.suite, purpose, device)
    assert refused.value.code == "body.not_sealed"


def test_hostile_bodies_give_cannot_open_and_nothing_else() -> None:
    public = SECRET.public()
    suite = CipherSuite.X25519
    for body in (b"", b"\x00" * 31, b"\x00" * 32, b"\xff" * 1000):
        with pytest.raises(CannotOpen):
            open_sealed(body, SECRET, suite, BATCH, "dev_1")
    not_zlib = suite.hpke_suite.encrypt(b"plain", public.public_key(suite), info=info(BATCH, "k1", "dev_1"))
    with pytest.raises(CannotOpen, match="body.not_compressed"):
        open_sealed(not_zlib, SECRET, suite, BATCH, "dev_1")
    bomb = suite.hpke_suite.encrypt(zlib.compress(bytes(2_000_000)), public.public_key(suite),
                                    info=info(BATCH, "k1", "dev_1"))
    with pytest.raises(CannotOpen, match="body.too_large"):
        open_sealed(bomb, SECRET, suite, BATCH, "dev_1", max_plaintext=1_000_000)
    trailing = suite.hpke_suite.encrypt(zlib.compress(b"{}") + b"junk", public.public_key(suite),
                                        info=info(BATCH, "k1", "dev_1"))
    with pytest.raises(CannotOpen, match="body.not_compressed"):
        open_sealed(trailing, SECRET, suite, BATCH, "dev_1")


def test_the_national_suite_refuses_every_altered_byte_and_hostile_bodies() -> None:
    """Its body is an envelope: a flipped bit anywhere (the wrapped key, the nonce, the ciphertext, the
    tag), a truncation, or the envelope of another body's key gives `body.not_sealed`, never anything else."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    suite = CipherSuite.GM
    sealed = seal(b'{"a": 1}', SECRET.public(), BATCH, "dev_1", (suite,))
    assert open_sealed(sealed.body, SECRET, suite, BATCH, "dev_1") == b'{"a": 1}'
    other = seal(b'{"a": 2}', SECRET.public(), BATCH, "dev_1", (suite,))
    wrapped_len = 2 + sealed.body[1]
    spliced = other.body[:wrapped_len] + sealed.body[wrapped_len:]  # another body's key, this body's rest
    for body in (b"", b"\x30", b"\x30\x7f", sealed.body[:wrapped_len + 20], spliced, b"\x30\x10" + bytes(100)):
        with pytest.raises(CannotOpen, match="body.not_sealed"):
            open_sealed(body, SECRET, suite, BATCH, "dev_1")

    @settings(max_examples=60, deadline=None)
    @given(st.integers(0, len(sealed.body) * 8 - 1))
    def flipped(bit: int) -> None:
        body = bytearray(sealed.body)
        body[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(CannotOpen, match="body.not_sealed"):
            open_sealed(bytes(body), SECRET, suite, BATCH, "dev_1")

    @settings(max_examples=60, deadline=None)
    @given(st.binary(max_size=400))
    def random(body: bytes) -> None:
        with pytest.raises(CannotOpen, match="body.not_sealed"):
            open_sealed(body, SECRET, suite, BATCH, "dev_1")

    flipped()
    random()
