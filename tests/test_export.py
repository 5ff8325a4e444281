"""Exports: CSV with BOM and neutralised formulas, XLSX, JSON; no contact details; purpose logged."""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from voice.accounts.models import AuditEntry
from voice.clock import FixedClock

from .factories import make_experience

FORMULA = "=HYPERLINK(\"http://evil.example\",\"click\")"


def seed_stories(app, db):
    first, _ = make_experience(app, db, story="Første historie, æøå", phone="+4791234567", email="family@example.no", service_slugs=["nav"])
    second, _ = make_experience(app, db, story=FORMULA, service_slugs=["school"])
    for experience, text in ((first, "Første historie, æøå"), (second, FORMULA)):
        experience.status, experience.published_story = "internal", text
        db.add(experience)
    concern, _ = make_experience(app, db, story="Concern")
    concern.serious_concern = True
    db.add(concern)
    db.commit()
    return first, second


def run_export(client, post, jobs, lang="en", **fields):
    data = {"purpose": "Quarterly report to the living-conditions budget", "format": "csv", **fields}
    response = post(f"/moderation/export?lang={lang}", data, token_from="/moderation/export")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    status_url = response.headers["Location"]
    if lang == "en":
        assert "Waiting for its turn" in client.get(status_url).get_data(as_text=True)
    assert jobs() >= 1  # the worker makes the file
    page = client.get(status_url).get_data(as_text=True)
    link = re.search(r'href="([^"]+/download)"', page)
    assert link, page
    return client.get(link.group(1))


def test_csv_export_is_excel_friendly_safe_and_has_no_contact_details(app, client, post, staff, db, jobs):
    staff("moderator")
    first, second = seed_stories(app, db)
    download = run_export(client, post, jobs)
    raw = download.data
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    text = raw.decode("utf-8-sig")
    assert "+4791234567" not in text and "family@example.no" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Pseudonymous id"
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {first.public_id, second.public_id}  # the serious concern is left out
    assert by_id[first.public_id][9] == "Første historie, æøå"
    assert by_id[second.public_id][9] == "'" + FORMULA
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "export_requested")).one()
    assert "Quarterly report" in entry.detail
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "export_downloaded")).one()


