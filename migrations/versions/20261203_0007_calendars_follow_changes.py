"""Calendars follow changes: each co-creation session carries its iCalendar SEQUENCE,
raised at each change (a cancellation), so a calendar holding the event replaces it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:40:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('cocreation_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('cocreation_session', schema=None) as batch_op:
        batch_op.drop_column('sequence')
