"""Which cipher suite seals the venue's personal data at rest, and switching it (issue #20).

Where a venue's policy asks for the national suite, the owner runs `dengji at-rest gm`: from then on the
vault seals fields with SM4-GCM and computes blind indexes with HMAC-SM3 (`agent.store.vault`, formats
0x03 and 0x04) instead of AES-256-GCM and HMAC-SHA256 (0x02 and 0x01). The choice is a `meta` row
(`at_rest_suite`) of the store, not a setting of one desk: every desk of a site seals with it, and it
travels with the store in a backup.

The switch is this command's transaction and not an alembic migration: a migration runs for every store
when the agent is upgraded, while the suite is a choice each venue makes when its policy asks, any time
after. One write transaction re-seals every sealed field with the new suite - each person's fields, every
event's payload, the sealed `meta` rows (the key check, the device's keys) - recomputes every blind index
(`person.doc_index`) and records the suite; if anything fails, nothing of it is kept and the store is as
it was. No ciphertext of the old suite remains: on SQLite the transaction runs with `secure_delete` and
the write-ahead log is emptied after it (as the retention purge does), so the old bytes are gone from the
files, not merely unreferenced. Backups made before the switch still hold them (they are sealed with
the backup passphrase; delete them when they are no longer needed).

An event's payload is pinned by the audit trail (its entry keeps the SHA-256 of the sealed bytes, and the
trail is append-only). Re-sealing a payload therefore appends a `reseal` entry naming that event, with the
digest of its new bytes, and `audit verify` checks a payload against its latest such entry: the trail
says who re-sealed what and when, and a payload changed in any other way still breaks it.

On SQLite the transaction holds the database's write lock. On PostgreSQL it locks the meta, person and
event tables against writes (reads go on), `meta` first: every write transaction of every desk begins by
locking `meta` in the mode writes share and reading the suite from it (`Store.write`), so a write begun
before the switch ends before the switch re-seals (and is re-sealed with the rest), and one begun after
waits for the switch to commit and seals with the new suite. The other desks need no restart: a desk
that was running during the switch seals and indexes its next write with the new suite, and its
searches by document number (`agent.register.listing`) look up the blind index of either suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session, col, select, update

from agent.domain.errors import SettingError, StoreError, VaultError
from agent.duties.operators import require_owner
from agent.duties.retention import checkpoint, secure_delete
from agent.store import audit
from agent.store.database import Store
from agent.store.models import (
    AT_REST_META_KEY,
    DEVICE_KEY_META_KEY,
    DEVICE_SM2_KEY_META_KEY,
    Event,
    Meta,
    Person,
)
from agent.store.opening import VAULT_CHECK_KEY
from agent.store.vault import AES, GM, SUITES, Vault

__all__ = ["AES", "GM", "Resealed", "switch_suite"]

# A person's sealed columns and the labels they are sealed under (as `agent.store.audit` checks them).
PERSON_SEALED = audit.PERSON_SEALED
# The `meta` rows sealed by the vault, and their labels.
META_SEALED = ((VAULT_CHECK_KEY, "meta.vault_check"), (DEVICE_KEY_META_KEY, "meta.device_key"),
               (DEVICE_SM2_KEY_META_KEY, "meta.device_sm2_key"))


@dataclass(frozen=True)
class Resealed:
    """What a switch did: the suite now, and how many people, event payloads and meta rows it re-sealed."""

    suite: str
    people: int
    events: int
    meta: int


def switch_suite(store: Store, suite: str, *, operator: str, now: datetime | None = None) -> Resealed:
    """Seal the store's personal data with `suite` (`aes` or `gm`) from now on, re-sealing all there is
    in one transaction (owners only; audited). Switching to the suite in use changes nothing. Raises
    SettingError (an unknown suite), OperatorError (not an owner), StoreError (a field that does not open:
    nothing is changed then)."""
    if suite not in SUITES:
        raise SettingError(f"加密算法只能是 {AES}（AES-256-GCM）或 {GM}（国密 SM4/SM3）",
                           f"the suite is {AES} (AES-256-GCM) or {GM} (the national suite, SM4 and SM3)",
                           code="setting.at_rest_suite")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    new = store.vault.with_suite(suite)

    def work(session: Session) -> Resealed:
        require_owner(session, operator)
        _hold(session)
        row = session.get(Meta, AT_REST_META_KEY)
        if (row.value.decode("ascii", "replace") if row is not None else AES) == suite:
            return Resealed(suite, 0, 0, 0)
        try:
            with secure_delete(session):
                people = _reseal_people(session, store.vault, new)
                events = _reseal_events(session, store.vault, new, operator, moment)
                meta = _reseal_meta(session, store.vault, new)
        except VaultError as exc:
            raise StoreError.from_problem(exc.problem) from None
        session.merge(Meta(key=AT_REST_META_KEY, value=suite.encode("ascii")))
        audit.append(session, action=audit.SETTING, operator=operator, at=moment,
                     detail={"name": AT_REST_META_KEY, "value": suite, "people": people, "events": events})
        return Resealed(suite, people, events, meta)

    done = store.write(work)
    store.vault = new
    if store.engine.dialect.name == "sqlite":
        checkpoint(store)
    return done


def _hold(session: Session) -> None:
    """Keep every other desk from writing sealed data until the switch commits (SQLite: the write
    transaction does already). `meta` is locked first (PostgreSQL locks the tables in the order named):
    every write transaction locks it before anything else to read the suite (`Store.write`), so one that
    got there first ends before the switch takes the other tables, and none waits crosswise."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE meta, person, event IN SHARE ROW EXCLUSIVE MODE"))


