"""audit trail, operator accounts, retention

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

The audit table is append-only: triggers refuse UPDATE and DELETE (a second line of defence; the proof
is `dengji audit verify`). Events written before the trail existed are entered in it here, oldest
first, marked `{"before_audit": true}`, so that from now on every event of the register is pinned by
the chain. Note for later migrations: rebuilding `audit` in SQLite batch mode drops its triggers, so
such a migration must create them again.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
_POSTGRES_TRIGGERS = (
    "CREATE FUNCTION dengji_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION dengji_audit_append_only()",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION dengji_audit_append_only()",
)


def upgrade() -> None:
    op.create_table('audit',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('event_seq', sa.Integer(), nullable=True),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('event_seq'),
    sa.UniqueConstraint('prev_hash')
    )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_registration_id'), ['registration_id'], unique=False)

    op.create_table('operator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('pin_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    _enter_earlier_events()
    for statement in _SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else _POSTGRES_TRIGGERS:
        op.execute(statement)


def _enter_earlier_events() -> None:
    """Give every event already in the register its audit entry, in order, chained as `append` would."""
    from agent.store.audit import GENESIS, canonical, digest_of, link

    bind = op.get_bind()
    event = sa.table('event', sa.column('seq', sa.Integer()), sa.column('type', sa.String()),
                     sa.column('registration_id', sa.Integer()), sa.column('payload_sealed', sa.LargeBinary()),
                     sa.column('operator', sa.String()),
                     sa.column('created_at', sqlmodel.sql.sqltypes.UTCDateTime()))
    audit = sa.table('audit', *(sa.column(name) for name in (
        'seq', 'operator', 'action', 'registration_id', 'event_seq', 'digest', 'detail', 'prev_hash', 'hash')),
        sa.column('at', sqlmodel.sql.sqltypes.UTCDateTime()))
    prev, seq, rows = GENESIS, 0, []
    detail = '{"before_audit":true}'
    for row in bind.execute(sa.select(event).order_by(event.c.seq)):
        seq += 1
        operator, digest = row.operator or "", digest_of(row.payload_sealed)
        entry_hash = link(prev, canonical(seq, row.created_at, operator, row.type, row.registration_id, row.seq,
                                          digest, detail))
        rows.append({"seq": seq, "at": row.created_at, "operator": operator, "action": row.type,
                     "registration_id": row.registration_id, "event_seq": row.seq, "digest": digest,
                     "detail": detail, "prev_hash": prev, "hash": entry_hash})
        prev = entry_hash
        if len(rows) >= 1000:
            bind.execute(audit.insert(), rows)
            rows = []
    if rows:
        bind.execute(audit.insert(), rows)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_no_change ON audit")
        op.execute("DROP TRIGGER IF EXISTS audit_no_truncate ON audit")
        op.execute("DROP FUNCTION IF EXISTS dengji_audit_append_only()")
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
    op.drop_table('operator')
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_registration_id'))
    op.drop_table('audit')
