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