def _reseal_people(session: Session, old: Vault, new: Vault) -> int:
    """Re-seal each person's fields and recompute their blind index; the number of people."""
    columns = [getattr(Person, column) for column, _ in PERSON_SEALED]
    rows = session.exec(select(Person.id, Person.doc_type, Person.doc_index, Person.guardian_id, *columns)
                        .order_by(col(Person.id))).all()
    count = 0
    for person_id, doc_type, index, guardian_id, *blobs in rows:
        plain = {label: old.open(bytes(blob), label, person_id) if blob else None
                 for (_, label), blob in zip(PERSON_SEALED, blobs, strict=True)}
        values: dict[str, object] = {
            column: new.seal(plain[label], label, person_id)
            for (column, label), blob in zip(PERSON_SEALED, blobs, strict=True) if blob}
        if index is not None:  # None: erased by the retention purge
            number = plain["person.doc_number"]
            values["doc_index"] = (new.blind_index(doc_type, number) if number else new.blind_index(
                "child", f"{guardian_id}|{plain['person.name']}|{plain['person.birth_date']}"))
        if values:
            session.execute(update(Person).where(col(Person.id) == person_id).values(**values))
            count += 1
    return count


def _reseal_events(session: Session, old: Vault, new: Vault, operator: str, at: datetime) -> int:
    """Re-seal each event's payload, entering its new digest in the audit trail; the number re-sealed."""
    rows = session.exec(select(Event.seq, Event.registration_id, Event.payload_sealed)
                        .order_by(col(Event.seq))).all()
    count = 0
    for seq, registration_id, payload in rows:
        if not payload:
            continue  # erased by the retention purge
        sealed = new.seal(old.open(bytes(payload), "event.payload"), "event.payload")
        assert sealed is not None
        session.execute(update(Event).where(col(Event.seq) == seq).values(payload_sealed=sealed))
        audit.append(session, action=audit.RESEAL, operator=operator, at=at, registration_id=registration_id,
                     digest=audit.digest_of(sealed), detail={"event": seq})
        count += 1
    return count


def _reseal_meta(session: Session, old: Vault, new: Vault) -> int:
    count = 0
    for key, label in META_SEALED:
        row = session.get(Meta, key)
        if row is not None:
            sealed = new.seal(old.open(bytes(row.value), label), label)
            assert sealed is not None
            row.value = sealed
            session.add(row)
            count += 1
    session.flush()
    return count
