"""first version of Voice

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 06:04:20.986447
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op


import voice.db  # noqa: F401  (custom column types)

revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# The audit log is append-only: the database itself refuses UPDATE and DELETE.
APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
        "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    ],
}


def upgrade() -> None:
    op.create_table('area',
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('is_pilot_zone', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_slug'), ['slug'], unique=True)

    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('target_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('target_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('remote_addr', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_created_at'), ['created_at'], unique=False)

    op.create_table('life_domain',
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('life_domain', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_life_domain_slug'), ['slug'], unique=True)

    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('to_address', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('text_body', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('html_body', sqlmodel.sql.sqltypes.AutoString(length=40000), nullable=False),
    sa.Column('attachment_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('attachment_type', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('attachment_body', sqlmodel.sql.sqltypes.AutoString(length=40000), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('sent_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_next_attempt_at'), ['next_attempt_at'], unique=False)

    op.create_table('reference_name',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'ref_id', 'locale')
    )
    op.create_table('service',
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_slug'), ['slug'], unique=True)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('totp_secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('totp_enabled', sa.Boolean(), nullable=False),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('handles_concerns', sa.Boolean(), nullable=False),
    sa.Column('wants_digest', sa.Boolean(), nullable=False),
    sa.Column('organisation', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True),
    sa.Column('organisation_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_email'), ['email'], unique=True)

    op.create_table('cocreation_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('series_id', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('text_lang', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('venue', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('starts_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('languages', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('interpreter', sa.Boolean(), nullable=False),
    sa.Column('childcare', sa.Boolean(), nullable=False),
    sa.Column('step_free', sa.Boolean(), nullable=False),
    sa.Column('cost', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('cancel_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('organiser_id', sa.Integer(), nullable=True),
    sa.Column('organiser_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('personal_data_purged_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('seats_taken >= 0 AND seats_taken <= capacity', name='ck_session_not_overbooked'),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organiser_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id')
    )
    with op.batch_alter_table('cocreation_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocreation_session_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cocreation_session_organiser_id'), ['organiser_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cocreation_session_series_id'), ['series_id'], unique=False)
        batch_op.create_index('ix_session_status_starts', ['status', 'starts_at'], unique=False)

    op.create_table('experience',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('usefulness', sa.Integer(), nullable=True),
    sa.Column('listened', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('services_explained', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('story', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('story_lang', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('page_lang', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('consent_publish', sa.Boolean(), nullable=False),
    sa.Column('pii_kinds', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('receipt_locator', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('receipt_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('form_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('published_story', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('translation', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('translation_lang', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reject_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('serious_concern', sa.Boolean(), nullable=False),
    sa.Column('decided_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('original_deleted_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('is_hidden', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('form_token'),
    sa.UniqueConstraint('public_id')
    )
    with op.batch_alter_table('experience', schema=None) as batch_op:
        batch_op.create_index('ix_experience_figures_by_area', ['area_id', 'created_at', 'status', 'usefulness', 'listened', 'services_explained', 'id'], unique=False)
        batch_op.create_index('ix_experience_figures_by_time', ['status', 'created_at', 'area_id', 'usefulness', 'listened', 'services_explained', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_experience_receipt_locator'), ['receipt_locator'], unique=False)
        batch_op.create_index('ix_experience_status_created', ['status', 'created_at'], unique=False)

    op.create_table('export_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('file_format', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('filters', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_job_user_id'), ['user_id'], unique=False)

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('organisation', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True),
    sa.Column('organisation_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    op.create_table('cocreation_session_partner',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['cocreation_session.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'user_id')
    )
    op.create_table('cocreation_session_service',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['cocreation_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'service_id')
    )
    op.create_table('cocreation_signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('form_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('adults', sa.Integer(), nullable=False),
    sa.Column('children', sa.Integer(), nullable=False),
    sa.Column('interpreter_lang', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('needs_childcare', sa.Boolean(), nullable=False),
    sa.Column('accessibility', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('page_lang', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('promoted_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('usefulness', sa.Integer(), nullable=True),
    sa.Column('rated_at', voice.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['cocreation_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('form_token'),
    sa.UniqueConstraint('session_id', 'email', name='uq_signup_session_email'),
    sa.UniqueConstraint('session_id', 'phone', name='uq_signup_session_phone'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('cocreation_signup', schema=None) as batch_op:
        batch_op.create_index('ix_signup_session_status', ['session_id', 'status', 'id'], unique=False)

    op.create_table('experience_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('delete_after', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['experience_id'], ['experience.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('experience_id')
    )
    with op.batch_alter_table('experience_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experience_contact_delete_after'), ['delete_after'], unique=False)

    op.create_table('experience_domain',
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['life_domain.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['experience_id'], ['experience.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('experience_id', 'domain_id')
    )
    with op.batch_alter_table('experience_domain', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experience_domain_domain_id'), ['domain_id'], unique=False)

    op.create_table('experience_service',
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['experience_id'], ['experience.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('experience_id', 'service_id')
    )
    with op.batch_alter_table('experience_service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experience_service_service_id'), ['service_id'], unique=False)

    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('pii_kinds', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['experience_id'], ['experience.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_experience_id'), ['experience_id'], unique=False)

    op.create_table('service_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('change_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['experience_id'], ['experience.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_answer_experience_id'), ['experience_id'], unique=False)

    op.create_table('story_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', voice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['experience_id'], ['experience.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('story_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_report_experience_id'), ['experience_id'], unique=False)
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_change ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    with op.batch_alter_table('story_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_report_experience_id'))

    op.drop_table('story_report')
    with op.batch_alter_table('service_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_answer_experience_id'))

    op.drop_table('service_answer')
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_experience_id'))

    op.drop_table('follow_up')
    with op.batch_alter_table('experience_service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experience_service_service_id'))

    op.drop_table('experience_service')
    with op.batch_alter_table('experience_domain', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experience_domain_domain_id'))

    op.drop_table('experience_domain')
    with op.batch_alter_table('experience_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experience_contact_delete_after'))

    op.drop_table('experience_contact')
    with op.batch_alter_table('cocreation_signup', schema=None) as batch_op:
        batch_op.drop_index('ix_signup_session_status')

    op.drop_table('cocreation_signup')
    op.drop_table('cocreation_session_service')
    op.drop_table('cocreation_session_partner')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
    op.drop_table('invitation')
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_job_user_id'))

    op.drop_table('export_job')
    with op.batch_alter_table('experience', schema=None) as batch_op:
        batch_op.drop_index('ix_experience_status_created')
        batch_op.drop_index(batch_op.f('ix_experience_receipt_locator'))
        batch_op.drop_index('ix_experience_figures_by_time')
        batch_op.drop_index('ix_experience_figures_by_area')

    op.drop_table('experience')
    with op.batch_alter_table('cocreation_session', schema=None) as batch_op:
        batch_op.drop_index('ix_session_status_starts')
        batch_op.drop_index(batch_op.f('ix_cocreation_session_series_id'))
        batch_op.drop_index(batch_op.f('ix_cocreation_session_organiser_id'))
        batch_op.drop_index(batch_op.f('ix_cocreation_session_area_id'))

    op.drop_table('cocreation_session')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_email'))

    op.drop_table('user_account')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_slug'))

    op.drop_table('service')
    op.drop_table('reference_name')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_next_attempt_at'))

    op.drop_table('outbox_message')
    with op.batch_alter_table('life_domain', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_life_domain_slug'))

    op.drop_table('life_domain')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))

    op.drop_table('audit_entry')
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_slug'))

    op.drop_table('area')
