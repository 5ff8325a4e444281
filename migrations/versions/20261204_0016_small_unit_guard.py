"""The small-unit guard: units (named schools, kindergartens, offices) as reference data, the
unit a story is about, and the "held" status of a story a moderator decided to publish that
waits until enough stories about its unit have been decided. And the verdict of a check on a
service's answer, the record that lets an account's plain answers show without one.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:10:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

import voice.db  # noqa: F401  (custom column types)

revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_STATUSES = "status IN ('new', 'published', 'internal', 'rejected')"
NEW_STATUSES = "status IN ('new', 'published', 'internal', 'rejected', 'held')"


def upgrade() -> None:
    op.create_table(
        'unit',
        sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('is_small', sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('school', 'kindergarten', 'office', 'other')", name='ck_unit_kind'),
        sa.ForeignKeyConstraint(['area_id'], ['area.id'], name='fk_unit_area_id', ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], name='fk_unit_service_id', ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_slug'), ['slug'], unique=True)
        batch_op.create_index(batch_op.f('ix_unit_service_id'), ['service_id'], unique=False)

    with op.batch_alter_table('experience', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unit_removed', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_experience_unit_id'), ['unit_id'], unique=False)
        batch_op.create_foreign_key('fk_experience_unit_id', 'unit', ['unit_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint('ck_experience_status', type_='check')
        batch_op.create_check_constraint('ck_experience_status', NEW_STATUSES)
    with op.batch_alter_table('service_answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_verdict', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE experience SET status = 'new' WHERE status = 'held'")
    with op.batch_alter_table('service_answer', schema=None) as batch_op:
        batch_op.drop_column('check_verdict')
    with op.batch_alter_table('experience', schema=None) as batch_op:
        batch_op.drop_constraint('ck_experience_status', type_='check')
        batch_op.create_check_constraint('ck_experience_status', OLD_STATUSES)
        batch_op.drop_constraint('fk_experience_unit_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_experience_unit_id'))
        batch_op.drop_column('unit_removed')
        batch_op.drop_column('unit_id')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_service_id'))
        batch_op.drop_index(batch_op.f('ix_unit_slug'))
    op.drop_table('unit')
