"""What a family told: the experience, its tags, contact, follow-ups and answers."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Index
from sqlmodel import Field, Relationship, SQLModel

from ..db import UTCDateTime, between, one_of, utcnow

# "held": a moderator decided to publish it, and the small-unit guard keeps it off the site until
# enough stories about the unit it names have been decided (voice/experiences/unit_guard.py).
STATUSES = ("new", "published", "internal", "rejected", "held")
DECIDED_STATUSES = ("published", "internal")  # read by staff and counted in the figures
LISTENED = ("yes", "partly", "no")
CHANGE_STATUSES = ("none", "planned", "made")
CRITICALITY_MAX = 5
CHECK_STATUSES = ("checked", "waiting")
VERDICTS = ("yes", "partly", "no", "too_early")  # did the change help? (the family's answer)
FEEDBACK_TEXT_STATUSES = ("new", "published", "internal", "rejected")
REPORT_REASONS = ("identifies", "offensive", "untrue", "other")
USEFULNESS_MAX = 5  # 5 very useful ... 1 not useful at all; NULL is "don't know"
EXPLAINED_MAX = 6  # 6 means "six or more"


class Experience(SQLModel, table=True):
    __tablename__ = "experience"
    __table_args__ = (
        # Covers every column the figures' monthly tally reads (voice/figures/rollup.py rebuilds
        # it month by month with index-only scans); its (status, created_at) prefix serves the
        # moderation queue and the first moderated experience.
        Index("ix_experience_figures_by_time", "status", "created_at", "area_id", "usefulness", "listened",
              "services_explained", "id"),
        one_of("status", STATUSES, table="experience"),
        one_of("listened", LISTENED, table="experience", nullable=True),
        between("usefulness", 1, USEFULNESS_MAX, table="experience"),
        between("services_explained", 0, EXPLAINED_MAX, table="experience"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Stable pseudonymous id used in exports, never derived from anything personal.
    public_id: str = Field(max_length=32, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(default="new", max_length=16)
    usefulness: int | None = Field(default=None, ge=1, le=USEFULNESS_MAX)
    listened: str | None = Field(default=None, max_length=8)
    services_explained: int | None = Field(default=None, ge=0, le=EXPLAINED_MAX)
    area_id: int | None = Field(default=None, foreign_key="area.id", ondelete="SET NULL")
    # The school, kindergarten or office the story is about: chosen by the family, found in the
    # text, or set by a moderator. Staff only, until the small-unit guard lets it show;
    # ``unit_removed``: published with the unit taken out (tagged with the service only).
    unit_id: int | None = Field(default=None, foreign_key="unit.id", ondelete="SET NULL", index=True)
    unit_removed: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    story: str = Field(default="", max_length=8000)
    story_lang: str = Field(default="nb", max_length=16)
    page_lang: str = Field(default="nb", max_length=16)
    consent_publish: bool = Field(default=False)
    # Kinds of personal data found in the text that the family chose to keep,
    # comma-separated ("national_id,phone"); the moderator sees them highlighted.
    pii_kinds: str = Field(default="", max_length=64)
    # The receipt code (see receipt.py): a keyed hash of the code to find the row, and an
    # Argon2id hash to check it. (Codes before 2026-12: 4 characters in clear, then the hash.)
    receipt_locator: str = Field(max_length=64, index=True)
    receipt_hash: str = Field(max_length=255)
    # One story per form: a resubmitted form (refresh, double tap) stores nothing twice.
    form_token: str = Field(max_length=64, unique=True)

    # -- Moderation. `story` is the family's original, seen only by moderators and
    # deleted once the story is decided and the retention period has passed;
    # `published_story` is the moderator's version with identifying details removed.
    published_story: str = Field(default="", max_length=8000)
    # A human translation attached by staff, published beside the original.
    translation: str = Field(default="", max_length=8000)
    translation_lang: str = Field(default="", max_length=16)
    reject_reason: str = Field(default="", max_length=500)
    serious_concern: bool = Field(default=False)
    # How serious the moderator judges it, 0 (none) to 5 (very serious): orders the queue and
    # the digest; never public, exported only to those who may read serious concerns.
    criticality: int = Field(default=0, ge=0, le=CRITICALITY_MAX, sa_column_kwargs={"server_default": "0"})
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    original_deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    report_count: int = Field(default=0)
    is_hidden: bool = Field(default=False)

    # Written together with the experience in one flush, at the request's commit
    # (the database's write lock is held for the commit only). The database
    # deletes them with the experience (ON DELETE CASCADE).
    service_links: list["ExperienceService"] = Relationship(
        back_populates="experience", sa_relationship_kwargs={"passive_deletes": True, "cascade": "all, delete-orphan"})
    domain_links: list["ExperienceDomain"] = Relationship(
        back_populates="experience", sa_relationship_kwargs={"passive_deletes": True, "cascade": "all, delete-orphan"})
    contact: Optional["ExperienceContact"] = Relationship(
        sa_relationship_kwargs={"passive_deletes": True, "uselist": False, "cascade": "all, delete-orphan"})


class ExperienceService(SQLModel, table=True):
    __tablename__ = "experience_service"
    experience_id: int = Field(foreign_key="experience.id", ondelete="CASCADE", primary_key=True)
    service_id: int = Field(foreign_key="service.id", ondelete="RESTRICT", primary_key=True, index=True)
    experience: Experience = Relationship(back_populates="service_links")


class ExperienceDomain(SQLModel, table=True):
    __tablename__ = "experience_domain"
    experience_id: int = Field(foreign_key="experience.id", ondelete="CASCADE", primary_key=True)
    domain_id: int = Field(foreign_key="life_domain.id", ondelete="RESTRICT", primary_key=True, index=True)
    experience: Experience = Relationship(back_populates="domain_links")


class ExperienceContact(SQLModel, table=True):
    """Given only by families who want a personal answer; deleted on a schedule."""

    __tablename__ = "experience_contact"
    id: int | None = Field(default=None, primary_key=True)
    experience_id: int = Field(foreign_key="experience.id", ondelete="CASCADE", unique=True)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    delete_after: date = Field(index=True)
    invite_me: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})  # e-mail about meetings on its themes


class FollowUp(SQLModel, table=True):
    """Something the family added later, with its receipt code."""

    __tablename__ = "follow_up"
    id: int | None = Field(default=None, primary_key=True)
    experience_id: int = Field(foreign_key="experience.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    text: str = Field(max_length=8000)
    lang: str = Field(default="nb", max_length=16)
    pii_kinds: str = Field(default="", max_length=64)


class ServiceAnswer(SQLModel, table=True):
    """An answer written by staff in the name of the service concerned."""

    __tablename__ = "service_answer"
    __table_args__ = (one_of("change_status", CHANGE_STATUSES, table="service_answer"),
                      one_of("check_status", CHECK_STATUSES, table="service_answer"))
    id: int | None = Field(default=None, primary_key=True)
    experience_id: int = Field(foreign_key="experience.id", ondelete="CASCADE", index=True)
    service_id: int = Field(foreign_key="service.id", ondelete="RESTRICT")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    text: str = Field(max_length=8000)
    lang: str = Field(default="nb", max_length=16)
    change_status: str = Field(default="none", max_length=16)
    author_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    review_on: date | None = Field(default=None)  # when the municipality will say whether the change worked
    # An answer that claims a change ("planned", "made") waits for a moderator who did not write
    # it; until then nobody but staff sees it and it counts in no figure (the family sees that an
    # answer is being checked). So does a plain answer from an account without a record of good
    # answers yet.
    check_status: str = Field(default="checked", max_length=16, sa_column_kwargs={"server_default": "checked"})
    checked_by_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the checking moderator decided ("approve", "without_mark"): the author's record of good
    # answers, which lets their plain answers show without a check (moderation.service.trusted).
    check_verdict: str | None = Field(default=None, max_length=16)
    # Posted with a theme's result (voice.themes): checked with the result, in one step.
    result_id: int | None = Field(default=None, foreign_key="theme_result.id", ondelete="SET NULL", index=True)

    @property
    def is_checked(self) -> bool:
        return self.check_status == "checked"


class StoryReport(SQLModel, table=True):
    """Someone reported a published story; enough reports hide it until a moderator looks."""

    __tablename__ = "story_report"
    __table_args__ = (one_of("reason", REPORT_REASONS, table="story_report"),)
    id: int | None = Field(default=None, primary_key=True)
    experience_id: int = Field(foreign_key="experience.id", ondelete="CASCADE", index=True)
    reason: str = Field(max_length=16)
    comment: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved: bool = Field(default=False)
    # Who reported, as keyed hashes of the browser and the address (never the address itself):
    # a report counts towards hiding only from a browser *and* an address not yet counted.
    browser_key: str = Field(default="", max_length=32)
    address_key: str = Field(default="", max_length=32)
    counted: bool = Field(default=True)


class ShownCode(SQLModel, table=True):
    """A receipt code the family may see again, for a short time, in the browser that sent
    the story (a phone that reloads the tab must not lose it). Kept masked: the row holds
    the code XOR a random pad of the same length, and only that browser's cookie holds the
    pad. That is a one-time pad: the row alone, or the cookie alone, says nothing of the
    code. Rows are deleted when they expire."""

    __tablename__ = "shown_code"
    id: str = Field(primary_key=True, max_length=32)
    masked: str = Field(max_length=64)  # hex
    consent: bool = Field(default=False)  # what the thank-you page says next
    has_contact: bool = Field(default=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ChangeFeedback(SQLModel, table=True):
    """A family's answer, with its code and without its name, to "did the change help?" once a
    service marked a change made; the line of text waits for a moderator like a story."""

    __tablename__ = "change_feedback"
    __table_args__ = (one_of("verdict", VERDICTS, table="change_feedback"),
                      one_of("text_status", FEEDBACK_TEXT_STATUSES, table="change_feedback"))
    id: int | None = Field(default=None, primary_key=True)
    experience_id: int = Field(foreign_key="experience.id", ondelete="CASCADE", index=True)
    answer_id: int = Field(foreign_key="service_answer.id", ondelete="CASCADE", unique=True)
    verdict: str = Field(max_length=16)
    text: str = Field(default="", max_length=1000)
    text_lang: str = Field(default="nb", max_length=16)
    text_status: str = Field(default="new", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
