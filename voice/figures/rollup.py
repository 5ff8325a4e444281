"""Keeping the monthly tally (``ExperienceTally``) equal to the experiences.

The dashboard must stay fast at a million experiences, so the figures are read
from a small table of monthly sums instead of scanning experiences (see
``models.py`` for its shape). Written by hand: no library we know of keeps
additive roll-ups of a SQLModel schema on both SQLite and PostgreSQL, and
PostgreSQL's materialized views would have to be refreshed whole (and SQLite has
none).

Two ways in, which must always agree (tests prove it):

* The experiences' write hook (voice/experiences/service.py), run by every flush
  that changes what the figures read (an experience's status, area or answers,
  its tags, its answers, its deletion), whoever writes: it ``lock``s the
  experiences concerned, reads their ``contribution`` before and after the
  flush, and adds the difference to the tally with "insert, or add to the row
  already there" (``ON CONFLICT DO UPDATE``). The additions are atomic per row
  on both databases, and rows are always touched in the same order, so
  concurrent decisions cannot lose an update or deadlock.
* ``rebuild(session)``: computes every month again with INSERT ... SELECT ...
  GROUP BY, one month at a time (``flask voice figures --rebuild``; also run
  by ``flask voice migrate`` when the tally is empty but moderated experiences
  exist). ``differences(session)`` compares without writing
  (``flask voice figures``).

Experiences that are not moderated (``new``, ``rejected``) contribute nothing, so
storing a new story never touches the tally.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import Session

from .. import versioning
from ..experiences.models import EXPLAINED_MAX, Experience, ExperienceDomain, ExperienceService, ServiceAnswer
from .models import EXPLAINED_COLUMNS, MEASURES, ExperienceTally
from .periods import CHANGE_STATUSES_COUNTED, MODERATED, OSLO, USEFUL_FROM, Period, count_if

assert len(EXPLAINED_COLUMNS) == EXPLAINED_MAX + 1

_e = Experience.__table__
_es = ExperienceService.__table__
_ed = ExperienceDomain.__table__
_sa = ServiceAnswer.__table__
_t = ExperienceTally.__table__
KEY = ("service_id", "domain_id", "month", "area_id")
ANY = 0  # service_id / domain_id of the rows that count every experience; area_id 0: area not given

CHECKED = "checked"  # only answers a moderator has checked count (a change claim waits for one)
CHUNK = 500  # experiences read at once by ``contributions``
Key = tuple[int, int, int, int]  # service_id, domain_id, month, area_id
Contribution = dict[Key, tuple[int, ...]]  # one value per MEASURES


def month_key(moment: datetime) -> int:
    """The Trondheim calendar month of a UTC moment, as year * 100 + month."""
    local = moment.astimezone(OSLO)
    return local.year * 100 + local.month


def month_of(key: int) -> Period:
    return Period("month", key // 100, key % 100)


# --------------------------------------------------------------------------
# One experience
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    month: int
    area_id: int
    status: str
    usefulness: int | None
    listened: str | None
    explained: int | None
    services: tuple[int, ...]
    domains: tuple[int, ...]
    answers: tuple[tuple[int, str], ...]  # (service id, change status)


def _facts_of(session: Connection | Session, experience_ids: list[int]) -> dict[int, _Facts]:
    """The facts of several experiences in four queries (the moderated ones only)."""
    if not experience_ids:
        return {}
    rows = session.execute(
        select(_e.c.id, _e.c.created_at, _e.c.status, _e.c.area_id, _e.c.usefulness, _e.c.listened,
               _e.c.services_explained)
        .where(_e.c.id.in_(experience_ids), _e.c.status.in_(MODERATED))
    ).all()
    ids = [row.id for row in rows]
    if not ids:
        return {}
    services: dict[int, set[int]] = {}
    for experience_id, service_id in session.execute(
            select(_es.c.experience_id, _es.c.service_id).where(_es.c.experience_id.in_(ids))):
        services.setdefault(experience_id, set()).add(int(service_id))
    domains: dict[int, set[int]] = {}
    for experience_id, domain_id in session.execute(
            select(_ed.c.experience_id, _ed.c.domain_id).where(_ed.c.experience_id.in_(ids))):
        domains.setdefault(experience_id, set()).add(int(domain_id))
    answers: dict[int, list[tuple[int, str]]] = {}
    for experience_id, service_id, change in session.execute(
            select(_sa.c.experience_id, _sa.c.service_id, _sa.c.change_status)
            .where(_sa.c.experience_id.in_(ids), _sa.c.check_status == CHECKED).order_by(_sa.c.id)):
        answers.setdefault(experience_id, []).append((int(service_id), str(change)))
    return {
        row.id: _Facts(
            month=month_key(row.created_at), area_id=row.area_id or 0, status=row.status, usefulness=row.usefulness,
            listened=row.listened, explained=row.services_explained,
            services=tuple(sorted(services.get(row.id, ()))), domains=tuple(sorted(domains.get(row.id, ()))),
            answers=tuple(answers.get(row.id, ())),
        )
        for row in rows
    }


def contribution(session: Connection | Session, experience_id: int) -> Contribution:
    """What one experience adds to the tally, row by row (empty when it does not count)."""
    return contributions(session, [experience_id]).get(experience_id, {})


def contributions(session: Connection | Session, experience_ids) -> dict[int, Contribution]:
    """What each of these experiences adds to the tally (those that count nothing are left out).
    Read in chunks of ``CHUNK`` ids, so no statement has more parameters than SQLite allows."""
    ids = sorted(set(experience_ids))
    result: dict[int, Contribution] = {}
    for start in range(0, len(ids), CHUNK):
        result.update((i, _contribution_of(facts)) for i, facts in _facts_of(session, ids[start:start + CHUNK]).items())
    return result


def _contribution_of(facts: _Facts) -> Contribution:
    explained = [int(facts.explained == k) for k in range(EXPLAINED_MAX + 1)]
    base = [
        1,
        int(facts.usefulness is not None),
        int(facts.usefulness is not None and facts.usefulness >= USEFUL_FROM),
        int(facts.listened is not None),
        int(facts.listened == "yes"),
        *explained,
        int(facts.status == "published"),
    ]

    def with_answers(service_id: int) -> tuple[int, ...]:
        relevant = [change for service, change in facts.answers if service_id == ANY or service == service_id]
        return (
            *base,
            int(facts.status == "published" and bool(relevant)),
            len(relevant),
            sum(1 for change in relevant if change in CHANGE_STATUSES_COUNTED),
        )

    result: Contribution = {}
    for service_id in (ANY, *facts.services):
        values = with_answers(service_id)
        for domain_id in (ANY, *facts.domains):
            result[(service_id, domain_id, facts.month, facts.area_id)] = values
    return result


def _difference(before: Contribution, after: Contribution) -> Contribution:
    changes = {}
    for key in sorted(set(before) | set(after)):
        zero = (0,) * len(MEASURES)
        delta = tuple(a - b for a, b in zip(after.get(key, zero), before.get(key, zero)))
        if any(delta):
            changes[key] = delta
    return changes


def _dialect(connection: Connection | Session) -> str:
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    return bind.dialect.name


@functools.cache
def _upsert(dialect: str):
    """The "insert, or add to the row already there" statement (built once per dialect)."""
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(_t)
    return statement.on_conflict_do_update(
        index_elements=list(KEY),
        set_={name: _t.c[name] + statement.excluded[name] for name in MEASURES},
    )


def _add(connection: Connection | Session, changes: Contribution) -> None:
    """Add ``changes`` to the tally: insert missing rows, add to existing ones (in key order)."""
    if not changes:
        return
    statement = _upsert(_dialect(connection))
    rows = [dict(zip(KEY, key)) | dict(zip(MEASURES, values)) for key, values in sorted(changes.items())]
    connection.execute(statement, rows)


def add_difference(connection: Connection, before: Contribution, after: Contribution) -> None:
    """Bring the tally from an experience's contribution ``before`` to ``after``."""
    _add(connection, _difference(before, after))


