"""Rules held by the database: CHECK constraints on every status, role and range.

The code's lists of allowed values (statuses, roles, kinds, reasons) and the
ranges of numbers (usefulness 1-5, services explained 0-6, persons 0-20) are
written into the tables, so a wrong value is refused at flush on both databases,
whoever writes it. SQLite cannot add a constraint to a table: the table is
copied (batch mode), its data kept.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:30:00
"""
from collections import defaultdict
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHECKS = [
    ("user_account", "ck_user_account_organisation_kind", "organisation_kind IS NULL OR organisation_kind IN ('volunteer', 'nonprofit', 'business', 'resident', 'service')"),
    ("user_account", "ck_user_account_role", "role IN ('moderator', 'partner', 'admin')"),
    ("cocreation_session", "ck_cocreation_session_capacity", "capacity BETWEEN 1 AND 10000"),
    ("cocreation_session", "ck_cocreation_session_kind", "kind IN ('workshop', 'family-activity', 'meeting-place', 'job-training', 'information')"),
    ("cocreation_session", "ck_cocreation_session_ends_after_start", "ends_at > starts_at"),
    ("cocreation_session", "ck_cocreation_session_organiser_kind", "organiser_kind IN ('volunteer', 'nonprofit', 'business', 'resident', 'service')"),
    ("cocreation_session", "ck_cocreation_session_status", "status IN ('pending', 'published', 'cancelled')"),
    ("experience", "ck_experience_usefulness", "usefulness IS NULL OR usefulness BETWEEN 1 AND 5"),
    ("experience", "ck_experience_listened", "listened IS NULL OR listened IN ('yes', 'partly', 'no')"),
    ("experience", "ck_experience_services_explained", "services_explained IS NULL OR services_explained BETWEEN 0 AND 6"),
    ("experience", "ck_experience_status", "status IN ('new', 'published', 'internal', 'rejected')"),
    ("export_job", "ck_export_job_file_format", "file_format IN ('csv', 'xlsx', 'json')"),
    ("export_job", "ck_export_job_status", "status IN ('pending', 'running', 'done', 'failed')"),
    ("invitation", "ck_invitation_purpose", "purpose IN ('invite', 'reset')"),
    ("invitation", "ck_invitation_role", "role IN ('moderator', 'partner', 'admin')"),
    ("invitation", "ck_invitation_organisation_kind", "organisation_kind IS NULL OR organisation_kind IN ('volunteer', 'nonprofit', 'business', 'resident', 'service')"),
    ("cocreation_signup", "ck_cocreation_signup_status", "status IN ('confirmed', 'waiting', 'cancelled')"),
    ("cocreation_signup", "ck_cocreation_signup_role", "role IN ('participant', 'helper')"),
    ("cocreation_signup", "ck_cocreation_signup_adults", "adults BETWEEN 0 AND 20"),
    ("cocreation_signup", "ck_cocreation_signup_children", "children BETWEEN 0 AND 20"),
    ("cocreation_signup", "ck_cocreation_signup_usefulness", "usefulness IS NULL OR usefulness BETWEEN 1 AND 5"),
    ("service_answer", "ck_service_answer_change_status", "change_status IN ('none', 'planned', 'made')"),
    ("story_report", "ck_story_report_reason", "reason IN ('identifies', 'offensive', 'untrue', 'other')"),
]


def _by_table():
    tables = defaultdict(list)
    for table, name, condition in CHECKS:
        tables[table].append((name, condition))
    return tables


def upgrade() -> None:
    for table, checks in _by_table().items():
        with op.batch_alter_table(table) as batch:
            for name, condition in checks:
                batch.create_check_constraint(name, sa.text(condition))


def downgrade() -> None:
    for table, checks in _by_table().items():
        with op.batch_alter_table(table) as batch:
            for name, _condition in checks:
                batch.drop_constraint(name, type_="check")
