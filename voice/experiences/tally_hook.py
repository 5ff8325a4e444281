"""The one hook that keeps the figures' monthly tally in step with every write to
an experience, whoever writes it (a moderation decision, new tags, an answer, a
family deleting its story, sample data, a test).

It listens to the ORM's flushes. Before a flush it finds the experiences whose
contribution to the figures can change (a changed status, area, rating or
creation time; a tag, answer or the experience itself added or deleted), locks
their rows and reads what they contribute; after the flush it reads again and
adds the difference to the tally (``voice.figures.service``), in the same
transaction. So no writer has to remember anything, and nothing can be counted
twice or lost: the database holds the before and the after.

Bulk UPDATE/DELETE/INSERT statements on these tables would bypass the flush;
``session.execute`` refuses them (write through the ORM instead).

Hand-written: SQLAlchemy gives the events, no library keeps a roll-up with them.
"""
from __future__ import annotations

from sqlalchemy import event, inspect
from sqlmodel import Session

from ..figures import service as figures
from .models import Experience, ExperienceDomain, ExperienceService, ServiceAnswer

# What of an experience the figures read (voice/figures/rollup.py): its columns, and its tags
# (a tag dropped from these collections is deleted as an orphan during the flush, so it
# never shows in ``session.deleted`` beforehand).
COUNTED_COLUMNS = ("status", "area_id", "usefulness", "listened", "services_explained", "created_at",
                   "service_links", "domain_links")
ANSWER_COLUMNS = ("experience_id", "service_id", "change_status", "check_status")
TRACKED_TABLES = frozenset(model.__tablename__ for model in (Experience, ExperienceService, ExperienceDomain, ServiceAnswer))

_PENDING = "voice_tally_pending"  # experience id -> its contribution before this flush
_NEW = "voice_tally_new"  # Experience objects inserted by this flush
_FRESH = "voice_tally_fresh"  # ids inserted in this transaction and not moderated yet: they count nothing


def _changed(obj, columns) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in columns)


def _old_value(obj, column):
    history = inspect(obj).attrs[column].history
    return history.deleted[0] if history.deleted else getattr(obj, column)


def _experience_id(link) -> int | None:
    """The experience a tag or answer belongs to, also when it was added through the
    experience's collection and its foreign key is not set yet."""
    if link.experience_id is not None:
        return link.experience_id
    parent = getattr(link, "experience", None)
    return parent.id if parent is not None else None


def _touched(session: Session) -> tuple[set[int], list[Experience]]:
    ids: set[int] = set()
    new_experiences = []
    fresh = session.info.get(_FRESH, set())
    for obj in session.new:
        if isinstance(obj, Experience):
            new_experiences.append(obj)
        elif isinstance(obj, (ExperienceService, ExperienceDomain, ServiceAnswer)):
            ids.add(_experience_id(obj))  # None: a tag of an experience inserted by this very flush
    for obj in session.dirty:
        if isinstance(obj, Experience) and _changed(obj, COUNTED_COLUMNS):
            ids.add(obj.id)
            fresh.discard(obj.id)
        elif isinstance(obj, ServiceAnswer) and _changed(obj, ANSWER_COLUMNS):
            ids.update({obj.experience_id, _old_value(obj, "experience_id")})
    for obj in session.deleted:
        if isinstance(obj, Experience):
            ids.add(obj.id)
            fresh.discard(obj.id)
        elif isinstance(obj, (ExperienceService, ExperienceDomain, ServiceAnswer)):
            ids.add(_experience_id(obj))
    # A story told in this transaction and not yet moderated counts nothing, before or after.
    return {i for i in ids if i is not None and i not in fresh}, new_experiences


def _before_flush(session: Session, _context, _instances) -> None:
    ids, new_experiences = _touched(session)
    session.info[_NEW] = new_experiences
    if not ids:
        session.info[_PENDING] = {}
        return
    connection = session.connection()
    figures.tally_lock(connection, ids)
    before = figures.tally_contributions(connection, ids)
    session.info[_PENDING] = {i: before.get(i, {}) for i in sorted(ids)}


def _after_flush(session: Session, _context) -> None:
    pending = session.info.pop(_PENDING, {})
    new_experiences = session.info.pop(_NEW, [])
    connection = session.connection()
    fresh = session.info.setdefault(_FRESH, set())
    for experience in new_experiences:
        if experience.status in figures.MODERATED:
            pending.setdefault(experience.id, {})
        else:
            fresh.add(experience.id)
    if not pending:
        return
    after = figures.tally_contributions(connection, pending)
    figures.tally_add_all(connection, [(pending[i], after.get(i, {})) for i in sorted(pending)])


def _forget(session: Session, *_args) -> None:
    session.info.pop(_FRESH, None)


def _no_bulk_writes(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in TRACKED_TABLES:
            raise RuntimeError(
                f"bulk write to {table.name}: change experiences through the ORM (session.add/delete), "
                "so the figures' tally follows (voice/experiences/tally_hook.py)"
            )


def install(session_class=Session) -> None:
    """Listen on every session of ``session_class`` (once)."""
    if event.contains(session_class, "before_flush", _before_flush):
        return
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "after_commit", _forget)
    event.listen(session_class, "after_rollback", _forget)
    event.listen(session_class, "do_orm_execute", _no_bulk_writes)
