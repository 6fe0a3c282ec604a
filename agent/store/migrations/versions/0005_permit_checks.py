"""permit checks (一证通) kept with their registration

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'permit_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('valid_until', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column('checked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('answer', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('permit_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_permit_check_registration_id'), ['registration_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('permit_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_permit_check_registration_id'))
    op.drop_table('permit_check')
