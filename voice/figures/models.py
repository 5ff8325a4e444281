"""The monthly tally of moderated experiences that the figures are read from.

One row per Trondheim calendar month x area x service x life domain, holding the
sums the dashboard needs (see ``voice.figures.rollup`` for how it is kept up to
date and rebuilt). ``0`` in ``area_id`` means "area not given"; ``0`` in
``service_id`` or ``domain_id`` means "any": the row counts every experience of
that month and area whatever services or domains it names. So the row
(month, area, 0, 0) counts each experience once, (month, area, s, 0) the ones
naming service s, (month, area, 0, d) those naming life domain d, and
(month, area, s, d) those naming both. Zero is used rather than NULL because
NULLs never collide in a unique key, and the rows are updated by "insert, or add
to the row already there".

The ids are not foreign keys: reference rows are never deleted (only retired),
and the 0 placeholders could not point anywhere.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ..db import UTCDateTime

# The tally's measures, in the order the rollup writes them.
EXPLAINED_COLUMNS = tuple(f"explained_{k}" for k in range(7))
MEASURES = (
    "experiences", "useful_answers", "useful", "listened_answers", "listened", *EXPLAINED_COLUMNS,
    "published", "answered", "answers", "changes",
)


class ExperienceTally(SQLModel, table=True):
    __tablename__ = "experience_tally"

    # Key, in the order the figures read it: one service/domain slice, a run of months.
    service_id: int = Field(primary_key=True)  # 0: any service
    domain_id: int = Field(primary_key=True)  # 0: any life domain
    month: int = Field(primary_key=True)  # year * 100 + month, in Europe/Oslo
    area_id: int = Field(primary_key=True)  # 0: area not given

    experiences: int = 0
    useful_answers: int = 0  # answered the usefulness question (not "don't know")
    useful: int = 0  # usefulness 4 or 5
    listened_answers: int = 0
    listened: int = 0  # felt listened to ("yes")
    explained_0: int = 0  # how many said they explained to 0, 1, ..., 6 (six or more) services
    explained_1: int = 0
    explained_2: int = 0
    explained_3: int = 0
    explained_4: int = 0
    explained_5: int = 0
    explained_6: int = 0
    published: int = 0  # of which published
    answered: int = 0  # published and answered (by the row's service, or by any when service_id is 0)
    answers: int = 0  # answers written (same rule)
    changes: int = 0  # of which marked "change planned" or "change made"


class PublishedQuarter(SQLModel, table=True):
    """A quarter whose figures are published: frozen from the moment they were, so no later
    decision, deletion or re-tag can show up as a difference between two reads."""

    __tablename__ = "published_quarter"
    quarter: int = Field(primary_key=True)  # year * 10 + quarter number
    published_at: datetime = Field(sa_type=UTCDateTime)


class TallySnapshot(SQLModel, table=True):
    """The monthly tally of a published quarter's months, as it stood when the quarter was published."""

    __tablename__ = "tally_snapshot"
    service_id: int = Field(primary_key=True)
    domain_id: int = Field(primary_key=True)
    month: int = Field(primary_key=True)
    area_id: int = Field(primary_key=True)
    experiences: int = 0
    useful_answers: int = 0
    useful: int = 0
    listened_answers: int = 0
    listened: int = 0
    explained_0: int = 0
    explained_1: int = 0
    explained_2: int = 0
    explained_3: int = 0
    explained_4: int = 0
    explained_5: int = 0
    explained_6: int = 0
    published: int = 0
    answered: int = 0
    answers: int = 0
    changes: int = 0


class CoSnapshot(SQLModel, table=True):
    """Co-creation of a published quarter, per area (0: none given) and organiser kind."""

    __tablename__ = "cocreation_snapshot"
    quarter: int = Field(primary_key=True)
    area_id: int = Field(primary_key=True)
    organiser_kind: str = Field(primary_key=True, max_length=16)
    sessions: int = 0
    signups: int = 0
    attendance_recorded: int = 0
    attended: int = 0
    rated: int = 0
    useful: int = 0


class LoopSnapshot(SQLModel, table=True):
    """What came of what families told, for a published quarter, frozen when it was published
    (``voice.figures.loop``). ``kind`` "theme": the stories of a theme told in the quarter, their
    answers and change marks, and the "did it help?" answers given in the quarter about them;
    ``kind`` "service": the "did it help?" answers given in the quarter about that service's changes
    (each answer is about one service's change, so the services add up to all answers)."""

    __tablename__ = "loop_snapshot"
    quarter: int = Field(primary_key=True)  # year * 10 + quarter number
    kind: str = Field(primary_key=True, max_length=16)
    ref_id: int = Field(primary_key=True)  # the theme's or the service's id
    stories: int = 0  # decided stories (published or internal) told in the quarter
    published: int = 0
    answered: int = 0  # published stories with an answer
    planned: int = 0  # stories whose strongest mark is "change planned"
    made: int = 0  # stories with an answer marked "change made"
    verdicts: int = 0  # "did it help?" answers given in the quarter, "too early" left out
    helped: int = 0  # of which "yes"


class AnswerTimeSnapshot(SQLModel, table=True):
    """How fast services answered the stories published in a quarter, frozen when the quarter
    was published: per service and number of working days from publication to the service's
    first answer (``days`` -1: not answered by then; 60 means 60 or more)."""

    __tablename__ = "answer_time_snapshot"
    quarter: int = Field(primary_key=True)
    service_id: int = Field(primary_key=True)
    days: int = Field(primary_key=True)
    stories: int = 0
    in_time: int = 0  # of which answered within the service's target (as it stood then)
