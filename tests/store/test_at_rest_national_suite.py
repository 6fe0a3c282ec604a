"""The national suite at rest (issue #20): a venue whose policy asks for it seals personal fields with
SM4-GCM and indexes them with HMAC-SM3; switching re-seals what exists, leaving no plaintext and no
AES ciphertext in the file. A real store in a real SQLite file; the file's bytes are read as they are.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from agent.cli.demo_people import sample_registration
from agent.domain.errors import SettingError, StoreError, VaultError
from agent.register.registry import Registry
from agent.store import audit
from agent.store.opening import open_store
from agent.store.vault import AES, GM, Vault, new_master_key
from protocol.gm import sm4_gcm_open

SEALED = ("name_sealed", "doc_number_sealed", "birth_date_sealed", "address_sealed", "phone_sealed",
          "residence_permit_sealed")
SEALED_META = ("vault_check", "device_key", "device_sm2_key")


def _raw_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.glob("dengji.sqlite3*")))


def _sealed_cells(home: Path) -> list[bytes]:
    """Every sealed value in the file: people's fields, event payloads, the sealed meta rows."""
    with sqlite3.connect(home / "dengji.sqlite3") as db:
        cells = [blob for row in db.execute(f"SELECT {', '.join(SEALED)} FROM person") for blob in row]
        cells += [row[0] for row in db.execute("SELECT payload_sealed FROM event")]
        cells += [row[0] for row in db.execute(
            f"SELECT value FROM meta WHERE key IN ({', '.join('?' * len(SEALED_META))})", SEALED_META)]
    return [bytes(cell) for cell in cells if cell]


def _guests(registry: Registry) -> list[dict]:
    people = []
    for index, name in ((1, "欧阳明月"), (2, "司马青云"), (3, "上官海棠")):
        payload = sample_registration(index, "stay", "2026-11-20 10:00", unit=f"30{index}")
        payload["person"]["name"] = name
        payload["person"]["address"] = f"河南省郑州市金水区花园路{index}号院"
        assert registry.register(payload).ok
        people.append(payload["person"])
    assert registry.depart(registry.registrations()[0].id).ok
    return people


def test_a_gm_vault_seals_with_sm4_and_indexes_with_sm3_and_opens_both_suites() -> None:
    key = new_master_key()
    aes, gm = Vault(key), Vault(key, GM)
    sealed = gm.seal("欧阳明月", "person.name", 7)
    assert sealed is not None and sealed[:1] == b"\x03"
    assert gm.open(sealed, "person.name", 7) == aes.open(sealed, "person.name", 7) == "欧阳明月"
    old = aes.seal("欧阳明月", "person.name", 7)
    assert old is not None and old[:1] == b"\x02" and gm.open(old, "person.name", 7) == "欧阳明月"
    payload = gm.seal('{"name": "x"}', "event.payload")
    assert payload is not None and payload[:1] == b"\x04" and aes.open(payload, "event.payload") == '{"name": "x"}'
    # the same SM4-GCM as the wire (protocol.gm), under a key of its own: not the AES key cut short
    with pytest.raises(Exception):
        sm4_gcm_open(bytes(16), sealed[1:13], sealed[13:], b"person.name\x007")
    number = "410102199003071234"
    assert gm.blind_index("resident_id", number) != aes.blind_index("resident_id", number)
    assert len(gm.blind_index("resident_id", number)) == 32
    assert gm.blind_index("resident_id", number) == gm.with_suite(GM).blind_index("resident_id", number)


def test_sm4_fields_stay_bound_to_their_row_and_to_their_key() -> None:
    gm = Vault(new_master_key(), GM)
    sealed = gm.seal("欧阳明月", "person.name", 7)
    with pytest.raises(VaultError) as moved:
        gm.open(sealed, "person.name", 8)
    assert moved.value.code == "store.tampered" and "欧阳明月" not in str(moved.value)
    with pytest.raises(VaultError):
        gm.open(sealed, "person.name")  # a row-bound field where a column-bound one is expected
    with pytest.raises(VaultError) as wrong_key:
        Vault(new_master_key(), GM).open(gm.seal("x", "meta.vault_check"), "meta.vault_check")
    assert wrong_key.value.code == "store.key_mismatch"


