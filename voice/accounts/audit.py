"""The append-only audit log (SECURITY.md 20-21).

`record` adds an entry to the caller's transaction, so an action and its entry
are stored together or not at all. For events whose request fails on purpose (a
refused login, a 403) the web edge keeps the entry through the request's end
whatever happens (voice/web/audit.py). Plain Python: the caller says who acted
and from which address ("cli" for commands and jobs). Never log passwords,
receipt codes, story text or national ID numbers.
"""
from __future__ import annotations

import json

from sqlmodel import Session, col, select

from ..locales import N_
from .models import AuditEntry

# What each action is called on the audit page, in the reader's language. An action without
# a name here (a new one) is shown as it is stored; tests/test_words_everywhere.py lists the
# actions the code records and fails when one has no name.
ACTION_NAMES = {
    "access_denied": N_("Access refused"),
    "account_concerns_changed": N_("Serious concerns setting changed"),
    "account_created": N_("Account created"),
    "account_disabled": N_("Account disabled"),
    "account_enabled": N_("Account enabled"),
    "account_invited": N_("Person invited"),
    "digest_setting_changed": N_("Daily summary setting changed"),
    "export_downloaded": N_("Export downloaded"),
    "export_requested": N_("Export asked for"),
    "invitation_accepted": N_("Invitation accepted"),
    "login": N_("Logged in"),
    "login_failed": N_("Login failed"),
    "logout": N_("Logged out"),
    "password_change_failed": N_("Password change failed"),
    "password_changed": N_("Password changed"),
    "password_reset_issued": N_("Password link sent"),
    "purge": N_("Old data deleted"),
    "reference_saved": N_("Reference data saved"),
    "second_factor_enrolled": N_("Authenticator app set up"),
    "second_factor_locked": N_("Second step locked after failed codes"),
    "session_approved": N_("Session approved"),
    "session_cancelled": N_("Session cancelled"),
    "session_created": N_("Session created"),
    "session_outcome_recorded": N_("Session outcome written"),
    "signups_exported": N_("Sign-up list downloaded"),
    "story_answered": N_("Story answered"),
    "story_deleted_by_family": N_("Story deleted by the family"),
    "story_internal": N_("Story kept internal"),
    "story_criticality": N_("How serious a story is: changed"),
    "redaction_rule_saved": N_("Redaction rule saved"),
    "answer_checked_approve": N_("Change in an answer checked and shown"),
    "answer_checked_without_mark": N_("Answer shown without its change"),
    "theme_result_checked": N_("Result on a theme checked and shown"),
    "redaction_rule_stopped": N_("Redaction rule no longer used"),
    "redaction_applied": N_("Redaction rule used on a story"),
    "story_published": N_("Story published"),
    "story_held": N_("Story held until more stories about its place are decided"),
    "oidc_failed": N_("Login with the municipal account failed"),
    "oidc_role_lost": N_("Municipal account without a role: account closed"),
    "account_created_oidc": N_("Account made at the first municipal login"),
    "oidc_backchannel_logout": N_("Logged out by the municipal login service"),
    "oidc_mapping_saved": N_("Municipal login group given a role"),
    "oidc_mapping_removed": N_("Municipal login group no longer gives a role"),
    "story_rejected": N_("Story rejected"),
    "theme_created": N_("Theme made"),
    "theme_changed": N_("Theme changed"),
    "story_added_to_theme": N_("Story added to a theme"),
    "story_removed_from_theme": N_("Story taken out of a theme"),
    "theme_result_posted": N_("Result posted back to a theme's stories"),
    "feedback_published": N_("A family's words about a change published"),
    "feedback_internal": N_("A family's words about a change kept internal"),
    "feedback_rejected": N_("A family's words about a change rejected"),
}

APPEND_ONLY_SQL = {
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
DROP_SQL = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_entry_no_update", "DROP TRIGGER IF EXISTS audit_entry_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_entry_no_change ON audit_entry",
        "DROP FUNCTION IF EXISTS audit_entry_append_only()",
    ],
}


def entry(actor, action: str, target_type: str = "", target_id=None, detail: dict | None = None, *,
          remote_addr: str = "cli") -> AuditEntry:
    """An entry (not yet stored). ``actor``: a user, or a label such as "cli"."""
    return AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or (actor if isinstance(actor, str) else ""),
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)[:2000],
        remote_addr=(remote_addr or "")[:64],
    )


def record(session: Session, actor, action: str, target_type: str = "", target_id=None, detail: dict | None = None, *,
           remote_addr: str = "cli") -> AuditEntry:
    """Add an entry to ``session``'s transaction."""
    row = entry(actor, action, target_type, target_id, detail, remote_addr=remote_addr)
    session.add(row)
    return row


def search(*, session: Session, action: str | None = None, actor: str | None = None, limit: int = 50, offset: int = 0):
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(col(AuditEntry.actor_label).contains(actor.lower()))
    return session.exec(query.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)).all()


def actions(*, session: Session) -> list[str]:
    return list(session.exec(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
