"""One who answers for a service (issue 19) in a real browser on a phone, JavaScript on and off:
logs in, lands on the stories about their service, reads one in Arabic, answers it (the text
they typed is kept when they send it empty), and sees that a moderator checks it first. axe-core
checks each page; screenshots in nb and ar go to tests/output/screenshots."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.factories import make_experience, make_user
from voice.clock import utcnow
from voice.experiences.models import ServiceAnswer
from voice.reference.models import Service

from . import axe
from .conftest import SCREENSHOT_DIR
from .test_staff_flow import assert_fits_phone, db, enter_code, live, log_in_password, main_form, post  # noqa: F401

pytestmark = pytest.mark.browser
SVG = "<svg onload=alert(1)>"


@pytest.fixture
def responder(live, db):  # noqa: F811
    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    user, secret = make_user(live["app"], db, role="responder", service_id=nav.id,
                             email=f"svar-{uuid.uuid4().hex[:6]}@nav.no")
    text = f"Veilederen på NAV hjalp oss med søknaden {uuid.uuid4().hex[:6]}."
    experience, _ = make_experience(live["app"], db, consent_publish=True, service_slugs=["nav"], story=text)
    experience.status, experience.published_story, experience.decided_at = "published", text, utcnow()
    db.add(experience)
    db.commit()
    return user, secret, experience


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_responder_reads_and_answers_a_story_about_their_service(new_context, db, responder, javascript):  # noqa: F811
    user, secret, experience = responder
    page = new_context(javascript=javascript, bypass_csp=javascript)  # the CSP lifted only for axe-core
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    log_in_password(page, user.email)
    enter_code(page, secret)
    expect(page).to_have_url(re.compile(r"/answers/$"))
    mode = "js" if page.javascript else "nojs"
    for lang, heading in (("nb", "Historier å svare på"), ("ar", "قصص للرد عليها")):
        page.goto(f"/answers/?lang={lang}")
        expect(page.locator("h1")).to_have_text(heading)
        assert_fits_phone(page, f"/answers/ ({lang})")
        if javascript:
            axe.assert_accessible(page, f"/answers/ ({lang})")
        page.screenshot(path=str(SCREENSHOT_DIR / f"answers-list-{lang}-{mode}.png"), full_page=True)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator(f'main a[href$="/answers/{experience.public_id}"]').click()
    expect(page.locator("main")).to_contain_text(experience.published_story)
    form = main_form(page, f"/answers/{experience.public_id}")
    answer = f"Takk for at dere skrev. Vi ringer dere. {SVG}"
    form.locator("#lang").select_option("nb")
    post(page, form.locator('button[type="submit"]'))  # empty: an error next to the field
    expect(page.locator("#text-error, .field-error").first).to_be_visible()
    expect(main_form(page, f"/answers/{experience.public_id}").locator("#lang")).to_have_value("nb")
    main_form(page, f"/answers/{experience.public_id}").locator("#text").fill(answer)
    post(page, main_form(page, f"/answers/{experience.public_id}").locator('button[type="submit"]'))
    expect(page.locator("#answers ~ .answer").first).to_contain_text("Vi ringer dere.")
    expect(page.locator("main p.hint").first).to_be_visible()  # a moderator checks it first
    assert page.evaluate("document.querySelectorAll('main svg').length") == 0
    assert_fits_phone(page, "the answered story (ar)")
    if javascript:
        axe.assert_accessible(page, "the answered story (ar)")
    page.screenshot(path=str(SCREENSHOT_DIR / f"answers-story-ar-{mode}.png"), full_page=True)
    page.goto(f"/answers/{experience.public_id}?lang=nb")
    page.screenshot(path=str(SCREENSHOT_DIR / f"answers-story-nb-{mode}.png"), full_page=True)
    db.expire_all()
    stored = db.exec(select(ServiceAnswer).where(ServiceAnswer.experience_id == experience.id)).one()
    assert (stored.text, stored.author_id, stored.check_status) == (answer, user.id, "waiting")