def test_switching_a_register_with_people_in_it_leaves_no_plaintext_and_no_aes_ciphertext(
        hotel_registry: Registry, private_home: Path) -> None:
    people = _guests(hotel_registry)
    assert {cell[:1] for cell in _sealed_cells(private_home)} <= {b"\x01", b"\x02"}
    assert hotel_registry.at_rest_suite() == AES

    done = hotel_registry.set_at_rest_suite(GM)

    assert (done.suite, done.people, done.events) == (GM, 3, 4) and done.meta == 1
    assert hotel_registry.at_rest_suite() == GM
    cells = _sealed_cells(private_home)
    assert len(cells) == 3 * 5 + 4 + 1  # no residence permit in these; three people, four events, the check
    assert {cell[:1] for cell in cells} == {b"\x03", b"\x04"}, "a field of the AES suite is left"
    raw = _raw_bytes(private_home)
    assert len(raw) > 10_000
    for person in people:
        for secret in (person["name"], person["doc_number"], person["doc_number"][6:14], person["address"],
                       person["phone"]):
            for encoding in ("utf-8", "utf-16-le", "gb18030"):
                assert secret.encode(encoding) not in raw, f"{encoding} form of a personal field found in the file"
    hotel_registry.store.dispose()

    store = open_store(private_home)  # the suite is the store's: a new process seals with it
    try:
        assert store.vault.suite == GM
        again = Registry(store)
        for person in people:
            found = again.find_by_document(person["doc_type"], person["doc_number"])
            assert [view.name for view in found] == [person["name"]]  # the blind index was recomputed
        assert again.search(people[1]["name"])[0].name == people[1]["name"]
        verdict = audit.verify(store)
        assert verdict.broken is None, verdict.broken
        # a guest still here is known by the new index: registering them again is refused as such
        payload = sample_registration(2, "stay", "2026-11-21 10:00", unit="305")
        payload["person"]["name"] = people[1]["name"]
        assert [p.code for p in again.register(payload).problems] == ["registration.already_present"]
        assert again.register(sample_registration(4, "stay", "2026-11-21 10:00", unit="306")).ok
        with sqlite3.connect(private_home / "dengji.sqlite3") as db:
            assert db.execute("SELECT count(*) FROM person").fetchone()[0] == 4
        assert {cell[:1] for cell in _sealed_cells(private_home)} == {b"\x03", b"\x04"}
    finally:
        store.dispose()


def test_no_aes_nonce_survives_in_the_file(hotel_registry: Registry, private_home: Path) -> None:
    _guests(hotel_registry)
    # the AES ciphertexts written before the switch are gone from the file, not merely unreferenced:
    # checked by their nonces, 12 random bytes each, which nothing else repeats
    old_nonces = [cell[1:13] for cell in _sealed_cells(private_home)]
    hotel_registry.set_at_rest_suite(GM)
    raw = _raw_bytes(private_home)
    assert not [nonce for nonce in old_nonces if nonce in raw], "old ciphertext left in the file"


def test_the_switch_is_audited_and_tampering_after_it_is_still_found(hotel_registry: Registry,
                                                                      private_home: Path) -> None:
    _guests(hotel_registry)
    hotel_registry.set_at_rest_suite(GM)
    with sqlite3.connect(private_home / "dengji.sqlite3") as db:
        actions = [row[0] for row in db.execute("SELECT action FROM audit WHERE action IN ('reseal', 'setting')")]
        detail = db.execute("SELECT detail FROM audit WHERE action = 'setting'").fetchone()[0]
        assert actions.count("reseal") == 4 and json.loads(detail)["value"] == GM
        # an event's payload replaced by another's: the reseal entries pin the new bytes
        _, second = (row[0] for row in db.execute("SELECT payload_sealed FROM event ORDER BY seq LIMIT 2"))
        db.execute("UPDATE event SET payload_sealed = ? WHERE seq = (SELECT min(seq) FROM event)", (second,))
    verdict = audit.verify(hotel_registry.store)
    assert verdict.broken is not None and "changed after it was written" in verdict.broken.en


