"""E-mails to people who signed up (only those who gave an address)."""
from __future__ import annotations

from flask import url_for
from sqlmodel import Session

from ..mail import queue_mail
from . import calendar
from .models import CoSession, Signup


def session_url(row: CoSession) -> str:
    return url_for("cocreation.detail", public_id=row.public_id, _external=True)


def ics_attachment(row: CoSession) -> tuple[str, str, str]:
    body = calendar.build([row], url_for_session=session_url, name=row.title).decode()
    return ("voice-session.ics", "text/calendar", body)


def tell(*, session: Session, signup: Signup, row: CoSession, template: str, token: str | None = None) -> None:
    if not signup.email:
        return
    context = {"title": row.title, "name": signup.name, "when": row.starts_at, "venue": row.venue,
               "link": session_url(row), "manage": url_for("cocreation.manage", token=token, _external=True) if token else None,
               "reason": row.cancel_reason}
    attachment = ics_attachment(row) if template in ("signup_confirmed", "signup_promoted", "session_reminder") else None
    queue_mail(session=session, to=signup.email, template=template, context=context, locale=signup.page_lang, attachment=attachment)
