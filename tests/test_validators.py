"""Every output read by its own field's validator (issue 15): JSON-stat 2.0 (the official
schema through jsonschema, and jsonstat-validator from PyPI), OpenMetrics (prometheus-client's
own parser), e-mail (Python's email package, policy.default, as received by a real SMTP
server) and the HTTP details of downloads and static files. HTML (the Nu Html Checker),
iCalendar (vobject) and schema.org are in their own test files."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

import jsonschema
import pytest
from jsonstat_validator import validate_jsonstat
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from voice import create_app
from voice.figures.feeds import JSONSTAT_TABLES
from voice.mail.render import SUBJECTS
from voice.mail.service import SmtpSettings, queue_mail, send_due

from .conftest import test_config
from .factories import make_session
from .smtp import start_smtp
from .test_figures import QUERY_Q1, load_known

SCHEMA = json.loads((Path(__file__).parent / "validators" / "jsonstat-2.0-schema.json").read_text())
CHECK = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
TABLES = JSONSTAT_TABLES  # every table the downloads offer, the themes one included
VIEWS = {"quarter": QUERY_Q1, "year": "period_type=year&period=2025", "service": QUERY_Q1 + "&service=nav",
         "area": "period_type=year&period=2025&area=kattem"}


@pytest.mark.parametrize("lang", ["nb", "ar", "en"])
def test_every_jsonstat_download_passes_the_official_schema_and_the_validator(app, db, client, lang):
    load_known(db)
    checked = 0
    for view, query in VIEWS.items():
        for table in TABLES:
            response = client.get(f"/figures/download.jsonstat?{query}&table={table}&lang={lang}")
            assert response.status_code == 200, (view, table)
            data = json.loads(response.data)
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in CHECK.iter_errors(data)]
            assert errors == [], f"{view}/{table}: {errors[:3]}"
            assert validate_jsonstat(data) is True
            # The marks keep their meaning, said in the dataset's own note; the rules in force are in extension.
            assert set(data["status"].values()) <= {"..", "."}
            assert any(".." in note for note in data["note"])
            if lang == "en":
                assert any("“..” marks" in note for note in data["note"]) and any("“.” marks" in note for note in data["note"])
            assert data["extension"]["disclosure"] == {"min_count": 5, "min_answers": 10}
            assert data["updated"] and data["source"]
            assert all(dim["label"] for dim in data["dimension"].values())
            checked += 1
    assert checked == len(VIEWS) * len(TABLES) == 20


def test_the_openmetrics_feed_passes_the_strict_parser(database_url, app, db):
    metrics_app = create_app({**test_config(database_url), "METRICS_TOKEN": "s3cret-token-for-tests"})
    client = metrics_app.test_client()
    client.get("/figures/?lang=en")
    response = client.get("/figures/metrics", headers={
        "Authorization": "Bearer s3cret-token-for-tests", "Accept": "application/openmetrics-text; version=1.0.0"})
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("application/openmetrics-text; version=1.0.0") and "charset=utf-8" in content_type
    text = response.get_data(as_text=True)
    assert text.endswith("# EOF\n")
    families = {family.name: family for family in text_string_to_metric_families(text)}  # raises on any fault
    assert "voice_http_requests" in families and families["voice_http_requests"].type == "counter"


def test_downloads_name_their_file_in_ascii_and_utf8_and_say_the_charset_once(app, client, db):
    load_known(db)
    cosession = make_session(app, db, title="Familiekafé på Saupstad")
    for url, name in ((f"/figures/download.csv?{QUERY_Q1}", "voice-figures-2025-Q1.csv"),
                      (f"/figures/download.jsonstat?{QUERY_Q1}&table=trend", "voice-figures-2025-Q1-trend.jsonstat.json"),
                      (f"/sessions/{cosession.public_id}/calendar.ics", f"voice-{cosession.public_id}.ics"),
                      ("/sessions/calendar.ics", "voice-sessions.ics")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"].count("charset") <= 1, response.headers["Content-Type"]
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith(("attachment;", "inline;")) and f"filename={name}" in disposition, disposition


def test_a_non_ascii_file_name_is_given_twice_as_rfc_6266_says(app):
    from voice.web.downloads import download

    with app.test_request_context("/"):
        response = download("a,b\n", mimetype="text/csv", filename="påmeldte-سجل.csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''p%C3%A5meldte-%D8%B3%D8%AC%D9%84.csv" in disposition
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_versioned_static_files_are_kept_a_year_without_asking_again(client):
    page = client.get("/?lang=nb").get_data(as_text=True)
    import re

    urls = re.findall(r'(?:href|src)="(/static/[^"?]+\?v=[0-9a-f]+)"', page)
    assert urls
    for url in urls:
        assert client.get(url).headers["Cache-Control"] == "public, max-age=31536000, immutable", url
    assert client.get(urls[0].split("?")[0]).headers["Cache-Control"] == "no-cache"


CONTEXT = {"name": "Amina", "title": "Familiekafé, Saupstad", "when": datetime(2026, 12, 11, 9, tzinfo=timezone.utc),
           "ends": datetime(2026, 12, 11, 12, tzinfo=timezone.utc), "venue": "Saupstad senter, Krokstien 2",
           "link": "http://127.0.0.1:5000/x", "manage": "http://127.0.0.1:5000/sessions/signup/t", "reason": "Sykdom",
           "code": "7KQM-3XA9-PT2D-8HWN", "adults": 1, "children": 2, "childcare": True, "accessibility": "Rampe",
           "interpreter": "العربية", "other_interpreter": False, "count": 3, "stories": [], "serious": 0,
           "role": "moderator", "public_id": "abc", "reports": 3, "waiting": 4, "theme": "Bolig, NAV", "critical": 2,
           "overdue": [["NAV", 3], ["Barnevernet", 1]], "overdue_link": "http://127.0.0.1:5000/moderation/overdue"}


@pytest.mark.parametrize("lang", ["nb", "ar"])
def test_every_message_parses_without_defects_as_received(app, db, lang):
    inbox, controller, port = start_smtp()
    try:
        for template in SUBJECTS:
            queue_mail(session=db, to=f"{template}@example.no", template=template, context=CONTEXT, locale=lang,
                       attachment=("session.ics", "text/calendar", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
                       if template in ("signup_confirmed", "signup_promoted", "session_reminder") else None)
        db.commit()
        done = send_due(engine=app.extensions["voice_engine"], smtp=SmtpSettings(port=port),
                        now=datetime.now(timezone.utc) + timedelta(seconds=1))
        assert done.sent == len(SUBJECTS)
    finally:
        controller.stop()
    for raw in inbox.raw:
        message = message_from_bytes(raw, policy=policy.default)
        where = message["To"]
        assert message.defects == [] and all(part.defects == [] for part in message.walk()), where
        assert message["Date"] and message["Message-ID"] and message["Subject"], where
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert text is not None and text.get_content().strip(), where
        assert html is not None, where
        if lang == "ar":
            assert '<html lang="ar" dir="rtl">' in html.get_content(), where