def test_switching_to_the_suite_in_use_or_to_an_unknown_one(hotel_registry: Registry) -> None:
    _guests(hotel_registry)
    assert hotel_registry.set_at_rest_suite(AES).people == 0
    with pytest.raises(SettingError):
        hotel_registry.set_at_rest_suite("des")
    hotel_registry.set_at_rest_suite(GM)
    assert hotel_registry.set_at_rest_suite(GM).people == 0
    back = hotel_registry.set_at_rest_suite(AES)  # and back, if the policy changes again
    assert back.people == 3 and hotel_registry.at_rest_suite() == AES


def test_a_gm_store_opened_with_a_wrong_key_fails_cleanly(hotel_registry: Registry, private_home: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _guests(hotel_registry)
    hotel_registry.set_at_rest_suite(GM)
    hotel_registry.store.dispose()
    monkeypatch.setenv("DENGJI_PASSPHRASE", "not the passphrase")
    with pytest.raises(StoreError, match="wrong passphrase"):
        open_store(private_home)


def test_a_field_that_does_not_open_stops_the_switch_and_changes_nothing(hotel_registry: Registry,
                                                                         private_home: Path) -> None:
    _guests(hotel_registry)
    with sqlite3.connect(private_home / "dengji.sqlite3") as db:
        _, b = (row[0] for row in db.execute("SELECT name_sealed FROM person ORDER BY id LIMIT 2"))
        db.execute("UPDATE person SET name_sealed = ? WHERE id = (SELECT min(id) FROM person)", (b,))
    before = _sealed_cells(private_home)
    with pytest.raises(StoreError) as refused:
        hotel_registry.set_at_rest_suite(GM)
    assert refused.value.code == "store.tampered"
    assert _sealed_cells(private_home) == before and hotel_registry.at_rest_suite() == AES


def test_on_postgresql_a_site_switches_in_one_transaction_and_another_desk_finds_its_people(
        postgres_url: str, tmp_path: Path) -> None:
    from sqlalchemy import text

    from agent.secrets.keystore import MASTER_KEY_NAME
    from agent.store.opening import join_site
    from tests.desks.test_shared_store import first_desk

    first = first_desk(tmp_path / "a", postgres_url)
    registry = Registry(first)
    people = _guests(registry)
    assert registry.set_at_rest_suite(GM).people == 3
    with first.engine.connect() as conn:
        cells = [blob for row in conn.execute(text(f"SELECT {', '.join(SEALED)} FROM person")) for blob in row]
        cells += [row[0] for row in conn.execute(text("SELECT payload_sealed FROM event"))]
        cells += [row[0] for row in conn.execute(text("SELECT value FROM meta WHERE key = 'vault_check'"))]
    assert {bytes(cell)[:1] for cell in cells if cell} == {b"\x03", b"\x04"}
    key = first.keystore.get(MASTER_KEY_NAME)  # type: ignore[union-attr]
    second = join_site(tmp_path / "b", postgres_url, key)  # type: ignore[arg-type]
    try:
        assert second.vault.suite == GM
        found = Registry(second).find_by_document(people[0]["doc_type"], people[0]["doc_number"])
        assert [view.name for view in found] == [people[0]["name"]]
        assert audit.verify(second).broken is None
    finally:
        first.dispose()
        second.dispose()


def _a_running_desk_learns_the_switch(first: Registry, second: Registry, sealed_cells) -> None:  # type: ignore[no-untyped-def]
    """`second` was open before `first` switched to gm: without reopening, its next registration is sealed
    and indexed with SM4 and SM3, and either desk finds the person by document number."""
    _guests(first)
    assert second.at_rest_suite() == AES
    assert first.set_at_rest_suite(GM).people == 3
    assert second.at_rest_suite() == GM  # read from the store, not remembered from the opening
    payload = sample_registration(4, "stay", "2026-11-21 10:00", unit="306")
    assert second.register(payload).ok
    cells = sealed_cells()
    assert len(cells) == 4 * 5 + 5 + 1
    assert {cell[:1] for cell in cells} == {b"\x03", b"\x04"}, "a desk running before the switch sealed with AES"
    person = payload["person"]
    for desk in (first, second):
        found = desk.find_by_document(person["doc_type"], person["doc_number"])
        assert [view.name for view in found] == [person["name"]], "searching by document number misses them"
    assert audit.verify(second.store).broken is None


def test_a_desk_open_before_the_switch_seals_its_next_writes_with_the_new_suite(
        hotel_registry: Registry, private_home: Path) -> None:
    second = open_store(private_home)  # another process on the same SQLite file, opened before the switch
    try:
        assert second.vault.suite == AES
        _a_running_desk_learns_the_switch(hotel_registry, Registry(second), lambda: _sealed_cells(private_home))
    finally:
        second.dispose()


def test_on_postgresql_a_desk_running_during_the_switch_seals_with_the_new_suite(
        postgres_url: str, tmp_path: Path) -> None:
    from sqlalchemy import text

    from agent.secrets.keystore import MASTER_KEY_NAME
    from agent.store.opening import join_site
    from tests.desks.test_shared_store import first_desk

    first = first_desk(tmp_path / "a", postgres_url)
    key = first.keystore.get(MASTER_KEY_NAME)  # type: ignore[union-attr]
    second = join_site(tmp_path / "b", postgres_url, key)  # type: ignore[arg-type]

    def cells() -> list[bytes]:
        with first.engine.connect() as conn:
            found = [blob for row in conn.execute(text(f"SELECT {', '.join(SEALED)} FROM person")) for blob in row]
            found += [row[0] for row in conn.execute(text("SELECT payload_sealed FROM event"))]
            found += [row[0] for row in conn.execute(text(
                f"SELECT value FROM meta WHERE key IN ({', '.join(repr(k) for k in SEALED_META)})"))]
        return [bytes(cell) for cell in found if cell]

    try:
        assert second.vault.suite == AES
        _a_running_desk_learns_the_switch(Registry(first), Registry(second), cells)
    finally:
        first.dispose()
        second.dispose()


def test_on_postgresql_desks_writing_while_another_switches_leave_nothing_of_the_old_suite(
        postgres_url: str, tmp_path: Path) -> None:
    """The race itself: one desk registers people one after another while the other switches; whatever
    the interleaving, each registration either ends before the switch (and is re-sealed by it) or is
    sealed with the new suite, and every one is found by document number."""
    import threading

    from sqlalchemy import text

    from agent.secrets.keystore import MASTER_KEY_NAME
    from agent.store.opening import join_site
    from tests.desks.test_shared_store import first_desk

    first = first_desk(tmp_path / "a", postgres_url)
    key = first.keystore.get(MASTER_KEY_NAME)  # type: ignore[union-attr]
    second = join_site(tmp_path / "b", postgres_url, key)  # type: ignore[arg-type]
    writer, switcher = Registry(second), Registry(first)
    started, people, failures = threading.Event(), [], []

    def write() -> None:
        try:
            for index in range(10, 40):
                payload = sample_registration(index, "stay", "2026-11-21 10:00", unit=f"5{index}")
                assert writer.register(payload).ok
                people.append(payload["person"])
                started.set()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
            started.set()

    try:
        _guests(switcher)
        thread = threading.Thread(target=write)
        thread.start()
        started.wait(30)
        assert switcher.set_at_rest_suite(GM).people >= 4
        thread.join(60)
        assert not failures and len(people) == 30
        with first.engine.connect() as conn:
            cells = [blob for row in conn.execute(text(f"SELECT {', '.join(SEALED)} FROM person")) for blob in row]
            cells += [row[0] for row in conn.execute(text("SELECT payload_sealed FROM event"))]
        assert {bytes(cell)[:1] for cell in cells if cell} == {b"\x03", b"\x04"}
        for person in people:
            for desk in (writer, switcher):
                found = desk.find_by_document(person["doc_type"], person["doc_number"])
                assert [view.name for view in found] == [person["name"]]
        assert audit.verify(second).broken is None
    finally:
        first.dispose()
        second.dispose()
