"""Hostile input: random, oversized, wrongly encoded and malicious values on every POST endpoint.

Never a 500, nothing unescaped in the answer, and nothing stored outside the server's own lists.
"""
from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from voice.experiences.models import Experience
from voice.extensions import limiter
from voice.locales import LOCALES

from .conftest import CSRF_RE
from .factories import make_experience, make_session

PAYLOADS = ['<svg onload=alert(1)>', '"><script>alert(1)</script>', "=HYPERLINK(\"x\")", "\x00\x01\x7f", "' OR 1=1 --",
            "‮RTL override", "𝕏" * 50, "A" * 5000, "-1", "99999999999999999999", "", " ", "nav", "5", "yes", "y"]
values = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=300), st.integers().map(str))
FIELDS = ["services", "usefulness", "listened", "services_explained", "story", "story_lang", "area", "domains",
          "consent_publish", "phone", "email", "pii_checked", "form_token", "website", "code", "text", "lang", "confirm",
          "name", "adults", "children", "interpreter_lang", "needs_childcare", "accessibility", "role", "reason",
          "comment", "email", "password", "usefulness"]
forms = st.dictionaries(st.sampled_from(FIELDS), st.one_of(values, st.lists(values, max_size=4)), max_size=12)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def unlimited():
    limiter.enabled = False
    yield
    limiter.enabled = True


def check(response):
    assert response.status_code < 500 or response.status_code == 503, response.status_code
    page = response.get_data(as_text=True)
    assert "<svg onload" not in page and "<script>alert" not in page


def public_posts(app, db):
    experience, _ = make_experience(app, db, consent_publish=True)
    experience.status, experience.published_story = "published", "x"
    db.add(experience)
    db.commit()
    row = make_session(app, db)
    return ["/experiences/new", "/experiences/mine", "/experiences/mine/follow-up", "/experiences/mine/delete",
            f"/stories/{experience.public_id}/report", f"/sessions/{row.public_id}/signup", "/staff/login"]


def test_every_public_post_endpoint_survives_random_forms(app, client, db, unlimited):
    urls = public_posts(app, db)
    token = CSRF_RE.search(client.get("/experiences/mine").get_data(as_text=True)).group(1)

    @FUZZ
    @given(url=st.sampled_from(urls), form=forms, with_token=st.booleans())
    def run(url, form, with_token):
        data = {**form, "csrf_token": token} if with_token else form
        check(client.post(url, data=data))

    run()
    for experience in db.exec(select(Experience)):
        assert experience.usefulness in (None, 1, 2, 3, 4, 5)
        assert experience.listened in (None, "yes", "partly", "no")
        assert experience.services_explained in (None, 0, 1, 2, 3, 4, 5, 6)
        assert experience.story_lang in set(LOCALES) | {"und"}
        assert len(experience.story) <= app.config["STORY_MAX_LENGTH"]


def test_wrongly_encoded_and_oversized_bodies_are_refused_cleanly(app, client, db, unlimited):
    token = CSRF_RE.search(client.get("/experiences/new").get_data(as_text=True)).group(1)
    bodies = [
        b"csrf_token=" + token.encode() + b"&story=%FF%FE%FD&services=nav&usefulness=4&story_lang=nb&form_token=" + b"e" * 30,
        b"csrf_token=" + token.encode() + b"&story=\xff\xfe\x00\x80&services=nav",
        b"\xff" * 1000,
        b"story=" + b"A" * 100_000,
    ]
    for body in bodies:
        response = client.post("/experiences/new", data=body, content_type="application/x-www-form-urlencoded")
        check(response)
    multipart = client.post("/experiences/new", data={"csrf_token": token, "story": "x"}, content_type="multipart/form-data")
    check(multipart)


def test_staff_post_endpoints_survive_random_forms(app, client, db, staff, unlimited):
    staff("admin")
    experience, _ = make_experience(app, db, consent_publish=True)
    row = make_session(app, db)
    token = CSRF_RE.search(client.get("/moderation/").get_data(as_text=True)).group(1)
    urls = [f"/moderation/experiences/{experience.public_id}/decide", f"/moderation/experiences/{experience.public_id}/answer",
            "/moderation/export", "/admin/accounts/invite", "/organise/new", f"/organise/{row.public_id}/cancel",
            f"/organise/{row.public_id}/outcome", f"/organise/{row.public_id}/attendance", "/staff/password",
            "/admin/reference/service/new"]
    staff_fields = st.sampled_from(["decision", "published_story", "reject_reason", "services", "service", "text", "lang",
                                    "change_status", "purpose", "format", "date_from", "date_to", "status", "email",
                                    "display_name", "role", "title", "description", "day", "start_time", "end_time",
                                    "capacity", "repeat_weeks", "languages", "reason", "outcome", "attended", "slug", "name"])
    staff_forms = st.dictionaries(staff_fields, st.one_of(values, st.lists(values, max_size=3)), max_size=10)

    @FUZZ
    @given(url=st.sampled_from(urls), form=staff_forms)
    def run(url, form):
        check(client.post(url, data={**form, "csrf_token": token}))

    run()


def test_query_strings_never_break_public_pages(app, client, db):
    @FUZZ
    @given(path=st.sampled_from(["/", "/stories/", "/sessions/", "/experiences/new", "/privacy"]),
           params=st.dictionaries(st.sampled_from(["lang", "page", "service", "area", "domain", "kind", "language", "from_day", "next"]), values, max_size=5))
    def run(path, params):
        check(client.get(path + "?" + urllib.parse.urlencode(params)))

    run()


# Shapes that once gave a 500: dates out of range, numbers too large for a column, line breaks.
HOSTILE_SHAPES = st.sampled_from([
    "0001-01-01", "9999-12-31", "12345678901234567890123", "-3", "0", "1e9", "/%0D%0A/x", "/\t/evil.example",
    "2025-02-30", "９", "٣", "\x00", "a" * 70,
])


def test_query_strings_and_path_ids_of_odd_shapes_never_break_a_page(app, client, db, staff):
    staff("admin")

    @FUZZ
    @given(path=st.sampled_from(["/stories/", "/sessions/", "/sessions/calendar.ics", "/figures/", "/figures/download.json",
                                 "/admin/audit", "/staff/login"]),
           params=st.dictionaries(st.sampled_from(["page", "from_day", "period", "period_type", "next", "area", "service"]),
                                  st.one_of(values, HOSTILE_SHAPES), max_size=4),
           ident=st.one_of(HOSTILE_SHAPES, st.integers(min_value=0, max_value=10 ** 25).map(str)))
    def run(path, params, ident):
        check(client.get(path + "?" + urllib.parse.urlencode(params)))
        for template in ("/admin/accounts/{}/disable", "/admin/reference/service/{}", "/moderation/export/{}",
                         "/moderation/export/{}/download"):
            check(client.get(template.format(urllib.parse.quote(ident, safe=""))))

    run()
