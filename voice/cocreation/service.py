"""Co-creation sessions: organise, approve, cancel, sign up, wait, promote, remind, purge.

Capacity is counted in persons (adults and children) of confirmed participants;
helpers do not take seats. A seat is taken by one conditional UPDATE
(`seats_taken + n <= capacity`), which the database runs atomically on SQLite and
PostgreSQL alike, and a CHECK constraint refuses anything past capacity, so
concurrent sign-ups can never over-book.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..clock import OSLO
from ..htmlclean import clean_html
from ..links import LinkBuilder
from ..locales import LOCALES, N_, Translator
from ..reference.models import Area, Service
from ..themes.models import Theme, ThemeSession
from . import notify
from .models import CoSession, SessionPartner, SessionService, Signup

PURGE_AFTER = timedelta(days=7)
MAX_REPEATS = 26


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def oslo_to_utc(day: date, hour_minute: str) -> datetime:
    """A wall-clock time in Trondheim as UTC; correct on both sides of a DST change."""
    hour, minute = (int(part) for part in hour_minute.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=OSLO).astimezone(ZoneInfo("UTC"))


@dataclass
class SessionInput:
    title: str
    description: str
    kind: str
    venue: str
    day: date
    start_time: str
    end_time: str
    capacity: int
    area_slug: str | None = None
    languages: list[str] = field(default_factory=lambda: ["nb"])
    interpreter: bool = False
    childcare: bool = False
    step_free: bool = False
    cost: str = ""
    service_slugs: list[str] = field(default_factory=list)
    repeat_weeks: int = 1
    text_lang: str = "nb"
    max_per_signup: int = 6
    theme_ids: list[int] = field(default_factory=list)


def may_organise(user: User, cosession: CoSession, partner_ids: set[int]) -> bool:
    """Staff organise every session; a partner the ones they created or were added to."""
    return user.is_staff or user.id == cosession.organiser_id or user.id in partner_ids


@dataclass(frozen=True)
class Places:
    """Places of a session, counted in persons (adults and children)."""

    capacity: int
    taken: int

    @property
    def left(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.left == 0


def places(cosession: CoSession) -> Places:
    return Places(capacity=cosession.capacity, taken=cosession.seats_taken)


def may_rate(signup: Signup, cosession: CoSession, *, now: datetime) -> bool:
    """Only after the session, only for those who had a place."""
    return cosession.ends_at <= now and signup.status == "confirmed"


def may_cancel(signup: Signup, cosession: CoSession, *, now: datetime) -> bool:
    return signup.status in ("confirmed", "waiting") and cosession.status == "published" and cosession.ends_at > now


def partner_ids(*, session: Session, cosession: CoSession) -> set[int]:
    return set(session.exec(select(SessionPartner.user_id).where(SessionPartner.session_id == cosession.id)))


def create_sessions(*, session: Session, data: SessionInput, organiser: User) -> list[CoSession]:
    """One session, or a weekly series of them (the same wall-clock time each week)."""
    area = session.exec(select(Area).where(Area.slug == data.area_slug)).first() if data.area_slug else None
    services = session.exec(select(Service).where(col(Service.slug).in_(data.service_slugs or []))).all()
    themes = session.exec(select(Theme.id).where(col(Theme.id).in_(data.theme_ids or []), Theme.status != "closed")).all()
    staff = organiser.is_staff
    repeats = max(1, min(data.repeat_weeks, MAX_REPEATS))
    series_id = secrets.token_urlsafe(8) if repeats > 1 else None
    created = []
    for week in range(repeats):
        day = data.day + timedelta(weeks=week)
        cosession = CoSession(
            public_id=secrets.token_urlsafe(9), series_id=series_id, title=data.title.strip(),
            description=clean_html(data.description), text_lang=data.text_lang, kind=data.kind,
            area_id=area.id if area else None, venue=data.venue.strip(),
            starts_at=oslo_to_utc(day, data.start_time), ends_at=oslo_to_utc(day, data.end_time),
            capacity=data.capacity, max_per_signup=max(1, data.max_per_signup), languages=",".join(data.languages), interpreter=data.interpreter,
            childcare=data.childcare, step_free=data.step_free, cost=data.cost.strip(),
            status="published" if staff else "pending", organiser_id=organiser.id,
            organiser_kind="service" if staff else (organiser.organisation_kind or "volunteer"),
            approved_by_id=organiser.id if staff else None,
        )
        session.add(cosession)
        session.flush()
        session.add_all(SessionService(session_id=cosession.id, service_id=s.id) for s in services)
        session.add_all(ThemeSession(theme_id=theme_id, session_id=cosession.id) for theme_id in themes)
        created.append(cosession)
    session.flush()
    return created


def approve(*, session: Session, cosession: CoSession, staff: User) -> None:
    cosession.status = "published"
    cosession.approved_by_id = staff.id
    session.add(cosession)


def cancel_session(*, session: Session, cosession: CoSession, reason: str, links: LinkBuilder, now: datetime) -> int:
    """Cancel it and tell everyone who signed up with an e-mail; return how many were told."""
    cosession.status = "cancelled"
    cosession.cancel_reason = reason.strip()
    cosession.sequence += 1  # calendars that hold the event replace it with the cancelled one
    session.add(cosession)
    signups = list(session.exec(select(Signup).where(Signup.session_id == cosession.id, Signup.status != "cancelled")))
    return sum(notify.tell(session=session, signup=signup, cosession=cosession, template="session_cancelled", links=links,
                           now=now)
               for signup in signups)


def record_outcome(*, session: Session, cosession: CoSession, outcome: str) -> None:
    cosession.outcome = clean_html(outcome)
    session.add(cosession)


# -- Public list ---------------------------------------------------------------------

@dataclass
class Filters:
    area: str | None = None
    kind: str | None = None
    language: str | None = None
    from_day: date | None = None


@dataclass(frozen=True)
class Listed:
    cosession: CoSession
    area: Area | None
    places: Places


def upcoming(*, session: Session, filters: Filters, now: datetime, limit: int = 100,
             cancelled_too: bool = False) -> list[Listed]:
    """Published sessions not yet over, soonest first, with their area and places; with
    ``cancelled_too`` also the cancelled ones (the calendar feed, so subscribers see it)."""
    statuses = ("published", "cancelled") if cancelled_too else ("published",)
    start = max(now, oslo_to_utc(filters.from_day, "00:00")) if filters.from_day else now
    query = (
        select(CoSession, Area)
        .join(Area, Area.id == CoSession.area_id, isouter=True)
        .where(col(CoSession.status).in_(statuses), CoSession.ends_at >= start)
    )
    if filters.area:
        query = query.where(Area.slug == filters.area)
    if filters.kind:
        query = query.where(CoSession.kind == filters.kind)
    if filters.language:
        query = query.where(col(CoSession.languages).contains(filters.language))
    rows = session.exec(query.order_by(CoSession.starts_at, CoSession.id).limit(limit))
    return [Listed(cosession, area, places(cosession)) for cosession, area in rows]


def get_public(*, session: Session, public_id: str) -> CoSession | None:
    cosession = session.exec(select(CoSession).where(CoSession.public_id == public_id)).first()
    if cosession is None or cosession.status == "pending":
        return None
    return cosession


def get_any(*, session: Session, public_id: str) -> CoSession | None:
    return session.exec(select(CoSession).where(CoSession.public_id == public_id)).first()


def services_of(*, session: Session, cosession: CoSession) -> list[Service]:
    return list(session.exec(select(Service).join(SessionService).where(SessionService.session_id == cosession.id)))


def organised_by(*, session: Session, user: User) -> list[CoSession]:
    query = select(CoSession)
    if not user.is_staff:
        shared = select(SessionPartner.session_id).where(SessionPartner.user_id == user.id)
        query = query.where((CoSession.organiser_id == user.id) | col(CoSession.id).in_(shared))
    return list(session.exec(query.order_by(col(CoSession.starts_at).desc()).limit(200)))


def pending_approval(*, session: Session) -> list[CoSession]:
    return list(session.exec(select(CoSession).where(CoSession.status == "pending").order_by(CoSession.starts_at)))


# -- Sign-ups ------------------------------------------------------------------------------

class TooManyPersons(ValueError):
    """More persons in one sign-up than the organiser allows (the argument: the most allowed)."""


class SignupClosed(Exception):
    pass


class AlreadySignedUp(Exception):
    pass


@dataclass
class SignupInput:
    form_token: str
    name: str
    adults: int
    children: int
    role: str = "participant"  # "helper" only for someone with an account
    interpreter_lang: str = ""
    needs_childcare: bool = False
    accessibility: str = ""
    phone: str | None = None
    email: str | None = None
    page_lang: str = "nb"


def _take_seats(session: Session, cosession: CoSession, persons: int) -> bool:
    """Atomically take `persons` seats if they are free."""
    if persons == 0:
        return True
    result = session.execute(
        update(CoSession)
        .where(CoSession.id == cosession.id, CoSession.seats_taken + persons <= CoSession.capacity)
        .values(seats_taken=CoSession.seats_taken + persons)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _free_seats(session: Session, cosession: CoSession, persons: int) -> None:
    if persons:
        session.execute(
            update(CoSession).where(CoSession.id == cosession.id).values(seats_taken=CoSession.seats_taken - persons)
            .execution_options(synchronize_session=False)
        )


def sign_up(*, session: Session, cosession: CoSession, data: SignupInput, now: datetime, links: LinkBuilder,
            signer: User | None = None) -> tuple[Signup, str]:
    """Confirmed when there is room, else on the waiting list; the person is told by
    e-mail if they gave an address. Only someone with an account (``signer``) may
    come as a helper. Returns the sign-up and its private token."""
    if cosession.status != "published" or cosession.ends_at <= now:
        raise SignupClosed
    role = data.role if signer is not None and data.role in ("participant", "helper") else "participant"
    duplicate = Signup.form_token == data.form_token
    if data.email:
        duplicate = duplicate | (Signup.email == data.email)
    if data.phone:
        duplicate = duplicate | (Signup.phone == data.phone)
    if session.exec(select(Signup.id).where(Signup.session_id == cosession.id, duplicate)).first() or session.exec(
        select(Signup.id).where(Signup.form_token == data.form_token)
    ).first():
        raise AlreadySignedUp
    token = secrets.token_urlsafe(24)
    signup = Signup(
        session_id=cosession.id, form_token=data.form_token, token_hash=sha256(token), role=role,
        name=data.name.strip(), adults=data.adults, children=data.children,
        interpreter_lang=data.interpreter_lang, needs_childcare=data.needs_childcare,
        accessibility=data.accessibility.strip(), phone=data.phone, email=data.email, page_lang=data.page_lang,
    )
    persons = signup.persons if role == "participant" else 0
    if persons > cosession.max_per_signup:
        raise TooManyPersons(cosession.max_per_signup)
    signup.status = "confirmed" if _take_seats(session, cosession, persons) else "waiting"
    session.add(signup)
    # A sign-up racing this one with the same contact or form fails here on the
    # unique constraints; the caller rolls the whole transaction back (seats too).
    session.flush()
    # A place on the waiting list is not a place: no calendar file until one is given (signup_promoted).
    template = "signup_confirmed" if signup.status == "confirmed" else "signup_waiting"
    notify.tell(session=session, signup=signup, cosession=cosession, template=template, links=links, now=now, token=token)
    return signup, token


def find_signup(*, session: Session, token: str) -> tuple[Signup, CoSession] | None:
    signup = session.exec(select(Signup).where(Signup.token_hash == sha256(token or ""))).first()
    if signup is None:
        return None
    return signup, session.get(CoSession, signup.session_id)


def cancel_signup(*, session: Session, signup: Signup, cosession: CoSession, now: datetime, links: LinkBuilder) -> list[Signup]:
    """Cancel; give freed seats to the waiting list in order and tell those promoted. Returns them."""
    if signup.status == "cancelled":
        return []
    was_confirmed = signup.status == "confirmed"
    signup.status = "cancelled"
    signup.cancelled_at = now
    session.add(signup)
    if not (was_confirmed and signup.role == "participant"):
        return []
    _free_seats(session, cosession, signup.persons)
    promoted = promote_waiting(session=session, cosession=cosession, now=now)
    for person in promoted:
        notify.tell(session=session, signup=person, cosession=cosession, template="signup_promoted", links=links, now=now)
    return promoted


def promote_waiting(*, session: Session, cosession: CoSession, now: datetime) -> list[Signup]:
    """First come, first served; a family too large for the seats left waits on,
    and a smaller family behind it may take them."""
    promoted = []
    waiting = session.exec(
        select(Signup).where(Signup.session_id == cosession.id, Signup.status == "waiting").order_by(Signup.id)
    ).all()
    for candidate in waiting:
        if _take_seats(session, cosession, candidate.persons):
            candidate.status = "confirmed"
            candidate.promoted_at = now
            session.add(candidate)
            promoted.append(candidate)
    session.flush()
    return promoted


def signups_of(*, session: Session, cosession: CoSession) -> list[Signup]:
    return list(session.exec(select(Signup).where(Signup.session_id == cosession.id).order_by(Signup.status, Signup.id)))


def counts(*, session: Session, cosession: CoSession) -> dict[str, int]:
    rows = session.exec(
        select(Signup.status, func.count(), func.coalesce(func.sum(Signup.adults + Signup.children), 0))
        .where(Signup.session_id == cosession.id, Signup.role == "participant").group_by(Signup.status)
    ).all()
    result = {"confirmed": 0, "waiting": 0, "cancelled": 0, "persons": 0}
    for status, number, persons in rows:
        result[status] = number
        if status == "confirmed":
            result["persons"] = persons
    return result


SIGNUP_HEADERS = [N_("Name"), N_("Place"), N_("Comes as"), N_("Adults"), N_("Children"), N_("Interpreter"),
                  N_("Childcare"), N_("Other needs"), N_("Came")]
SIGNUP_WORDS = {"confirmed": N_("Has a place"), "waiting": N_("Waiting list"), "cancelled": N_("Cancelled"),
                "participant": N_("Participant"), "helper": N_("Helper"), True: N_("Yes"), False: N_("No")}


def signup_list(*, session: Session, cosession: CoSession, words: Translator) -> list[list]:
    """The organisers' list of who comes and what they need (never a phone number or e-mail),
    headed and worded in ``words``' language."""
    def word(value) -> str:
        return words.gettext(SIGNUP_WORDS[value]) if value in SIGNUP_WORDS else ""

    def interpreter(code: str) -> str:
        if not code:
            return ""
        return LOCALES[code].native_name if code in LOCALES else words.gettext("Another language")

    head = [words.gettext(text) for text in SIGNUP_HEADERS]
    return [head] + [[s.name, word(s.status), word(s.role), s.adults, s.children, interpreter(s.interpreter_lang),
                      word(True) if s.needs_childcare else "", s.accessibility,
                      "" if s.attended is None else word(bool(s.attended))]
                     for s in signups_of(session=session, cosession=cosession)]


