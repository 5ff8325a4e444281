"""The loop's figures (issue 16, items 6 and 7): "changes that families say helped" per service,
and the figures per theme, on the dashboard, in the downloads and in the monitoring feed, with
the disclosure rules: no "did it help?" figure from fewer than 10 answers, no count 1-4, and
secondary suppression. Runs on SQLite and PostgreSQL; the figures were worked out by hand.

The data (all published stories told in 2025-Q1, every quarter of 2025 published by now):
* S1-S11: nav answered "change made"; S12: nav answered "change planned". Theme A: S1-S12.
  Theme B: S1-S12 and S13-S20 (no answer).
* S21-S42: school answered "change made" (no theme).
"Did it help?" answers (too early left out of the figure):
* 2025-Q2: S1-S9 about nav, 5 yes and 4 no: 9 answers, so nothing is shown.
* 2025-Q3: S10-S11 about nav (1 yes, 1 no) and S21-S30 about school (5 yes, 5 no): 12 in all,
  6 yes: 50% shown; school's 50% is hidden too, else the total minus school gives nav (1 of 2).
* 2025-Q4: S31-S41 about school, 6 yes and 5 no (and S42 "too early"): 55%, for all and school.
"""
from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta, timezone

import pytest
from jsonstat_validator import validate_jsonstat

from voice import create_app
from voice.clock import FixedClock
from voice.experiences.models import ChangeFeedback, Experience, ExperienceService, ServiceAnswer
from voice.themes.models import Theme, ThemeStory

from .conftest import test_config
from .test_figures import Refs, as_records, hidden, shown
from .test_validators import CHECK

UTC = timezone.utc
TOLD = datetime(2025, 2, 10, 12, tzinfo=UTC)
GIVEN = {"2025-Q2": datetime(2025, 5, 10, 12, tzinfo=UTC), "2025-Q3": datetime(2025, 8, 10, 12, tzinfo=UTC),
         "2025-Q4": datetime(2025, 11, 10, 12, tzinfo=UTC)}
NOW = datetime(2026, 2, 1, 12, tzinfo=UTC)  # 2025-Q4 and the year 2025 are published
TOKEN = "loop-metrics-token-for-tests"


def _story(db, refs, service: str | None, change: str | None) -> tuple[Experience, ServiceAnswer | None]:
    experience = Experience(public_id=secrets.token_hex(16), created_at=TOLD, status="published", story="Test.",
                            published_story="Test.", receipt_locator="TEST0000", receipt_hash="!",
                            form_token=secrets.token_hex(16), consent_publish=True)
    db.add(experience)
    db.flush()
    db.add(ExperienceService(experience_id=experience.id, service_id=refs.service(service or "nav")))
    answer = None
    if change:
        answer = ServiceAnswer(experience_id=experience.id, service_id=refs.service(service), text="Svar.",
                               change_status=change, created_at=TOLD + timedelta(days=3))
        db.add(answer)
    db.flush()
    return experience, answer


def _verdicts(db, pairs, verdicts: str, quarter: str) -> None:
    for (experience, answer), verdict in zip(pairs, verdicts.split()):
        db.add(ChangeFeedback(experience_id=experience.id, answer_id=answer.id, verdict=verdict,
                              created_at=GIVEN[quarter], updated_at=GIVEN[quarter]))


@pytest.fixture
def loop_data(db):
    refs = Refs(db)
    nav = [_story(db, refs, "nav", "made") for _ in range(11)] + [_story(db, refs, "nav", "planned")]
    quiet = [_story(db, refs, None, None) for _ in range(8)]
    school = [_story(db, refs, "school", "made") for _ in range(22)]
    a = Theme(slug="theme-a", title="Vente på svar om bolig")
    b = Theme(slug="theme-b", title="Én fast kontaktperson")
    db.add_all([a, b])
    db.flush()
    db.add_all(ThemeStory(theme_id=a.id, experience_id=e.id) for e, _ in nav)
    db.add_all(ThemeStory(theme_id=b.id, experience_id=e.id) for e, _ in nav + quiet)
    _verdicts(db, nav[:9], "yes yes yes yes yes no no no no", "2025-Q2")
    _verdicts(db, nav[9:11], "yes no", "2025-Q3")
    _verdicts(db, school[:10], "yes yes yes yes yes no no no no no", "2025-Q3")
    _verdicts(db, school[10:22], "yes yes yes yes yes yes no no no no no too_early", "2025-Q4")
    db.commit()
    return {"nav": nav, "school": school}


def test_did_it_help_is_shown_only_from_ten_answers_and_never_gives_a_service_away(app, client, loop_data):
    q2 = as_records(client, "period_type=quarter&period=2025-Q2")
    assert hidden(q2, "summary", "all", "helped_percent") == "protected"  # 9 answers: nothing
    assert hidden(q2, "by_service", "nav", "helped_percent") == "protected"
    q3 = as_records(client, "period_type=quarter&period=2025-Q3")
    assert shown(q3, "summary", "all", "helped_percent") == 50  # 6 of 12
    assert hidden(q3, "by_service", "school", "helped_percent") == "protected"  # else 12 - 10 tells nav's 1 of 2
    assert hidden(q3, "by_service", "nav", "helped_percent") == "protected"
    q4 = as_records(client, "period_type=quarter&period=2025-Q4")
    assert shown(q4, "summary", "all", "helped_percent") == 55  # 6 of 11: "too early" is not a verdict
    assert shown(q4, "by_service", "school", "helped_percent") == 55
    year = as_records(client, "period_type=year&period=2025")
    assert hidden(year, "summary", "all", "helped_percent") == "protected"  # two quarters hid theirs (rule C)

    page = client.get("/figures/?period_type=quarter&period=2025-Q4&lang=en").get_data(as_text=True)
    assert "Changes that families say helped" in page
    key = page.index("Changes that families say helped</dt>")
    assert "55" in page[key:key + 120]
    # Not for an area or a life domain: the answers are not published that finely.
    by_area = as_records(client, "period_type=quarter&period=2025-Q4&area=kattem")
    assert not [r for r in by_area if r["measure"] == "helped_percent"]


