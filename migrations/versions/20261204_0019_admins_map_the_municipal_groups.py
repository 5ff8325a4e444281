"""The admin maps the municipal login's groups to Voice roles (besides OIDC_ROLE_MAP).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 20:55:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import voice.db  # noqa: F401  (custom column types)

revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'oidc_role_mapping',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('moderator', 'partner', 'admin')", name='ck_oidc_role_mapping_role'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('group'),
    )


def downgrade() -> None:
    op.drop_table('oidc_role_mapping')