def add_differences(connection: Connection, changes: Iterable[tuple[Contribution, Contribution]]) -> None:
    """Bring the tally from several experiences' contributions before to after, in one statement
    (the differences summed per row, the rows in key order as always)."""
    total: dict[Key, list[int]] = {}
    for before, after in changes:
        for key, delta in _difference(before, after).items():
            row = total.setdefault(key, [0] * len(MEASURES))
            for i, value in enumerate(delta):
                row[i] += value
    _add(connection, {key: tuple(values) for key, values in total.items() if any(values)})


def lock(connection: Connection, experience_ids: Iterable[int]) -> None:
    """Take the experiences' row locks (in id order) before reading them (a no-op UPDATE:
    on PostgreSQL a row lock until commit, on SQLite the database's write lock), so
    that two transactions changing the same experience cannot both read the same
    "before"."""
    for experience_id in sorted(experience_ids):
        connection.execute(update(_e).where(_e.c.id == experience_id).values(id=_e.c.id))


# --------------------------------------------------------------------------
# Every experience, in SQL
# --------------------------------------------------------------------------


def _level_select(month: int, ids: tuple[int, int], *, by_service: bool, by_domain: bool):
    """SELECT of the tally rows of one month for one level of the key (services or
    "any" x domains or "any"), per area. ``ids``: the month's lowest and highest
    experience id, so the joins read only that stretch of the link tables."""
    period = month_of(month)
    conditions = [_e.c.status.in_(MODERATED), _e.c.created_at >= period.start_utc, _e.c.created_at < period.end_utc,
                  _e.c.id.between(*ids)]
    source = _e
    service = domain = literal_column(str(ANY))
    groups = [func.coalesce(_e.c.area_id, 0)]
    if by_service:
        source = source.join(_es, and_(_es.c.experience_id == _e.c.id, _es.c.experience_id.between(*ids)))
        service = _es.c.service_id
        groups.append(service)
    if by_domain:
        source = source.join(_ed, and_(_ed.c.experience_id == _e.c.id, _ed.c.experience_id.between(*ids)))
        domain = _ed.c.domain_id
        groups.append(domain)
    # Answers per experience (and per service, on the service rows).
    answer_keys = [_sa.c.experience_id, _sa.c.service_id] if by_service else [_sa.c.experience_id]
    per = (
        select(*answer_keys, func.count().label("n"), count_if(_sa.c.change_status.in_(CHANGE_STATUSES_COUNTED)).label("c"))
        .where(_sa.c.experience_id.between(*ids), _sa.c.check_status == CHECKED)
        .group_by(*answer_keys)
        .subquery("per_experience")
    )
    joined = per.c.experience_id == _e.c.id
    if by_service:
        joined = and_(joined, per.c.service_id == _es.c.service_id)
    source = source.outerjoin(per, joined)
    columns = [
        service, domain, literal_column(str(int(month))), groups[0],
        func.count(),
        func.count(_e.c.usefulness),
        count_if(_e.c.usefulness >= USEFUL_FROM),
        func.count(_e.c.listened),
        count_if(_e.c.listened == "yes"),
        *(count_if(_e.c.services_explained == k) for k in range(EXPLAINED_MAX + 1)),
        count_if(_e.c.status == "published"),
        count_if(and_(_e.c.status == "published", per.c.n > 0)),
        func.coalesce(func.sum(per.c.n), 0),
        func.coalesce(func.sum(per.c.c), 0),
    ]
    return select(*columns).select_from(source).where(*conditions).group_by(*groups)


