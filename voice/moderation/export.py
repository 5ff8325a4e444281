"""Exports of feedback: CSV (UTF-8 with BOM), XLSX and JSON.

Never contact details. Each story carries its stable pseudonymous id. Only the
moderated text is exported (never the family's unredacted original). Cells that
a spreadsheet would run as a formula are neutralised (SECURITY.md 23).
"""
from __future__ import annotations

import csv
import json
import logging
import secrets
import threading
from datetime import datetime, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import force_locale, gettext
from sqlalchemy import func
from sqlmodel import Session, col, select

from ..experiences.models import Experience, ExperienceDomain, ExperienceService, ServiceAnswer
from ..reference.models import Area, LifeDomain, Service
from .models import ExportJob
from .service import tags_for

log = logging.getLogger("voice.export")
OSLO = ZoneInfo("Europe/Oslo")
BATCH = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell a spreadsheet would treat as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def headers() -> list[str]:
    return [
        gettext("Pseudonymous id"), gettext("Date"), gettext("Status"), gettext("Services"), gettext("Area"),
        gettext("Life domains"), gettext("Was the help useful? (1-5, empty = don't know)"),
        gettext("Felt listened to"), gettext("Services explained to"), gettext("Moderated text"),
        gettext("Language of the text"), gettext("May be published"), gettext("Answered by the service"),
        gettext("Change"),
    ]


def filtered_query(filters: dict):
    query = select(Experience)
    if filters.get("date_from"):
        start = datetime.combine(datetime.fromisoformat(filters["date_from"]).date(), time.min, OSLO)
        query = query.where(Experience.created_at >= start.astimezone(timezone.utc))
    if filters.get("date_to"):
        end = datetime.combine(datetime.fromisoformat(filters["date_to"]).date(), time.max, OSLO)
        query = query.where(Experience.created_at <= end.astimezone(timezone.utc))
    if filters.get("status"):
        query = query.where(Experience.status == filters["status"])
    if filters.get("service"):
        query = query.where(col(Experience.id).in_(select(ExperienceService.experience_id).join(Service).where(Service.slug == filters["service"])))
    if filters.get("domain"):
        query = query.where(col(Experience.id).in_(select(ExperienceDomain.experience_id).join(LifeDomain).where(LifeDomain.slug == filters["domain"])))
    if filters.get("area"):
        query = query.where(col(Experience.area_id).in_(select(Area.id).where(Area.slug == filters["area"])))
    # Stories marked as a serious concern for a child are never exported.
    return query.where(Experience.serious_concern == False)  # noqa: E712


def count(session: Session, filters: dict) -> int:
    return session.exec(select(func.count()).select_from(filtered_query(filters).subquery())).one()


def rows(session: Session, filters: dict):
    """Export rows in batches: a fixed number of queries per batch, never one per row."""
    areas = {a.id: a.slug for a in session.exec(select(Area))}
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
        for e in batch:
            yield [
                e.public_id,
                e.created_at.astimezone(OSLO).date().isoformat(),
                e.status,
                ", ".join(s.slug for s in services[e.id]),
                areas.get(e.area_id, ""),
                ", ".join(d.slug for d in domains[e.id]),
                e.usefulness if e.usefulness is not None else "",
                e.listened or "",
                e.services_explained if e.services_explained is not None else "",
                e.published_story if e.status != "new" else "",
                e.story_lang,
                "yes" if e.consent_publish else "no",
                "yes" if e.id in answered else "no",
                answered.get(e.id, ""),
            ]
        last_id = batch[-1].id


def _write_csv(path: Path, head, data, progress):
    with path.open("w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel shows æøå
        writer = csv.writer(fh)
        writer.writerow([neutralise(h) for h in head])
        for row in data:
            writer.writerow([neutralise(v) for v in row])
            progress()


def _write_xlsx(path: Path, head, data, progress):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Voice")
    sheet.append([neutralise(h) for h in head])
    for row in data:
        sheet.append([neutralise(v) for v in row])
        progress()
    book.save(path)


def _write_json(path: Path, head, data, progress):
    keys = ["id", "date", "status", "services", "area", "domains", "usefulness", "listened", "services_explained",
            "text", "text_lang", "may_be_published", "answered", "change"]
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"columns": ' + json.dumps(dict(zip(keys, head)), ensure_ascii=False) + ', "rows": [\n')
        first = True
        for row in data:
            fh.write(("" if first else ",\n") + json.dumps(dict(zip(keys, row)), ensure_ascii=False))
            first = False
            progress()
        fh.write("\n]}\n")


WRITERS = {"csv": _write_csv, "xlsx": _write_xlsx, "json": _write_json}


def run_job(app: Flask, job_id: int) -> None:
    """Write the export file, updating the job's progress as it goes."""
    engine = app.extensions["voice_engine"]
    with app.app_context(), Session(engine) as session:
        job = session.get(ExportJob, job_id)
        try:
            filters = json.loads(job.filters)
            job.status, job.total = "running", count(session, filters)
            session.add(job)
            session.commit()
            directory = Path(app.config["EXPORT_DIR"])
            directory.mkdir(parents=True, exist_ok=True)
            name = f"voice-export-{job.id}-{secrets.token_hex(8)}.{job.file_format}"
            done = 0

            def progress():
                nonlocal done
                done += 1
                if done % BATCH == 0:
                    job.done = done
                    session.add(job)
                    session.commit()

            with force_locale(job.locale):
                head = headers()
            WRITERS[job.file_format](directory / name, head, rows(session, filters), progress)
            job.status, job.done, job.file_name = "done", done, name
        except Exception:  # noqa: BLE001 - any failure must end as a visible "failed" job
            log.exception("export %s failed", job_id)
            session.rollback()
            job = session.get(ExportJob, job_id)
            job.status = "failed"
        session.add(job)
        session.commit()


def start_job(app: Flask, job_id: int) -> threading.Thread:
    thread = threading.Thread(target=run_job, args=(app, job_id), name=f"export-{job_id}", daemon=True)
    thread.start()
    return thread
