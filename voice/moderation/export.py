"""Exports of feedback: CSV (UTF-8 with BOM), XLSX and JSON.

Never contact details. Each story carries its stable pseudonymous id. Only the
moderated text is exported (never the family's unredacted original). Cells that
a spreadsheet would run as a formula are neutralised (SECURITY.md 23). Plain
Python: the engine, the clock and the language are arguments; the file is kept in
the database (``ExportJob.content``), so every machine can serve it.
"""
from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..clock import OSLO
from ..experiences.models import Experience, ServiceAnswer
from ..experiences.service import tags_for, with_tags
from ..locales import LOCALES, N_, translator
from ..reference.models import Area
from ..spreadsheet import neutralise
from ..themes.models import Theme, ThemeStory
from .models import ExportJob

log = logging.getLogger("voice.export")
BATCH = 500




HEADERS = [
    N_("Pseudonymous id"), N_("Date"), N_("Status"), N_("Services"), N_("Area"), N_("Life domains"),
    N_("Was the help useful? (1-5, empty = don't know)"), N_("Felt listened to"), N_("Services explained to"),
    N_("Moderated text"), N_("Language of the text"), N_("May be published"), N_("Answered by the service"), N_("Change"),
    N_("Themes"),
]


CRITICALITY_HEADER = N_("How serious (0-5, staff only)")


def headers(locale: str, *, with_criticality: bool = False) -> list[str]:
    words = translator(locale)
    return [words.gettext(text) for text in (*HEADERS, *([CRITICALITY_HEADER] if with_criticality else []))]


# Stored values as words, for spreadsheets (CSV and XLSX are read by people). JSON keeps the
# codes ("nav", "published"), which programs rely on; its "columns" names them in words.
VALUE_WORDS = {
    "status": {"new": N_("Not read yet"), "published": N_("Published"), "internal": N_("Read, not published"),
               "rejected": N_("Not published"), "held": N_("Held until more stories about the place are decided")},
    "listened": {"yes": N_("Yes"), "partly": N_("Partly"), "no": N_("No")},
    "yes_no": {True: N_("Yes"), False: N_("No")},
    "change": {"none": "", "planned": N_("Change planned"), "made": N_("Change made")},
}


class Words:
    """The export's values in one language: codes as words, reference rows by their name."""

    def __init__(self, *, session: Session, locale: str | None):
        from ..reference.service import Names

        self.words = translator(locale) if locale else None
        self.names = Names(session=session, translator=self.words) if self.words else None

    def value(self, kind: str, code):
        if self.words is None:
            return {"yes_no": {True: "yes", False: "no"}}.get(kind, {}).get(code, code)
        word = VALUE_WORDS[kind].get(code, code)
        return self.words.gettext(word) if word else ""

    def name(self, item) -> str:
        return self.names(item) if self.names else item.slug

    def language(self, code: str) -> str:
        return LOCALES[code].native_name if self.words and code in LOCALES else code


@dataclass(frozen=True)
class ExportFilters:
    date_from: date | None = None
    date_to: date | None = None
    service: str | None = None
    area: str | None = None
    domain: str | None = None
    status: str | None = None
    # The private criticality (0-5) goes only to those who may read serious concerns; set by
    # ``request_export`` from the account, so the worker needs no account to know it.
    with_criticality: bool = False

    def to_json(self) -> str:
        return json.dumps({k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()})

    @classmethod
    def from_json(cls, text: str) -> ExportFilters:
        values = json.loads(text or "{}")
        for key in ("date_from", "date_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**{k: values.get(k) for k in cls.__dataclass_fields__})


def request_export(*, session: Session, user: User, filters: ExportFilters, file_format: str, purpose: str,
                   locale: str) -> ExportJob:
    """Record what a staff member asked for; the file is made by ``run_job``."""
    if not user.may_export:
        raise PermissionError("only staff export")
    filters = replace(filters, with_criticality=bool(user.may_see_concerns))
    job = ExportJob(user_id=user.id, file_format=file_format, filters=filters.to_json(), purpose=purpose.strip(),
                    locale=locale)
    session.add(job)
    session.flush()
    return job


def filtered_query(filters: ExportFilters):
    query = select(Experience)
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, OSLO)
        query = query.where(Experience.created_at >= start.astimezone(timezone.utc))
    if filters.date_to:
        end = datetime.combine(filters.date_to, time.max, OSLO)
        query = query.where(Experience.created_at <= end.astimezone(timezone.utc))
    if filters.status:
        query = query.where(Experience.status == filters.status)
    query = with_tags(query, service=filters.service, area=filters.area, domain=filters.domain)
    # Stories marked as a serious concern for a child are never exported.
    return query.where(Experience.serious_concern == False)  # noqa: E712


def count(session: Session, filters: ExportFilters) -> int:
    return session.exec(select(func.count()).select_from(filtered_query(filters).subquery())).one()