def test_a_published_quarter_keeps_its_did_it_help_figure(app, client, db, loop_data):
    assert hidden(as_records(client, "period_type=quarter&period=2025-Q2"), "summary", "all", "helped_percent")
    # A tenth answer dated in the published quarter changes nothing: the quarter was frozen.
    _verdicts(db, [_story(db, Refs(db), "nav", "made")], "no", "2025-Q2")
    db.commit()
    assert hidden(as_records(client, "period_type=quarter&period=2025-Q2"), "summary", "all", "helped_percent")


def test_theme_figures_are_counted_and_protected(app, client, loop_data):
    records = as_records(client, "period_type=quarter&period=2025-Q1")
    # Theme A: 12 stories, 11 "made", 1 "planned". The 1 is "fewer than 5", and 11 is hidden too:
    # 12 - 11 would give it away.
    assert shown(records, "by_theme", "theme-a", "stories") == 12
    assert hidden(records, "by_theme", "theme-a", "change_planned").startswith("small")
    assert hidden(records, "by_theme", "theme-a", "change_made") == "secondary"
    assert hidden(records, "by_theme", "theme-a", "answered_percent") == "protected"  # all 12 answered
    # Theme B: 20 stories, 12 answered: 60%, 11 made (the planned 1 and 8 without a mark stay hidden).
    assert shown(records, "by_theme", "theme-b", "stories") == 20
    assert shown(records, "by_theme", "theme-b", "answered_percent") == 60
    assert shown(records, "by_theme", "theme-b", "change_made") == 11
    assert hidden(records, "by_theme", "theme-b", "change_planned").startswith("small")
    for record in records:
        if record["table"] == "by_theme" and record["status"] == "":
            assert record["value"] not in (1, 2, 3, 4), record

    # "Did it help?" per theme: 9 answers in Q2 give nothing.
    q2 = as_records(client, "period_type=quarter&period=2025-Q2")
    assert hidden(q2, "by_theme", "theme-a", "helped_percent") == "protected"
    assert shown(q2, "by_theme", "theme-a", "stories") == 0  # told in Q1, not in Q2

    # The year: a count where every quarter shows its own, nothing else.
    year = as_records(client, "period_type=year&period=2025")
    assert shown(year, "by_theme", "theme-b", "stories") == 20
    assert hidden(year, "by_theme", "theme-a", "change_made")

    page = client.get("/figures/?period_type=quarter&period=2025-Q1&lang=en").get_data(as_text=True)
    assert "Figures by theme" in page and "Én fast kontaktperson" in page
    assert 'href="/themes/theme-b"' in page

    jsonstat = json.loads(client.get("/figures/download.jsonstat?table=themes&period_type=quarter&period=2025-Q1&lang=en")
                          .get_data(as_text=True))
    assert jsonstat["id"] == ["period", "theme", "measure"]
    assert validate_jsonstat(jsonstat) is True  # the field's own validator, with themes in it
    assert list(CHECK.iter_errors(jsonstat)) == []  # and the official schema
    measures = jsonstat["dimension"]["measure"]["category"]["index"]
    themes = jsonstat["dimension"]["theme"]["category"]["index"]
    width = len(measures)
    assert jsonstat["value"][themes["theme-b"] * width + measures["stories"]] == 20
    made_a = themes["theme-a"] * width + measures["change_made"]
    assert jsonstat["value"][made_a] is None and jsonstat["status"][str(made_a)] == ".."


def test_the_monitoring_feed_carries_the_loop(database_url, app, loop_data):
    feed_app = create_app({**test_config(database_url), "METRICS_TOKEN": TOKEN, "VOICE_CLOCK": FixedClock(NOW)})
    client = feed_app.test_client()
    text = client.get("/figures/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    assert 'voice_change_helped_ratio{dimension="all",group="all",period="2025-Q4",period_type="quarter"} 0.55' in text
    assert 'voice_change_helped_ratio{dimension="service",group="school",period="2025-Q4",period_type="quarter"} 0.55' in text
    assert 'voice_change_helped_ratio{dimension="all",group="all",period="2025",' not in text
    assert 'voice_theme_stories{period="2025",period_type="year",theme="theme-b"} 20.0' in text
    assert 'voice_theme_changes{change="made",period="2025",period_type="year",theme="theme-b"} 11.0' in text
    assert 'theme="theme-a"} 11.0' not in text
    for line in text.splitlines():
        if line.startswith(("voice_theme_stories{", "voice_theme_changes{")):
            assert float(line.rsplit(" ", 1)[1]) not in (1.0, 2.0, 3.0, 4.0), line
