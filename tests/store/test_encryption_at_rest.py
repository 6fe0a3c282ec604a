"""Personal data never reaches the database file in the clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli.demo_people import sample_registration
from agent.domain.errors import StoreError
from agent.register.registry import Registry
from agent.store.opening import open_store


def _raw_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.glob("dengji.sqlite3*")))


def test_raw_database_holds_neither_name_nor_document_number(hotel_registry: Registry, private_home: Path) -> None:
    payload = sample_registration(7, "stay", "2026-11-20 10:00")
    payload["person"]["name"] = "欧阳明月"
    payload["person"]["address"] = "河南省郑州市金水区花园路99号"
    assert hotel_registry.register(payload).ok
    assert hotel_registry.depart(hotel_registry.registrations()[0].id).ok
    raw = _raw_bytes(private_home)
    assert len(raw) > 10_000  # the file (and its WAL) really is there and was read
    number = payload["person"]["doc_number"]
    for secret in ("欧阳明月", number, number[6:14], "花园路99号", payload["person"]["phone"]):
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert secret.encode(encoding) not in raw, f"{encoding} form of a personal field found in the file"
    assert b"\xe6\xb5\x8b\xe8\xaf\x95\xe5\xae\xbe\xe9\xa6\x86" in raw  # the venue name (not personal) is plain


def test_store_refuses_a_wrong_or_missing_key(hotel_registry: Registry, private_home: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert hotel_registry.register(sample_registration(8, "stay", "2026-11-20 10:00")).ok
    hotel_registry.store.dispose()
    monkeypatch.setenv("DENGJI_PASSPHRASE", "not the passphrase")
    with pytest.raises(StoreError, match="wrong passphrase"):
        open_store(private_home)
    monkeypatch.setenv("DENGJI_PASSPHRASE", "correct horse battery staple")
    (private_home / "keys.enc").rename(private_home / "keys.enc.lost")
    with pytest.raises(StoreError, match="key of this store is missing"):
        open_store(private_home)


def test_no_passphrase_and_no_keyring_says_what_to_do(private_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DENGJI_PASSPHRASE")
    with pytest.raises(StoreError, match="DENGJI_PASSPHRASE"):
        open_store(private_home, create=True)
    assert not (private_home / "keys.enc").exists()


def test_systemd_credential_unlocks_the_key_file(private_home: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    open_store(private_home, create=True).dispose()
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "dengji-passphrase").write_text("correct horse battery staple\n")
    monkeypatch.delenv("DENGJI_PASSPHRASE")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    open_store(private_home).dispose()


def test_opening_a_home_without_a_store_asks_for_init(private_home: Path) -> None:
    with pytest.raises(StoreError, match="dengji init"):
        open_store(private_home)
