"""The loop on a phone (issue 16): a family tells its story; staff put it in a theme and hold
a session about it; the family, opening its story with the code, is invited, signs up, later
reads what came of it and answers "did it help?". Chromium at 360x740, JavaScript on and off,
nb and ar. The staff steps go through the services, as the staff pages (tested elsewhere) do."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.factories import make_session, make_user

from .conftest import start_live_server
from .test_cocreation_flow import sign_up
from .test_experience_flow import assert_fits_phone, form_for, open_status, submit, tell_story

pytestmark = pytest.mark.browser
MODES = {"js": True, "nojs": False}


@pytest.fixture(scope="module")
def live(request, tmp_path_factory) -> dict:
    return start_live_server(request, tmp_path_factory, "loop")


def _staff_steps(live, story_marker: str, lang: str) -> dict:
    """Decide the story, put it in a new theme, and hold a session about the theme."""
    from voice.clock import utcnow
    from voice.experiences.models import Experience
    from voice.themes import service
    from voice.themes.models import ThemeSession

    app = live["app"]
    with Session(app.extensions["voice_engine"]) as db:
        experience = db.exec(select(Experience).where(Experience.story.contains(story_marker))).one()
        experience.status, experience.decided_at = "internal", utcnow()
        db.add(experience)
        theme = service.save_theme(session=db, theme=None, now=utcnow(), data=service.ThemeInput(
            title=f"Venter på NAV {story_marker}", services=["nav"], domains=[]))
        service.add_story(session=db, theme=theme, experience=experience, now=utcnow())
        cosession = make_session(app, db, capacity=10, title=f"Samling {story_marker}", day=date.today() + timedelta(days=7))
        db.add(ThemeSession(theme_id=theme.id, session_id=cosession.id))
        db.commit()
        return {"theme_id": theme.id, "session": cosession.public_id, "title": cosession.title}


def _post_result(live, ids: dict, text: str) -> None:
    from voice.clock import utcnow
    from voice.reference.models import Service
    from voice.themes import service
    from voice.themes.models import Theme

    app = live["app"]
    with Session(app.extensions["voice_engine"]) as db:
        nav = db.exec(select(Service).where(Service.slug == "nav")).one()
        author, _ = make_user(app, db)
        result = service.post_result(session=db, theme=db.get(Theme, ids["theme_id"]), author_id=author.id, now=utcnow(),
                                     data=service.ResultInput(service_id=nav.id, text=text, lang="nb", change_status="made",
                                                              review_on=date.today() + timedelta(days=90)))
        checker, _ = make_user(app, db)  # a change claim is shown once another moderator has checked it
        service.check_result(session=db, result=result, moderator_id=checker.id, now=utcnow())
        db.commit()


@pytest.mark.parametrize("lang", ["nb", "ar"])
@pytest.mark.parametrize("mode", list(MODES))
def test_told_invited_signed_up_answered_and_asked_if_it_helped(live, new_context, screenshot_dir, mode, lang):
    page = new_context(javascript=MODES[mode])
    marker = f"loop{mode}{lang}"
    code = tell_story(page, lang, f"Vi venter på svar fra NAV om bolig ({marker})")
    ids = _staff_steps(live, marker, lang)

    # With the code the family sees the invitation, and signs up from it.
    open_status(page, code)
    invited = page.locator("section[aria-labelledby=invited]")
    expect(invited).to_be_visible()
    assert_fits_phone(page, f"the story page with an invitation ({lang})")
    page.screenshot(path=str(screenshot_dir / f"loop-invited-{lang}-{mode}.png"), full_page=True)
    with page.expect_navigation():
        invited.get_by_role("link", name=ids["title"]).click()
    expect(page).to_have_url(re.compile(rf"/sessions/{ids['session']}"))
    expect(page.locator("section[aria-labelledby=why-heading]")).to_be_visible()
    page.goto(f"/sessions/{ids['session']}?lang=en")
    sign_up(page, "Familien Ali", children=0)
    expect(page.get_by_role("heading", level=1)).to_have_text("You are signed up")

    # What came of it comes back to the story; the family says whether it helped.
    _post_result(live, ids, f"Nå får hver familie én fast kontaktperson ({marker})")
    open_status(page, code)
    main = page.locator("main")
    expect(main).to_contain_text(f"Nå får hver familie én fast kontaktperson ({marker})")
    helped = form_for(page, "/experiences/mine/helped")
    helped.locator('input[name="verdict"][value="partly"]').check()
    helped.locator("#text").fill(f"Bedre enn før {marker}")
    submit(page, helped.locator('button[type="submit"]'), enhanced=False)
    expect(page.locator("main .panel-success[role=status]")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / f"loop-helped-{lang}-{mode}.png"), full_page=True)
    from voice.experiences.models import ChangeFeedback

    with Session(live["app"].extensions["voice_engine"]) as db:
        assert [f.verdict for f in db.exec(select(ChangeFeedback).where(ChangeFeedback.text == f"Bedre enn før {marker}"))] == ["partly"]


HELPED = {"nb": "Endringer som familiene sier hjalp", "ar": "تغييرات تقول العائلات إنها ساعدت"}


def _answers_in_two_quarters(live) -> None:
    """9 "did it help?" answers given in 2026-Q1 and 10 in 2026-Q2 (both published by now)."""
    if live.get("answers_added"):
        return
    from datetime import datetime, timezone

    from tests.test_figures import Refs
    from tests.test_loop_figures import _story
    from voice.experiences.models import ChangeFeedback

    with Session(live["app"].extensions["voice_engine"]) as db:
        refs = Refs(db)
        for given, verdicts in ((datetime(2026, 2, 10, 12, tzinfo=timezone.utc), "yes " * 5 + "no " * 4),
                                (datetime(2026, 5, 10, 12, tzinfo=timezone.utc), "yes " * 5 + "no " * 5)):
            for verdict in verdicts.split():
                experience, answer = _story(db, refs, "nav", "made")
                db.add(ChangeFeedback(experience_id=experience.id, answer_id=answer.id, verdict=verdict,
                                      created_at=given, updated_at=given))
        db.commit()
    live["answers_added"] = True


@pytest.mark.parametrize("lang", ["nb", "ar"])
@pytest.mark.parametrize("mode", list(MODES))
def test_the_did_it_help_figure_shows_only_with_ten_answers_behind_it(live, new_context, screenshot_dir, mode, lang):
    _answers_in_two_quarters(live)
    page = new_context(javascript=MODES[mode])
    figure = page.locator(".key-figure", has_text=HELPED[lang]).locator("dd")
    page.goto(f"/figures/?period_type=quarter&period=2026-Q1&lang={lang}")
    expect(figure).to_be_visible()
    assert not re.search(r"[0-9٠-٩۰-۹]", figure.inner_text()), figure.inner_text()  # 9 answers: no figure
    page.goto(f"/figures/?period_type=quarter&period=2026-Q2&lang={lang}")
    expect(figure).to_have_text(re.compile(r"50|٥٠"))  # 10 answers, 5 each way
    assert_fits_phone(page, f"the figures with 'did it help?' ({lang})")
    page.screenshot(path=str(screenshot_dir / f"loop-figure-{lang}-{mode}.png"), full_page=False)
