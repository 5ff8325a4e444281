"""E-mails to people who signed up (only those who gave an address). Links come
from the configured public address (``links``), never from a request."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from ..links import LinkBuilder
from ..mail.service import queue_mail
from . import calendar
from .models import CoSession, Signup

WITH_CALENDAR = ("signup_confirmed", "signup_promoted", "session_reminder", "session_cancelled")


def session_url(links: LinkBuilder, cosession: CoSession) -> str:
    return links("cocreation.detail", public_id=cosession.public_id)


def ics_attachment(cosession: CoSession, *, links: LinkBuilder, now: datetime) -> tuple[str, str, str]:
    body = calendar.build([cosession], session_url=lambda c: session_url(links, c), name=cosession.title, now=now).decode()
    return ("voice-session.ics", "text/calendar", body)


def asked(signup: Signup) -> dict:
    """What the person asked for, for the e-mail to repeat it."""
    from ..locales import LOCALES

    code = signup.interpreter_lang
    return {"adults": signup.adults, "children": signup.children, "childcare": signup.needs_childcare,
            "accessibility": signup.accessibility, "interpreter": LOCALES[code].native_name if code in LOCALES else "",
            "other_interpreter": bool(code) and code not in LOCALES}


def tell(*, session: Session, signup: Signup, cosession: CoSession, template: str, links: LinkBuilder, now: datetime,
         token: str | None = None) -> bool:
    """Queue ``template`` to the person who signed up, in the language they used; False without an address."""
    if not signup.email:
        return False
    context = {"title": cosession.title, "name": signup.name, "when": cosession.starts_at, "ends": cosession.ends_at,
               "venue": cosession.venue,
               "link": session_url(links, cosession),
               "manage": links("cocreation.manage_link", token=token) if token else None,
               "reason": cosession.cancel_reason, **asked(signup)}
    attachment = ics_attachment(cosession, links=links, now=now) if template in WITH_CALENDAR else None
    queue_mail(session=session, to=signup.email, template=template, context=context, locale=signup.page_lang,
               attachment=attachment)
    return True
