"""The platform's keys and data on disk: a private file, private keys erased when their time is over, a
receipt key that can be replaced (the old one names the new one), announcements that expire."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from protocol.keys import key_fingerprint
from protocol.receipts import follow_receipt_keys, verify_platform_key, verify_receipts
from receiver.app import PLATFORM, Settings
from receiver.keyring import ensure_keys, rotate, rotate_receipt_key
from receiver.storage import Storage

SCRIPT = Path(sys.executable).parent / "dengji-receiver"


def disk_bytes(database: Path) -> bytes:
    """Everything SQLite keeps of a database on disk: the file and its write-ahead log."""
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_the_default_database_is_private(tmp_path: Path) -> None:
    """It was created 0644 in a 0755 folder, holding private keys and personal data."""
    env = {k: v for k, v in os.environ.items() if k != "DENGJI_RECEIVER_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    out = subprocess.run([str(SCRIPT), "issue-code", "--venue", "测试旅馆"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    folder = tmp_path / "data" / "dengji-receiver"
    assert mode(folder) == 0o700
    files = list(folder.iterdir())
    assert files and all(mode(path) == 0o600 for path in files), [(p.name, oct(mode(p))) for p in files]


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_a_database_made_elsewhere_is_private_too(tmp_path: Path) -> None:
    database = tmp_path / "new" / "receiver.db"
    storage = Storage(f"sqlite:///{database}")
    ensure_keys(storage, datetime.now().astimezone())
    assert mode(database.parent) == 0o700
    assert [oct(mode(p)) for p in database.parent.iterdir()] == ["0o600"] * len(list(database.parent.iterdir()))
    storage.close()
    database.chmod(0o644)  # an older receiver's file: tightened when opened
    Storage(f"sqlite:///{database}").close()
    assert mode(database) == 0o600


async def test_a_retired_private_key_is_erased_when_its_overlap_ends(start_receiver, events, tmp_path) -> None:
    receiver = await start_receiver(Settings(key_overlap=timedelta(days=30)))
    device = await receiver.enroll()
    old = next(row for row in receiver.storage.platform_keys() if row.retired_at is None)
    rotate(receiver.storage, receiver.clock())
    platform = receiver.app[PLATFORM]
    receiver.clock.advance(days=29)
    await platform.housekeep()  # within the window: kept, and still opens
    assert (await receiver.report(device, [events.no_arrivals()])).status == 200
    if receiver.storage.is_sqlite:
        assert old.xwing_seed in disk_bytes(tmp_path / "receiver.db")
    receiver.clock.advance(days=2)
    await platform.housekeep()
    row = next(row for row in receiver.storage.platform_keys() if row.key_id == old.key_id)
    assert (row.x25519_private, row.xwing_seed) == (b"", b"")
    if receiver.storage.is_sqlite:  # gone from the disk, not only from the row
        on_disk = disk_bytes(tmp_path / "receiver.db")
        assert old.xwing_seed not in on_disk and old.x25519_private not in on_disk
    reply = await receiver.report(device, [events.no_arrivals("2025-03-30")])  # still sealed to the old key
    assert (reply.status, reply.code) == (400, "seal.key_expired")


async def test_the_receipt_key_is_replaced_and_the_old_one_names_the_new(start_receiver, events, tmp_path) -> None:
    receiver = await start_receiver()
    device = await receiver.enroll()
    pinned_id, pinned = device.enrollment.receipt_key_id, device.enrollment.receipt_public_key
    sealed = receiver.seal(device, [events.no_arrivals()])
    before = await receiver.send(device, sealed)
    assert before.json()["signed_by"] == pinned_id
    old_private = receiver.storage.receipt_key().private

    new_id = rotate_receipt_key(receiver.storage, receiver.clock())
    receiver.clock.advance(minutes=2)  # a running server picks the new key up within a minute
    reply = await receiver.report(device, [events.no_arrivals("2025-02-27")])
    answer = reply.json()
    assert answer["signed_by"] == new_id
    chain = follow_receipt_keys(answer["receipt_keys"], pinned_id, pinned)  # verified step by step
    assert [key_id for key_id, _ in chain] == [new_id]
    verify_receipts(answer, chain[-1][1], device.device_id)
    assert verify_platform_key(answer["platform_key"], chain[-1][1]).key_id == device.enrollment.platform_key.key_id
    assert key_fingerprint(chain[-1][1]) != key_fingerprint(pinned)

    # The same batch again: the same statement, signed by the key an agent now trusts for new answers.
    again = (await receiver.send(device, sealed)).json()
    assert again["signed_by"] == new_id and again["statement"] == before.json()["statement"]
    verify_receipts(again, chain[-1][1], device.device_id)

    rows = {row.key_id: row for row in receiver.storage.platform_keys()}
    assert rows  # the platform keys are untouched
    assert receiver.storage.receipt_key().key_id == new_id
    if receiver.storage.is_sqlite:
        assert old_private not in disk_bytes(tmp_path / "receiver.db")


async def test_a_checker_process_signs_with_the_new_receipt_key(start_receiver, events) -> None:
    receiver = await start_receiver(Settings(workers=1))
    device = await receiver.enroll()
    assert (await receiver.report(device, [events.no_arrivals()])).json()["signed_by"] == \
        device.enrollment.receipt_key_id
    new_id = rotate_receipt_key(receiver.storage, receiver.clock())
    receiver.clock.advance(minutes=2)
    reply = await receiver.report(device, [events.no_arrivals("2025-02-27")])
    assert reply.json()["signed_by"] == new_id


async def test_the_announcement_expires_and_is_renewed_in_time(start_receiver) -> None:
    receiver = await start_receiver()
    first = (await receiver.request("GET", "/v1/platform-key")).json()["platform_key"]["statement"]
    expires = datetime.fromisoformat(first["expires_at"])
    assert timedelta(days=13) < expires - receiver.clock() <= timedelta(days=14)
    receiver.clock.advance(days=6)
    await receiver.app[PLATFORM].housekeep()  # more than half its life left: kept
    assert (await receiver.request("GET", "/v1/platform-key")).json()["platform_key"]["statement"] == first
    receiver.clock.advance(days=2)
    await receiver.app[PLATFORM].housekeep()
    renewed = (await receiver.request("GET", "/v1/platform-key")).json()["platform_key"]["statement"]
    assert renewed["key_id"] == first["key_id"] and renewed["published_at"] == first["published_at"]
    assert datetime.fromisoformat(renewed["expires_at"]) - receiver.clock() == timedelta(days=14)


def test_rotate_receipt_key_as_a_command(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    first = subprocess.run([str(SCRIPT), "issue-code", "--venue", "x", "--db", db], capture_output=True, text=True)
    out = subprocess.run([str(SCRIPT), "rotate-receipt-key", "--db", db], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    second = subprocess.run([str(SCRIPT), "issue-code", "--venue", "x", "--db", db], capture_output=True, text=True)
    old_print, new_print = (json.dumps(text.stdout.splitlines()[0].split()[-1]) for text in (first, second))
    assert old_print != new_print and new_print.strip('"') in out.stdout
