"""Which platform key announcements an agent adopts: signed by the pinned receipt key, not expired, and
for a key published after the one it holds; and how it follows a replaced receipt key."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from protocol.keys import generate_platform_secret, generate_receipt_key
from protocol.receipts import (UnverifiedAnswer, adopt_platform_key, follow_receipt_keys, key_announcement,
                               receipt_key_endorsement)

NOW = datetime(2025, 3, 1, 6, 0, tzinfo=timezone.utc)
RECEIPT = generate_receipt_key("r-1")


def announced(key_id: str, published: datetime, expires: datetime | None, receipt=RECEIPT):  # noqa: ANN001, ANN201
    public = generate_platform_secret(key_id, published.isoformat()).public()
    if expires is not None:
        public = dataclasses.replace(public, expires_at=expires.isoformat())
    return public, key_announcement(public, receipt)


HELD, _ = announced("k-2", NOW - timedelta(days=40), NOW + timedelta(days=3))


def test_a_newer_key_is_adopted_and_the_held_one_changes_nothing() -> None:
    newer, announcement = announced("k-3", NOW - timedelta(days=1), NOW + timedelta(days=13))
    assert adopt_platform_key(announcement, RECEIPT.public_text(), HELD, NOW) == newer
    _, same = announced("k-2", NOW - timedelta(days=40), NOW + timedelta(days=14))
    assert adopt_platform_key(same, RECEIPT.public_text(), HELD, NOW) is None


@pytest.mark.parametrize("published, expires, why", [
    (NOW - timedelta(days=90), NOW + timedelta(days=10), "not newer"),  # a retired key: a rollback
    (NOW - timedelta(days=40), NOW + timedelta(days=10), "not newer"),  # published with the held one
    (NOW - timedelta(days=1), NOW - timedelta(seconds=1), "expired"),
    (NOW - timedelta(days=1), None, "no expiry"),
])
def test_refused(published: datetime, expires: datetime | None, why: str) -> None:
    _, announcement = announced("k-old", published, expires)
    with pytest.raises(UnverifiedAnswer, match=why):
        adopt_platform_key(announcement, RECEIPT.public_text(), HELD, NOW)


def test_an_announcement_not_signed_by_the_pinned_key_is_refused() -> None:
    _, announcement = announced("k-3", NOW, NOW + timedelta(days=14), receipt=generate_receipt_key("r-1"))
    with pytest.raises(UnverifiedAnswer):
        adopt_platform_key(announcement, RECEIPT.public_text(), HELD, NOW)


def test_a_chain_of_receipt_keys_is_followed_step_by_step() -> None:
    second, third = generate_receipt_key("r-2"), generate_receipt_key("r-3")
    chain = [receipt_key_endorsement(third, second, "t2"), receipt_key_endorsement(second, RECEIPT, "t1")]
    assert follow_receipt_keys(chain, "r-1", RECEIPT.public_text()) == [("r-2", second.public_text()),
                                                                        ("r-3", third.public_text())]
    assert follow_receipt_keys(chain, "r-2", second.public_text()) == [("r-3", third.public_text())]
    assert follow_receipt_keys(chain, "r-3", third.public_text()) == []
    assert follow_receipt_keys(None, "r-1", RECEIPT.public_text()) == []


def test_a_receipt_key_statement_signed_by_another_key_is_refused() -> None:
    stranger, forged = generate_receipt_key("r-1"), generate_receipt_key("r-evil")
    with pytest.raises(UnverifiedAnswer):
        follow_receipt_keys([receipt_key_endorsement(forged, stranger, "t")], "r-1", RECEIPT.public_text())
