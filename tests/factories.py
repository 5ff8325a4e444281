"""Factories: build stored things with sensible defaults, return what tests need."""
from __future__ import annotations

import secrets
from datetime import date

from voice.clock import utcnow
from voice.experiences.service import NewExperience, create_experience


def make_experience(app, db, **overrides):
    """Store an experience as the service would; return (experience, receipt code)."""
    data = dict(
        service_slugs=["nav"],
        usefulness=4,
        form_token=secrets.token_urlsafe(16),
        story="The help was good.",
        story_lang="nb",
    )
    data.update(overrides)
    experience, code = create_experience(
        session=db, data=NewExperience(**data), now=utcnow(), contact_retention_days=90,
        hasher=app.extensions["voice_hasher"],
    )
    db.commit()
    return experience, code


PASSWORD = "lilla elg spiser multer"


def make_user(app, db, role="moderator", email=None, totp=True, **extra):
    """Store an account with PASSWORD (and an enrolled authenticator); return (user, totp secret)."""
    import pyotp

    from voice.accounts.service import create_user

    secret = pyotp.random_base32() if totp else None
    user = create_user(
        session=db, email=email or f"{role}-{secrets.token_hex(3)}@trondheim.kommune.no", display_name=role.title(),
        role=role, password=PASSWORD, totp_secret=secret, totp_enabled=bool(secret), hasher=app.extensions["voice_hasher"],
        **extra,
    )
    db.commit()
    return user, secret


def make_session(app, db, organiser=None, *, capacity=5, day=None, start="17:00", end="19:00", status="published", **fields):
    """Store a published co-creation session (by staff unless a partner is given)."""
    from datetime import timedelta

    from voice.cocreation.service import SessionInput, create_sessions

    if organiser is None:
        organiser, _ = make_user(app, db, role="moderator")
    data = SessionInput(title=fields.pop("title", "Family café"), description=fields.pop("description", "<p>Coffee and talk.</p>"),
                        kind=fields.pop("kind", "meeting-place"), venue=fields.pop("venue", "Saupstad senter"),
                        day=day or date.today() + timedelta(days=10), start_time=start, end_time=end, capacity=capacity,
                        area_slug=fields.pop("area_slug", "saupstad"), **fields)
    cosessions = create_sessions(session=db, data=data, organiser=organiser)
    for cosession in cosessions:
        cosession.status = status
        db.add(cosession)
    db.commit()
    return cosessions[0] if len(cosessions) == 1 else cosessions
