"""The national suite end to end: a real `dengji-receiver serve --require-suite gm` on 127.0.0.1, the real
`dengji` command and the agent's own store. The agent is given no setting: offered only the national
suite, it enrolls with its SM2 key, seals with SM2 + SM4-GCM, signs with sm2-sm3, and verifies receipts
the platform signed with SM2. Its kept answers are then checked by the outsider (pure-Python gmssl)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from agent.domain.errors import NotEnrolled
from agent.store.models import OutboxBatch
from agent.store.opening import open_store
from protocol import json_text
from protocol.keys import CipherSuite, key_fingerprint, sm2_fingerprint
from protocol.receipts import canonical
from tests.protocol.gm_outsider import pure_verify
from tests.uploader.processes import Receiver, dengji, register_guests, sent_count
from uploader.device import Device, load_device
from uploader.enrollment import enroll
from uploader.platform_keys import verify_kept_answer


@pytest.fixture
def gm_receiver(tmp_path: Path) -> Iterator[Receiver]:
    """A real receiver that accepts the national suite only."""
    server = Receiver(f"sqlite:///{tmp_path / 'platform.sqlite3'}", require_suite="gm").start()
    yield server
    server.stop()


def fingerprints(receiver: Receiver) -> tuple[str, str, str]:
    """A code, the Ed25519 fingerprint and the SM2 fingerprint, as `issue-code` prints them."""
    out = receiver.admin("issue-code", "--venue", "测试宾馆", "--kind", "hotel")
    lines = [line for line in out.splitlines() if "fingerprint" in line]
    return out.split()[-1], lines[0].split()[-1], lines[1].split()[-1]


def kept_answers(home: Path) -> list[bytes]:
    store = open_store(home)
    try:
        with store.read() as session:
            return [row for row in session.exec(select(OutboxBatch.answer)) if row is not None]
    finally:
        store.dispose()


def test_an_agent_offered_only_the_national_suite_reports_in_it(private_home: Path, gm_receiver: Receiver) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    dengji("enroll", gm_receiver.issue_code(), "--platform", gm_receiver.url)
    store = open_store(private_home)
    device = load_device(store)
    store.dispose()
    assert set(device.platform_key.suites) == {CipherSuite.GM}  # told of the SM2 key only
    assert device.sm2_key is not None and device.receipt_sm2_public_key

    register_guests(3)
    dengji("send")
    assert sent_count(private_home) == 3
    assert len(gm_receiver.event_ids()) == 3

    answers = kept_answers(private_home)
    assert answers
    for body in answers:
        answer = json_text.read(body)
        assert answer["alg"] == "sm2-sm3"  # the platform signed its receipts with SM2
        assert [r.status.value for r in verify_kept_answer(device, body)] == ["accepted"] * 3
        # The outsider verifies the platform's SM2 signature over the statement's canonical bytes.
        assert pure_verify(base64.b64decode(device.receipt_sm2_public_key), canonical(answer["statement"]),
                           base64.b64decode(answer["signature"]))


async def test_the_sm2_fingerprint_vouches_for_a_national_suite_platform(hotel_registry, gm_receiver) -> None:
    code, ed25519_fingerprint, sm2 = fingerprints(gm_receiver)
    device = await enroll(hotel_registry.store, hotel_registry.venue(), code, gm_receiver.url,
                          expected_fingerprint=sm2)
    assert isinstance(device, Device)
    assert sm2_fingerprint(device.receipt_sm2_public_key) == sm2
    assert device.receipt_public_key == ""  # only the half the fingerprint vouched for is pinned
    assert key_fingerprint(gm_receiver_receipt_key(gm_receiver)) == ed25519_fingerprint


def gm_receiver_receipt_key(receiver: Receiver) -> str:
    from receiver.keyring import KeyRing
    from receiver.storage import Storage

    storage = Storage(receiver.db)
    try:
        return KeyRing(storage).receipt_public()["public_key"]
    finally:
        storage.close()


async def test_the_ed25519_fingerprint_cannot_vouch_for_a_national_suite_platform(hotel_registry,
                                                                                  gm_receiver) -> None:
    code, ed25519_fingerprint, _sm2 = fingerprints(gm_receiver)
    result = await enroll(hotel_registry.store, hotel_registry.venue(), code, gm_receiver.url,
                          expected_fingerprint=ed25519_fingerprint)
    assert not isinstance(result, Device) and result.code == "enroll.fingerprint_suite"
    assert "国密" in result.zh and "national suite" in result.en
    with pytest.raises(NotEnrolled):
        load_device(hotel_registry.store)


async def test_the_sm2_fingerprint_cannot_vouch_for_a_platform_in_other_suites(hotel_registry, receiver) -> None:
    code, _ed25519, sm2 = fingerprints(receiver)
    result = await enroll(hotel_registry.store, hotel_registry.venue(), code, receiver.url, expected_fingerprint=sm2)
    assert not isinstance(result, Device) and result.code == "enroll.fingerprint_suite"
    assert "国密" in result.zh and "SM2" in result.en


def test_a_platform_that_turns_to_the_national_suite_is_explained_in_both_languages(
        private_home: Path, tmp_path: Path) -> None:
    """A device that reports in the hybrid suite, whose platform then requires the national suite: the
    batch is refused (`seal.suite_required`) and the agent says why and what to do, in zh and en."""
    db = f"sqlite:///{tmp_path / 'platform.sqlite3'}"
    mixed = Receiver(db).start()
    try:
        dengji("init", "--kind", "hotel", "--name", "测试宾馆")
        dengji("enroll", mixed.issue_code(), "--platform", mixed.url)
        port = mixed.port
    finally:
        mixed.stop()
    gm = Receiver(db, port=port, require_suite="gm").start()
    try:
        register_guests(1)
        out = dengji("send", check=False)
        shown = json.loads(dengji("status", "--json").stdout)
        text = json.dumps(shown, ensure_ascii=False) + out.stdout + out.stderr
        assert "seal.suite_required" in text
        assert "国密 SM2/SM3/SM4 套件" in text and "national SM2/SM3/SM4 suite" in text
        assert gm.event_ids() == []
    finally:
        gm.stop()
