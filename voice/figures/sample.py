"""Clearly marked SAMPLE experiences, so the figures of a new site show something.

None of it is real: every story starts with "[SAMPLE]". The experiences are
spread over the last 15 months with varied answers, areas, services and life
domains; about a third of the published ones have an answer from a service.
They have no working receipt code (nobody can open them as a family) and no
contact details. The same ``seed`` gives the same data.
"""
from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session

from ..experiences.models import Experience, ExperienceDomain, ExperienceService, ServiceAnswer
from ..reference.models import Area, LifeDomain, Service
from ..reference.service import active

SAMPLE_MARK = "[SAMPLE]"
DAYS = 456  # about 15 months

_STORIES = {
    "good": [
        "The caseworker took time and explained what we were entitled to.",
        "We got one person to call, and she called back as promised.",
        "They found an interpreter, so I could explain everything myself.",
    ],
    "mixed": [
        "We got help in the end, but we waited a long time.",
        "Some people listened, others did not read what we had sent.",
    ],
    "poor": [
        "We had to tell the same story to many offices.",
        "Nobody answered our questions about housing.",
    ],
}
_ANSWERS = {
    "none": "Thank you for telling us.",
    "planned": "Thank you. We are changing how we follow up families like yours.",
    "made": "Thank you. Families now get one contact person.",
}


def _weighted(rnd: random.Random, pairs):
    values, weights = zip(*pairs)
    return rnd.choices(values, weights)[0]


def add_sample_figures(*, session: Session, now: datetime, count: int = 400, seed: int = 2026) -> int:
    """Insert ``count`` synthetic, moderated experiences; return how many were added."""
    rnd = random.Random(seed)
    services = active(Service, session=session)
    areas = active(Area, session=session)
    domains = active(LifeDomain, session=session)
    if not services:
        raise RuntimeError("seed the reference data first (flask voice seed)")
    area_weights = [(None, 4)] + [(area, 18 if area.is_pilot_zone else 6) for area in areas]
    made = []
    for _ in range(count):
        usefulness = _weighted(rnd, ((None, 10), (1, 7), (2, 12), (3, 20), (4, 30), (5, 21)))
        tone = "good" if (usefulness or 3) >= 4 else "poor" if (usefulness or 3) <= 2 else "mixed"
        story = f"{SAMPLE_MARK} {rnd.choice(_STORIES[tone])}"
        status = _weighted(rnd, (("published", 65), ("internal", 35)))
        area = _weighted(rnd, area_weights)
        experience = Experience(
            public_id=secrets.token_hex(16),
            created_at=now - timedelta(seconds=rnd.uniform(0, DAYS * 86400)),
            status=status,
            usefulness=usefulness,
            listened=_weighted(rnd, ((None, 12), ("yes", 50), ("partly", 23), ("no", 15))),
            services_explained=_weighted(rnd, ((None, 15), (0, 8), (1, 22), (2, 20), (3, 14), (4, 9), (5, 6), (6, 6))),
            area_id=area.id if area else None,
            story=story,
            published_story=story if status == "published" else "",
            story_lang="en",
            page_lang="en",
            consent_publish=status == "published",
            receipt_locator="SAMPLE00",
            receipt_hash="!sample: no receipt code opens this",  # not an Argon2 hash: never matches
            form_token=f"sample-figures-{secrets.token_hex(12)}",
        )
        experience.decided_at = min(now, experience.created_at + timedelta(days=rnd.randint(0, 3)))
        session.add(experience)
        made.append(experience)
    session.flush()
    for experience in made:
        named = rnd.sample(services, min(len(services), _weighted(rnd, ((1, 60), (2, 28), (3, 12)))))
        session.add_all(ExperienceService(experience_id=experience.id, service_id=s.id) for s in named)
        if domains:
            about = rnd.sample(domains, min(len(domains), _weighted(rnd, ((0, 20), (1, 50), (2, 30)))))
            session.add_all(ExperienceDomain(experience_id=experience.id, domain_id=d.id) for d in about)
        if experience.status == "published" and rnd.random() < 0.35:
            change = _weighted(rnd, (("none", 50), ("planned", 30), ("made", 20)))
            session.add(ServiceAnswer(
                experience_id=experience.id, service_id=named[0].id, text=f"{SAMPLE_MARK} {_ANSWERS[change]}",
                lang="en", change_status=change, created_at=min(now, experience.decided_at + timedelta(days=rnd.randint(1, 21))),
            ))
    session.flush()  # the experiences' write hook counts them in the figures' tally
    return len(made)