def test_xlsx_export_neutralises_formulas(app, client, post, staff, db, jobs):
    staff("moderator")
    _, second = seed_stories(app, db)
    download = run_export(client, post, jobs, format="xlsx")
    sheet = load_workbook(io.BytesIO(download.data)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'" + FORMULA in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert "+4791234567" not in [str(v) for v in values]


def test_json_export_filters_by_service(app, client, post, staff, db, jobs):
    staff("moderator")
    first, _ = seed_stories(app, db)
    download = run_export(client, post, jobs, format="json", service="nav")
    data = json.loads(download.data)
    assert [row["id"] for row in data["rows"]] == [first.public_id]
    assert data["rows"][0]["services"] == "nav"


def test_an_export_needs_a_stated_purpose(app, post, staff, db):
    staff("moderator")
    response = post("/moderation/export?lang=en", {"purpose": "", "format": "csv"})
    assert response.status_code == 400
    assert "Write why you need the export" in response.get_data(as_text=True)


def test_another_users_export_is_not_reachable(app, client, post, staff, db, login):
    staff("moderator")
    seed_stories(app, db)
    response = post("/moderation/export", {"purpose": "A purpose here", "format": "csv"})
    job_url = response.headers["Location"]
    client.post("/staff/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', client.get("/moderation/").get_data(as_text=True)).group(1)})
    staff("moderator")
    assert client.get(job_url).status_code == 404
    assert client.get(job_url + "/download").status_code == 404


@pytest.mark.parametrize("value, expected", [("=1+1", "'=1+1"), ("+47", "'+47"), ("-2", "'-2"), ("@SUM", "'@SUM"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("ok", "ok"), (5, 5)])
def test_neutralise(value, expected):
    from voice.spreadsheet import neutralise

    assert neutralise(value) == expected


# -- The export job on the worker: kept in the database, resumed or failed, never "running" for ever --

def _request(client, post):
    response = post("/moderation/export?lang=en", {"purpose": "Quarterly report to the budget", "format": "csv"})
    assert response.status_code == 302
    return response.headers["Location"]


def _job(db):
    from voice.moderation.models import ExportJob

    db.expire_all()
    return db.exec(select(ExportJob)).one()


def _taken_by_a_worker(db, *, attempts: int):
    job = _job(db)
    job.status, job.attempts, job.progress_at = "running", attempts, job.created_at
    db.add(job)
    db.commit()
    return job


def test_the_file_lives_in_the_database_so_another_machine_serves_it(app, client, post, staff, db, jobs, database_url):
    from voice import create_app

    from .conftest import test_config

    staff("moderator")
    first, _ = seed_stories(app, db)
    status_url = _request(client, post)
    jobs()
    job = _job(db)
    assert job.status == "done" and job.content.startswith(b"\xef\xbb\xbf") and job.finished_at and job.attempts == 1
    other = create_app(test_config(database_url))  # a second machine: same database, nothing else shared
    browser = other.test_client()
    browser.set_cookie("voice_session", client.get_cookie("voice_session").value)  # the same staff member's browser
    download = browser.get(status_url + "/download")
    assert download.status_code == 200 and first.public_id in download.data.decode("utf-8-sig")


def test_an_export_whose_worker_stopped_is_run_again_and_finishes(app, client, post, staff, db, jobs):
    from voice.jobs import service
    from voice.jobs.tasks import context_from_app

    staff("moderator")
    seed_stories(app, db)
    status_url = _request(client, post)
    job = _taken_by_a_worker(db, attempts=1)  # ... which died: no sign of life for longer than the lease
    context = context_from_app(app)
    later = context.clock.now() + context.export_lease + timedelta(seconds=1)
    again, failed = service.interrupted_exports(replace(context, clock=FixedClock(later)))
    assert (again, failed) == ([job.id], [])
    assert "Waiting for its turn" in client.get(status_url + "?lang=en").get_data(as_text=True)
    assert service.run_export(context, job.id) == "done"
    assert _job(db).attempts == 2 and "Download the file" in client.get(status_url + "?lang=en").get_data(as_text=True)


def test_an_export_interrupted_too_often_is_marked_failed_and_the_staff_member_is_told(app, client, post, staff, db):
    from voice.jobs import service
    from voice.jobs.tasks import context_from_app

    staff("moderator")
    status_url = _request(client, post)
    job = _taken_by_a_worker(db, attempts=2)
    context = context_from_app(app)
    later = context.clock.now() + context.export_lease + timedelta(seconds=1)
    assert service.interrupted_exports(replace(context, clock=FixedClock(later))) == ([], [job.id])
    assert _job(db).status == "failed" and _job(db).error == "interrupted"
    page = client.get(status_url + "?lang=en").get_data(as_text=True)
    assert "stopped before it was finished" in page and "Make a new export" in page
    assert 'hx-trigger="every 1s"' not in page  # no more polling
    assert service.run_export(context, job.id) == "failed"  # a late task for it does nothing


def test_a_running_export_with_recent_progress_is_left_alone(app, client, post, staff, db):
    from voice.jobs import service
    from voice.jobs.tasks import context_from_app

    staff("moderator")
    _request(client, post)
    job = _taken_by_a_worker(db, attempts=1)
    context = context_from_app(app)
    assert service.interrupted_exports(replace(context, clock=FixedClock(job.created_at + timedelta(seconds=5)))) == ([], [])
    assert service.run_export(context, job.id) == "running"  # another worker has it: not taken twice


def test_the_file_is_deleted_after_a_day_and_the_page_says_so(app, client, post, staff, db, jobs):
    from voice.jobs import service
    from voice.jobs.tasks import context_from_app

    staff("moderator")
    seed_stories(app, db)
    status_url = _request(client, post)
    jobs()
    context = context_from_app(app)
    done = service.purge(replace(context, clock=FixedClock(_job(db).created_at + timedelta(days=1, minutes=1))))
    assert done["export_files"] == 1 and _job(db).content is None
    page = client.get(status_url + "?lang=en").get_data(as_text=True)
    assert "deleted a day after it was made" in page
    assert client.get(status_url + "/download").status_code == 404


def test_the_status_page_says_when_the_worker_is_not_running(app, client, post, staff, db):
    from voice.jobs import service
    from voice.jobs.tasks import context_from_app

    staff("moderator")
    status_url = _request(client, post)
    context = context_from_app(app)
    service.heartbeat(replace(context, clock=FixedClock(context.clock.now() - timedelta(minutes=12))), name="host:1",
                      storage="sqlite")
    page = client.get(status_url + "?lang=en").get_data(as_text=True)
    assert "The job worker has not been seen for 12 minutes, so the export waits" in page
    service.heartbeat(context, name="host:1", storage="sqlite")
    assert "has not been seen" not in client.get(status_url + "?lang=en").get_data(as_text=True)
    page = client.get(status_url + "?lang=en", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert page.lstrip().startswith('<div id="export-progress"') and "Refresh" in page  # the htmx poll and the no-JS link
