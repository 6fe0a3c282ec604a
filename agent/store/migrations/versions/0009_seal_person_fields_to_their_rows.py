"""seal each person's fields to their row

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

Issue 16, finding 10: a sealed field was bound to its column only, so swapping two people's sealed names
in the database file swapped who they were, and nothing noticed. Each field is now bound to its table,
column and row (format 0x02 of `agent.store.vault`); this re-seals every field sealed before, so that no
ciphertext of the old format remains. It needs the store's key: `agent.store.migrate.upgrade` is handed
the vault by `open_store`, which checks the key against the store before.
"""

from alembic import context, op
from sqlalchemy import text

from agent.domain.errors import StoreError, VaultError

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# person's sealed columns, and the label each is sealed under (`person.<field>`)
COLUMNS = (("name_sealed", "person.name"), ("doc_number_sealed", "person.doc_number"),
           ("birth_date_sealed", "person.birth_date"), ("address_sealed", "person.address"),
           ("phone_sealed", "person.phone"), ("residence_permit_sealed", "person.residence_permit_number"))


def _reseal(to_rows: bool) -> None:
    conn = op.get_bind()
    names = ", ".join(column for column, _ in COLUMNS)
    rows = conn.execute(text(f"SELECT id, {names} FROM person")).all()
    if not any(blob for row in rows for blob in row[1:]):
        return  # nothing sealed yet (a new store, or every person purged)
    vault = context.config.attributes.get("vault")
    if vault is None:
        raise StoreError("升级登记库需要它的密钥，但没有拿到：请先解锁密钥（密钥环或 DENGJI_PASSPHRASE）",
                         "upgrading the store needs its key, which was not given: unlock the keys (the OS "
                         "keyring or DENGJI_PASSPHRASE) first", code="store.migration_needs_key")
    for person_id, *blobs in rows:
        values = {}
        for (column, label), blob in zip(COLUMNS, blobs, strict=True):
            if not blob:
                continue
            try:
                if to_rows:
                    values[column] = vault.seal(vault.open_column_bound(bytes(blob), label), label, person_id)
                else:
                    values[column] = vault.seal(vault.open(bytes(blob), label, person_id), label)
            except VaultError as exc:
                raise StoreError.from_problem(exc.problem) from None
        if values:
            assignments = ", ".join(f"{column} = :{column}" for column in values)
            conn.execute(text(f"UPDATE person SET {assignments} WHERE id = :id"), {**values, "id": person_id})


def upgrade() -> None:
    _reseal(to_rows=True)


def downgrade() -> None:
    _reseal(to_rows=False)
