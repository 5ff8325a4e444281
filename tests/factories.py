"""Factories: build stored things with sensible defaults, return what tests need."""
from __future__ import annotations

import secrets
from datetime import date

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
    with app.test_request_context():
        experience, code = create_experience(
            session=db, data=NewExperience(**data), today=date.today(), contact_retention_days=90
        )
    db.commit()
    return experience, code


PASSWORD = "lilla elg spiser multer"


def make_user(app, db, role="moderator", email=None, totp=True, **extra):
    """Store an account with PASSWORD (and an enrolled authenticator); return (user, totp secret)."""
    import pyotp

    from voice.accounts.service import create_user

    secret = pyotp.random_base32() if totp else None
    with app.test_request_context():
        user = create_user(
            session=db, email=email or f"{role}-{secrets.token_hex(3)}@trondheim.kommune.no", display_name=role.title(),
            role=role, password=PASSWORD, totp_secret=secret, totp_enabled=bool(secret), **extra,
        )
    db.commit()
    return user, secret
