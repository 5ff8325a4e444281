"""A role for those who answer for one service (``responder``), with the service it answers for
on the account, the invitation and the admin's group mapping.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 21:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: Union[str, None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_ROLES = "role IN ('moderator', 'partner', 'admin')"
NEW_ROLES = "role IN ('moderator', 'partner', 'admin', 'responder')"
HAS_SERVICE = "role <> 'responder' OR service_id IS NOT NULL"
# table -> what the service's deletion does to the row
TABLES = {"user_account": "RESTRICT", "invitation": "CASCADE", "oidc_role_mapping": "CASCADE"}


def upgrade() -> None:
    for table, ondelete in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('service_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(f'fk_{table}_service_id', 'service', ['service_id'], ['id'], ondelete=ondelete)
            batch_op.drop_constraint(f'ck_{table}_role', type_='check')
            batch_op.create_check_constraint(f'ck_{table}_role', NEW_ROLES)
            batch_op.create_check_constraint(f'ck_{table}_responder_service', HAS_SERVICE)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE role = 'responder'")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'ck_{table}_responder_service', type_='check')
            batch_op.drop_constraint(f'ck_{table}_role', type_='check')
            batch_op.create_check_constraint(f'ck_{table}_role', OLD_ROLES)
            batch_op.drop_constraint(f'fk_{table}_service_id', type_='foreignkey')
            batch_op.drop_column('service_id')