def rows(session: Session, filters: ExportFilters, words: Words | None = None):
    """Export rows in batches: a fixed number of queries per batch, never one per row.
    With ``words``, values in its language; without, the stored codes."""
    words = words or Words(session=session, locale=None)
    areas = {a.id: words.name(a) for a in session.exec(select(Area))}
    last_id = 0
    while True:
        batch = list(session.exec(filtered_query(filters).where(Experience.id > last_id).order_by(Experience.id).limit(BATCH)))
        if not batch:
            return
        ids = [e.id for e in batch]
        services, domains = tags_for(session, ids)
        answered = {}
        for experience_id, change in session.exec(
            select(ServiceAnswer.experience_id, ServiceAnswer.change_status).where(col(ServiceAnswer.experience_id).in_(ids))
        ):
            previous = answered.get(experience_id, "none")
            answered[experience_id] = change if change != "none" else previous
        in_themes: dict[int, list[str]] = {}
        for experience_id, title in session.exec(
            select(ThemeStory.experience_id, Theme.title).join(Theme, Theme.id == ThemeStory.theme_id)
            .where(col(ThemeStory.experience_id).in_(ids)).order_by(Theme.title)
        ):
            in_themes.setdefault(experience_id, []).append(title)
        for e in batch:
            yield [
                e.public_id,
                e.created_at.astimezone(OSLO).date().isoformat(),
                words.value("status", e.status),
                ", ".join(words.name(s) for s in services[e.id]),
                areas.get(e.area_id, ""),
                ", ".join(words.name(d) for d in domains[e.id]),
                e.usefulness if e.usefulness is not None else "",
                words.value("listened", e.listened) if e.listened else "",
                e.services_explained if e.services_explained is not None else "",
                e.published_story if e.status != "new" else "",
                words.language(e.story_lang),
                words.value("yes_no", bool(e.consent_publish)),
                words.value("yes_no", e.id in answered),
                words.value("change", answered[e.id]) if e.id in answered else "",
                "; ".join(in_themes.get(e.id, [])),
                *([e.criticality] if filters.with_criticality else []),
            ]
        last_id = batch[-1].id


def _write_csv(out: io.BytesIO, head, data, progress):
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)  # BOM: Excel shows æøå
    writer = csv.writer(text)
    writer.writerow([neutralise(h) for h in head])
    for row in data:
        writer.writerow([neutralise(v) for v in row])
        progress()
    text.detach()


def _write_xlsx(out: io.BytesIO, head, data, progress):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Voice")
    sheet.append([neutralise(h) for h in head])
    for row in data:
        sheet.append([neutralise(v) for v in row])
        progress()
    book.save(out)


def _write_json(out: io.BytesIO, head, data, progress):
    keys = ["id", "date", "status", "services", "area", "domains", "usefulness", "listened", "services_explained",
            "text", "text_lang", "may_be_published", "answered", "change", "themes", "criticality"]
    out.write(('{"columns": ' + json.dumps(dict(zip(keys, head)), ensure_ascii=False) + ', "rows": [\n').encode())
    first = True
    for row in data:
        out.write((("" if first else ",\n") + json.dumps(dict(zip(keys, row)), ensure_ascii=False)).encode())
        first = False
        progress()
    out.write(b"\n]}\n")


WRITERS = {"csv": _write_csv, "xlsx": _write_xlsx, "json": _write_json}
PROGRESS_EVERY = timedelta(seconds=1)  # the job's sign of life, so an interrupted one is noticed


def run_job(*, engine: Engine, job_id: int, now: Callable[[], datetime], attempts: int = 2) -> str:
    """Make the export file into the database, with its progress as it goes. Only a
    pending job is taken (a job another worker runs, or one done, is left alone).
    Returns the job's status afterwards."""
    with Session(engine, expire_on_commit=False) as session:
        started = now()
        taken = session.execute(
            update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "pending")
            .values(status="running", started_at=started, progress_at=started, attempts=ExportJob.attempts + 1)
        ).rowcount == 1
        session.commit()
        job = session.get(ExportJob, job_id)
        if not taken or job is None:
            return job.status if job else "missing"
        try:
            filters = ExportFilters.from_json(job.filters)
            job.total = count(session, filters)
            session.add(job)
            session.commit()
            done = 0
            last = {"at": started}

            def progress():
                nonlocal done
                done += 1
                moment = now()
                if done % BATCH == 0 or moment - last["at"] >= PROGRESS_EVERY:
                    job.done, job.progress_at, last["at"] = done, moment, moment
                    session.add(job)
                    session.commit()

            out = io.BytesIO()
            words = Words(session=session, locale=None if job.file_format == "json" else job.locale)
            WRITERS[job.file_format](out, headers(job.locale, with_criticality=filters.with_criticality),
                                     rows(session, filters, words), progress)
            job.status, job.done, job.content = "done", done, out.getvalue()
            job.finished_at = job.progress_at = now()
        except Exception:  # noqa: BLE001 - any failure must end as a visible "failed" job
            log.exception("export %s failed", job_id)
            session.rollback()
            job = session.get(ExportJob, job_id)
            job.status, job.error, job.finished_at = "failed", "error", now()
        session.add(job)
        session.commit()
        return job.status
