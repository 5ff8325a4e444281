"""Staff sign in with the municipality's own login (OpenID Connect): an account may be named
by the provider's issuer and subject, how its last sign-in was made is kept, and a session
keeps the ID token to end the provider's session at logout.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 20:25:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_issuer', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('oidc_subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('last_amr', sqlmodel.sql.sqltypes.AutoString(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('last_acr', sqlmodel.sql.sqltypes.AutoString(length=120), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_user_account_oidc_subject'), ['oidc_subject'], unique=False)
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_token', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=True))
        batch_op.add_column(sa.Column('oidc_sid', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_session_oidc_sid'), ['oidc_sid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_oidc_sid'))
        batch_op.drop_column('oidc_sid')
        batch_op.drop_column('id_token')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_oidc_subject'))
        batch_op.drop_column('last_acr')
        batch_op.drop_column('last_amr')
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')
