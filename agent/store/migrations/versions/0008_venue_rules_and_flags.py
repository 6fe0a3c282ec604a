"""venue subtype, jurisdiction and region; registration flags

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

Issue 18's people rules: an overnight venue says what it is (an internet café admits no minor), a venue
has a jurisdiction (whose policy file gives its deadlines) and the region of its address (a resident
whose ID shows the same city needs no residence permit); a registration keeps the flags the validator
gave it (a minor alone, a stay past the visa, a late registration), which the operator's duties read.
"""

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subtype', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('jurisdiction', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('region', sa.String(length=6), nullable=True))
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('flags')
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.drop_column('region')
        batch_op.drop_column('jurisdiction')
        batch_op.drop_column('subtype')