_LEVELS = ((False, False), (True, False), (False, True), (True, True))


def _months(session: Session) -> dict[int, tuple[int, int]]:
    """Every month with moderated experiences, with its lowest and highest id."""
    first = session.execute(select(func.min(_e.c.created_at)).where(_e.c.status.in_(MODERATED))).scalar()
    last = session.execute(select(func.max(_e.c.created_at)).where(_e.c.status.in_(MODERATED))).scalar()
    if first is None:
        return {}
    result = {}
    month = month_of(month_key(first))
    while month.start_utc <= last:
        low, high = session.execute(
            select(func.min(_e.c.id + 0), func.max(_e.c.id + 0)).where(
                _e.c.status.in_(MODERATED), _e.c.created_at >= month.start_utc, _e.c.created_at < month.end_utc)
        ).one()
        if low is not None:
            result[month.year * 100 + month.number] = (int(low), int(high))
        month = month.next()
    return result


def rebuild(session: Session) -> int:
    """Compute the whole tally again from the experiences; return how many rows it has.

    Safe beside moderation: on PostgreSQL the tally is locked against writers first
    (readers go on), so a decision either committed before and is counted here, or
    waits and adds its change afterwards. On SQLite the first statement takes the
    database's write lock for the whole rebuild (decisions meanwhile wait, up to the
    lock timeout)."""
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE experience_tally IN EXCLUSIVE MODE"))
    session.execute(delete(_t))
    for month, ids in _months(session).items():
        for by_service, by_domain in _LEVELS:
            session.execute(insert(_t).from_select([*KEY, *MEASURES], _level_select(
                month, ids, by_service=by_service, by_domain=by_domain)))
    versioning.changed(session)  # the public figures read this tally
    return session.execute(select(func.count()).select_from(_t)).scalar_one()


def differences(session: Session, limit: int = 20) -> list[tuple[Key, dict, dict]]:
    """Rows where the stored tally differs from a fresh count: (key, stored, counted).
    Rows that are all zero count as absent."""
    session.flush()
    counted: dict[Key, tuple] = {}
    for month, ids in _months(session).items():
        for by_service, by_domain in _LEVELS:
            for row in session.execute(_level_select(month, ids, by_service=by_service, by_domain=by_domain)):
                counted[tuple(int(v) for v in row[:4])] = tuple(int(v) for v in row[4:])
    stored = {
        tuple(row[:4]): tuple(row[4:])
        for row in session.execute(select(*(_t.c[name] for name in (*KEY, *MEASURES))))
        if any(row[4:])
    }
    found = []
    for key in sorted(set(counted) | set(stored)):
        if counted.get(key) != stored.get(key):
            found.append((key, dict(zip(MEASURES, stored.get(key, ()))), dict(zip(MEASURES, counted.get(key, ())))))
            if len(found) >= limit:
                break
    return found


def fill_if_empty(session: Session) -> int | None:
    """Build the tally when it is empty but moderated experiences exist (after the
    migration that added it); return the number of rows built, or None."""
    if session.execute(select(_t.c.month).limit(1)).first() is not None:
        return None
    if session.execute(select(_e.c.id).where(_e.c.status.in_(MODERATED)).limit(1)).first() is None:
        return None
    return rebuild(session)
