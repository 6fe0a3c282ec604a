"""index outbox entries by batch

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

Writing a batch's receipts back finds its events by batch id; without an index that was a scan of the
whole outbox for every batch, which made draining a backlog quadratic.
"""

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_batch_id', ['batch_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_batch_id')
