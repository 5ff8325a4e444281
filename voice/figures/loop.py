"""The figures of the loop from a story to a change: per theme (stories, answered, changes
planned or made, "did it help?") and per service ("changes that families say helped").

Read at publication into ``LoopSnapshot`` (``snapshot``), never again from the live tables, so a
published quarter's figures never change (rule A of ``voice.figures.tables``). Where each thing
counts: a story in the quarter it was told (as in the tally); a "did it help?" answer in the
quarter it was given, since it comes long after the story (a story's quarter is often frozen by
then). "Too early" is not a verdict on the change, so it is left out of "did it help?".
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import and_, case, delete, exists, func, insert, select
from sqlmodel import Session

from ..experiences.models import ChangeFeedback, Experience, ServiceAnswer
from ..themes.models import Theme, ThemeStory, ThemeText
from .models import LoopSnapshot
from .periods import MODERATED, Period, count_if

_e = Experience.__table__
_sa = ServiceAnswer.__table__
_cf = ChangeFeedback.__table__
_ts = ThemeStory.__table__
_th = Theme.__table__
_tt = ThemeText.__table__
_ls = LoopSnapshot.__table__
THEME, SERVICE = "theme", "service"
MEASURES = ("stories", "published", "answered", "planned", "made", "verdicts", "helped")
HELPED = "yes"
CHECKED = "checked"  # a change claim counts once a moderator has checked it
NOT_A_VERDICT = "too_early"


@dataclass
class LoopTally:
    """Raw numbers of one theme or service in one or more quarters. Never publish these directly."""

    stories: int = 0
    published: int = 0
    answered: int = 0
    planned: int = 0
    made: int = 0
    verdicts: int = 0
    helped: int = 0

    def __add__(self, other: LoopTally) -> LoopTally:
        return LoopTally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def _themes(session: Session, quarter: Period) -> dict[int, LoopTally]:
    told = and_(_e.c.created_at >= quarter.start_utc, _e.c.created_at < quarter.end_utc, _e.c.status.in_(MODERATED))
    # Each story's strongest mark: 2 "made", 1 "planned", 0 none (and no answer).
    mark = (select(_sa.c.experience_id, func.max(case((_sa.c.change_status == "made", 2),
                                                      (_sa.c.change_status == "planned", 1), else_=0)).label("mark"))
            .where(_sa.c.check_status == CHECKED).group_by(_sa.c.experience_id).subquery("mark"))
    answered = exists().where(_sa.c.experience_id == _e.c.id, _sa.c.check_status == CHECKED)
    rows = session.execute(
        select(_ts.c.theme_id, func.count(), count_if(_e.c.status == "published"),
               count_if(and_(_e.c.status == "published", answered)),
               count_if(mark.c.mark == 1), count_if(mark.c.mark == 2))
        .select_from(_ts.join(_e, _e.c.id == _ts.c.experience_id).outerjoin(mark, mark.c.experience_id == _e.c.id))
        .where(told).group_by(_ts.c.theme_id))
    result = {int(row[0]): LoopTally(*(int(v) for v in row[1:])) for row in rows}
    verdicts = session.execute(
        select(_ts.c.theme_id, func.count(), count_if(_cf.c.verdict == HELPED))
        .select_from(_cf.join(_ts, _ts.c.experience_id == _cf.c.experience_id).join(_e, _e.c.id == _cf.c.experience_id))
        .where(*_given_in(quarter), _e.c.status.in_(MODERATED)).group_by(_ts.c.theme_id))
    for theme_id, n, yes in verdicts:
        tally = result.setdefault(int(theme_id), LoopTally())
        tally.verdicts, tally.helped = int(n), int(yes)
    return result


def _given_in(quarter: Period):
    return (_cf.c.created_at >= quarter.start_utc, _cf.c.created_at < quarter.end_utc, _cf.c.verdict != NOT_A_VERDICT)


def _services(session: Session, quarter: Period) -> dict[int, LoopTally]:
    rows = session.execute(
        select(_sa.c.service_id, func.count(), count_if(_cf.c.verdict == HELPED))
        .select_from(_cf.join(_sa, _sa.c.id == _cf.c.answer_id).join(_e, _e.c.id == _cf.c.experience_id))
        .where(*_given_in(quarter), _e.c.status.in_(MODERATED)).group_by(_sa.c.service_id))
    return {int(service_id): LoopTally(verdicts=int(n), helped=int(yes)) for service_id, n, yes in rows}


def live(*, session: Session, quarter: Period) -> dict[tuple[str, int], LoopTally]:
    """The quarter's numbers as the live tables hold them now (what ``snapshot`` freezes)."""
    result = {(THEME, key): value for key, value in _themes(session, quarter).items()}
    result.update({(SERVICE, key): value for key, value in _services(session, quarter).items()})
    return result


def snapshot(*, session: Session, quarter: Period, key: int) -> None:
    """Freeze the quarter's loop figures (called once, when the quarter is published)."""
    session.execute(delete(_ls).where(_ls.c.quarter == key))
    rows = [{"quarter": key, "kind": kind, "ref_id": ref_id, **{name: getattr(tally, name) for name in MEASURES}}
            for (kind, ref_id), tally in sorted(live(session=session, quarter=quarter).items())]
    if rows:
        session.execute(insert(_ls), rows)


def published(*, session: Session, keys: list[int]) -> dict[int, dict[tuple[str, int], LoopTally]]:
    """The frozen loop figures of these published quarters, per quarter key."""
    result: dict[int, dict[tuple[str, int], LoopTally]] = {key: {} for key in keys}
    for row in session.execute(select(_ls).where(_ls.c.quarter.in_(keys))):
        result[row.quarter][(row.kind, row.ref_id)] = LoopTally(*(getattr(row, name) for name in MEASURES))
    return result


def theme_labels(*, session: Session, theme_ids: list[int], locale: str) -> list[tuple[int, str, str]]:
    """(id, slug, title in ``locale`` where a translation is attached) of these themes, by title."""
    if not theme_ids:
        return []
    themes = session.execute(select(_th.c.id, _th.c.slug, _th.c.title).where(_th.c.id.in_(theme_ids))).all()
    texts = dict(session.execute(select(_tt.c.theme_id, _tt.c.title)
                                 .where(_tt.c.theme_id.in_(theme_ids), _tt.c.locale == locale)).all())
    return sorted(((int(i), slug, texts.get(i) or title) for i, slug, title in themes), key=lambda t: (t[2].casefold(), t[0]))
