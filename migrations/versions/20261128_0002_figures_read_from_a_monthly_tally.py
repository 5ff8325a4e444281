"""Figures read from a monthly tally; two experience indexes no longer needed.

The tally starts empty: ``flask voice migrate`` (what ``make run`` and a deploy
run) builds it from the experiences right after upgrading, or run
``flask voice figures --rebuild``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 07:15:41.754582
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

import voice.db  # noqa: F401  (custom column types)

revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('experience_tally',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('experiences', sa.Integer(), nullable=False),
    sa.Column('useful_answers', sa.Integer(), nullable=False),
    sa.Column('useful', sa.Integer(), nullable=False),
    sa.Column('listened_answers', sa.Integer(), nullable=False),
    sa.Column('listened', sa.Integer(), nullable=False),
    sa.Column('explained_0', sa.Integer(), nullable=False),
    sa.Column('explained_1', sa.Integer(), nullable=False),
    sa.Column('explained_2', sa.Integer(), nullable=False),
    sa.Column('explained_3', sa.Integer(), nullable=False),
    sa.Column('explained_4', sa.Integer(), nullable=False),
    sa.Column('explained_5', sa.Integer(), nullable=False),
    sa.Column('explained_6', sa.Integer(), nullable=False),
    sa.Column('published', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('changes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('service_id', 'domain_id', 'month', 'area_id')
    )
    # Both were for scanning experiences per period; (status, created_at) is the prefix
    # of ix_experience_figures_by_time, which stays.
    op.drop_index('ix_experience_figures_by_area', table_name='experience')
    op.drop_index('ix_experience_status_created', table_name='experience')



def downgrade() -> None:
    op.create_index('ix_experience_status_created', 'experience', ['status', 'created_at'], unique=False)
    op.create_index('ix_experience_figures_by_area', 'experience',
                    ['area_id', 'created_at', 'status', 'usefulness', 'listened', 'services_explained', 'id'], unique=False)

    op.drop_table('experience_tally')
