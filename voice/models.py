"""Every table, imported in one place for Alembic and the schema test."""
from .accounts.models import AuditEntry, Invitation, LoginAttempt, OidcRoleMapping, User, UserSession  # noqa: F401
from .cocreation.models import CoSession, SessionPartner, SessionService, Signup  # noqa: F401
from .experiences.models import (  # noqa: F401
    ChangeFeedback,  # noqa: F401
    Experience,
    ExperienceContact,
    ExperienceDomain,
    ExperienceService,
    FollowUp,
    ServiceAnswer,
    ShownCode,
    StoryReport,
)
from .figures.models import CoSnapshot, ExperienceTally, PublishedQuarter, TallySnapshot  # noqa: F401
from .jobs.models import JobRun, WorkerHeartbeat  # noqa: F401
from .mail.models import OutboxMessage  # noqa: F401
from .moderation.models import ExportJob  # noqa: F401
from .ratelimit import RateLimitCounter  # noqa: F401
from .reference.models import Area, LifeDomain, ReferenceName, Service, Unit  # noqa: F401
from .themes.models import Theme, ThemeResult, ThemeSession, ThemeStory, ThemeTag, ThemeText  # noqa: F401
from .versioning import ContentVersion  # noqa: F401,E402