def mark_attendance(*, session: Session, cosession: CoSession, attended_ids: set[int]) -> None:
    for signup in signups_of(session=session, cosession=cosession):
        if signup.status == "confirmed":
            signup.attended = signup.id in attended_ids
            session.add(signup)


def rate(*, session: Session, signup: Signup, cosession: CoSession, usefulness: int | None, now: datetime) -> bool:
    """Only after the session, only for those who were signed up (``may_rate``)."""
    if not may_rate(signup, cosession, now=now):
        return False
    signup.usefulness = usefulness
    signup.rated_at = now
    session.add(signup)
    return True


# -- Reminders and purge ----------------------------------------------------------------

def due_reminders(*, session: Session, now: datetime) -> list[tuple[Signup, CoSession]]:
    """Confirmed sign-ups with an e-mail, for sessions starting in the next 48 hours, not yet reminded."""
    return list(session.exec(
        select(Signup, CoSession).join(CoSession, CoSession.id == Signup.session_id)
        .where(CoSession.status == "published", CoSession.starts_at > now, CoSession.starts_at <= now + timedelta(hours=48),
               Signup.status == "confirmed", col(Signup.email).is_not(None), col(Signup.reminded_at).is_(None))
    ))


def send_reminders(*, session: Session, now: datetime, links: LinkBuilder) -> int:
    """Queue a reminder (with the calendar file) for each sign-up due one; return how many."""
    due = due_reminders(session=session, now=now)
    for signup, cosession in due:
        notify.tell(session=session, signup=signup, cosession=cosession, template="session_reminder", links=links, now=now)
        signup.reminded_at = now
        session.add(signup)
    return len(due)


def purge_personal_data(*, session: Session, now: datetime) -> int:
    """A week after a session, delete who signed up; keep only the counts."""
    cosessions = session.exec(
        select(CoSession).where(CoSession.ends_at < now - PURGE_AFTER, col(CoSession.personal_data_purged_at).is_(None))
    ).all()
    purged = 0
    for cosession in cosessions:
        purged += session.execute(
            update(Signup).where(Signup.session_id == cosession.id)
            .values(name="", phone=None, email=None, accessibility="", interpreter_lang="")
            .execution_options(synchronize_session=False)
        ).rowcount or 0
        cosession.personal_data_purged_at = now
        session.add(cosession)
    return purged
