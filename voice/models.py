"""Every table, imported in one place for Alembic and the schema test."""
from .experiences.models import (  # noqa: F401
    Experience,
    ExperienceContact,
    ExperienceDomain,
    ExperienceService,
    FollowUp,
    ServiceAnswer,
)
from .reference.models import Area, LifeDomain, Service  # noqa: F401
