"""Plain dates, numbers and words in every language (issue 14, items 12 and 13): dates from
Babel's skeletons in all nine locales, lists with the locale's separators, WTForms' own
messages replaced by ours on every field, counts with ngettext, and the organisers' list,
the export, the calendar and the audit log in the reader's language."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel import lists as babel_lists
from babel.messages.pofile import read_po
from icalendar import Calendar
from markupsafe import escape

from voice.accounts.audit import ACTION_NAMES
from voice.form_messages import PLURAL, SINGLE
from voice.locales import LOCALES, translator

from .factories import make_session
from .test_cocreation import sign_up
from .test_export import run_export, seed_stories

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 12, 11, 9, 0, tzinfo=timezone.utc)  # 10.00 in Trondheim (winter time)
END = datetime(2026, 12, 11, 12, 0, tzinfo=timezone.utc)

# A session on Friday 11 December from 10 to 13, as each language writes it (CLDR's skeletons
# "MMMEd" and the "Hm" interval; nb and nn write "kl. 10.00" as Språkrådet says).
SPANS = {
    "nb": "fre. 11. des. kl. 10.00–13.00",
    "nn": "fr. 11. des. kl. 10.00–13.00",
    "en": "Fri, Dec 11 10:00\u2009–\u200913:00",
    "ar": "الجمعة، 11 ديسمبر 10:00–13:00",
    "fa": "جمعه 11 دسامبر 10:00 تا 13:00",
    "so": "Jmc, Dis 11 10:00–13:00",
    "ti": "ዓር፣ 11 ታሕ 10:00–13:00",
    "uk": "пт, 11 груд. 10:00–13:00",
    "pl": "pt., 11 gru 10:00–13:00",
}


@pytest.mark.parametrize("code", list(LOCALES))
def test_session_times_read_as_people_write_them(code):
    words = translator(code)
    assert words.span(START, END, this_year=2026) == SPANS[code]
    # Another year shows the year; never seconds, never the name of a time zone.
    for text in (words.span(START, END, this_year=2027), words.moment(START), words.day(START)):
        assert "2026" in text or text == words.day(START)
        assert ":00:00" not in text and ".00.00" not in text
        assert not re.search(r"CET|GMT|UTC|normaltid|Sentral|Central|\+01", text), text


@pytest.mark.parametrize("code", list(LOCALES))
def test_lists_use_the_separators_of_the_language(code):
    words = translator(code)
    assert words.format_list(["A", "B", "C"]) == babel_lists.format_list(["A", "B", "C"], locale=code)
    if code == "fa":
        assert "،" in words.format_list(["A", "B", "C"])


def test_every_message_of_wtforms_is_replaced_by_ours():
    pot = ROOT / ".venv" / "lib"
    found = list(pot.glob("python3*/site-packages/wtforms/locale/wtforms.pot"))
    assert found, "WTForms' message list not found"
    with found[0].open("rb") as fh:
        theirs = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(fh) if m.id}
    theirs.discard("Invalid field name '%s'.")  # a programming error, never shown to a person
    assert theirs - set(SINGLE) - set(PLURAL) == set()


@pytest.mark.parametrize("code", ["nn", "so", "ti", "ar"])
def test_a_form_error_comes_from_our_catalog(client, post, app, db, code):
    cosession = make_session(app, db, capacity=5)
    response = post(f"/sessions/{cosession.public_id}/signup?lang={code}",
                    {"name": "Amina", "adults": "many", "children": "0", "form_token": "n" * 30},
                    token_from=f"/sessions/{cosession.public_id}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    ours = translator(code).gettext("Enter a whole number, like 2.")
    assert ours != "Enter a whole number, like 2.", f"{code} has no translation yet"
    assert str(escape(ours)) in page
    assert "Not a valid integer value." not in page


def test_the_organisers_list_is_in_their_language(app, client, post, staff, csrf, db):
    cosession = make_session(app, db, capacity=3)
    sign_up(post, cosession, name="Amina", interpreter_lang="ar", needs_childcare="y")
    staff("moderator")
    token = csrf(f"/organise/{cosession.public_id}/signups.csv")
    response = client.post(f"/organise/{cosession.public_id}/signups.csv?lang=nb",
                           data={"csrf_token": token, "purpose": "Planlegge tolk og mat"})
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    words = translator("nb")
    assert rows[0][:3] == [words.gettext("Name"), words.gettext("Place"), words.gettext("Comes as")]
    assert rows[0][0] == "Navn"
    assert rows[1][0] == "Amina" and rows[1][1] == words.gettext("Has a place") and rows[1][5] == "العربية"
    assert rows[1][6] == words.gettext("Yes") == "Ja"


def test_the_export_speaks_the_staff_language_and_json_keeps_the_codes(app, client, post, staff, db, jobs):
    staff("moderator")
    first, _ = seed_stories(app, db)
    text = run_export(client, post, jobs, lang="nb").data.decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
    words = translator("nb")
    assert rows[first.public_id][2] == words.gettext("Read, not published")
    assert rows[first.public_id][3] == words.gettext("NAV") or rows[first.public_id][3].startswith("NAV")
    assert "internal" not in rows[first.public_id]
    data = json.loads(run_export(client, post, jobs, lang="nb", format="json").data)
    row = next(r for r in data["rows"] if r["id"] == first.public_id)
    assert row["status"] == "internal" and row["services"] == "nav"


def test_the_calendar_feed_is_named_in_the_page_language(app, client, db):
    make_session(app, db)
    feed = Calendar.from_ical(client.get("/sessions/calendar.ics?lang=nb").data)
    assert str(feed.get("x-wr-calname")) == translator("nb").gettext("Voice – co-creation sessions")
    assert str(feed.get("x-wr-calname")) != "Voice – co-creation sessions"


def test_every_audit_action_the_code_records_has_a_name():
    source = "\n".join(p.read_text() for p in (ROOT / "voice").rglob("*.py"))
    recorded = set(re.findall(r'record(?:_always)?\(\s*(?:session,\s*[^,]+,\s*)?"([a-z_]+)"', source))
    recorded |= {f"story_{d}" for d in ("published", "internal", "rejected")}
    recorded |= {"account_disabled", "account_enabled"}
    assert recorded, "no audit actions found in the code"
    assert recorded - set(ACTION_NAMES) == set()
