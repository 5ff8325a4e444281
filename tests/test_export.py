"""Exports: CSV with BOM and neutralised formulas, XLSX, JSON; no contact details; purpose logged."""
from __future__ import annotations

import csv
import io
import json
import re
import time

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from voice.accounts.models import AuditEntry

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


def run_export(client, post, **fields):
    data = {"purpose": "Quarterly report to the living-conditions budget", "format": "csv", **fields}
    response = post("/moderation/export?lang=en", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    status_url = response.headers["Location"]
    for _ in range(100):
        page = client.get(status_url).get_data(as_text=True)
        if "Download the file" in page or "failed" in page:
            break
        time.sleep(0.1)
    link = re.search(r'href="([^"]+/download)"', page)
    assert link, page
    return client.get(link.group(1))


def test_csv_export_is_excel_friendly_safe_and_has_no_contact_details(app, client, post, staff, db):
    staff("moderator")
    first, second = seed_stories(app, db)
    download = run_export(client, post)
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


def test_xlsx_export_neutralises_formulas(app, client, post, staff, db):
    staff("moderator")
    _, second = seed_stories(app, db)
    download = run_export(client, post, format="xlsx")
    sheet = load_workbook(io.BytesIO(download.data)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'" + FORMULA in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert "+4791234567" not in [str(v) for v in values]


def test_json_export_filters_by_service(app, client, post, staff, db):
    staff("moderator")
    first, _ = seed_stories(app, db)
    download = run_export(client, post, format="json", service="nav")
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
