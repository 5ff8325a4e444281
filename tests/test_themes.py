"""Themes (issue 16, items 1, 2 and 9): staff group decided stories into themes with a status,
tags and translations; the moderation page suggests the themes similar stories are in and adds
a story in one step; the public pages show what families told (never a count from 1 to 4),
what the services answered and what changed; every change is audited."""
from __future__ import annotations

import re

from sqlmodel import select

from voice.accounts.models import AuditEntry
from voice.experiences.models import ServiceAnswer
from voice.themes import service
from voice.themes.models import Theme, ThemeStory, ThemeText

from .factories import make_experience, make_user

XSS = '<svg onload=alert(1)>'


def _decided(app, db, story="Vi venter på svar fra NAV om bolig hele tiden", status="published", services=("nav",),
             domains=("housing",)):
    experience, _ = make_experience(app, db, story=story, service_slugs=list(services), domain_slugs=list(domains))
    experience.status, experience.published_story, experience.consent_publish = status, story, True
    from voice.clock import utcnow

    experience.decided_at = utcnow()
    db.add(experience)
    db.commit()
    return experience


def _theme(db, title="Venter på svar fra NAV om bolig", **extra):
    from voice.clock import utcnow

    data = service.ThemeInput(title=title, description="Mange familier venter lenge.", lang="nb",
                              services=["nav"], domains=["housing"], **extra)
    theme = service.save_theme(session=db, theme=None, data=data, now=utcnow())
    db.commit()
    return theme


def test_staff_make_a_theme_with_tags_and_a_translation_and_it_is_audited(app, client, staff, csrf, db):
    staff("moderator")
    page = client.get("/moderation/themes/?lang=en")
    assert page.status_code == 200 and "New theme" in page.get_data(as_text=True)
    token = csrf("/moderation/themes/")
    form = {"csrf_token": token, "title": "Waiting for NAV about housing " + XSS, "description": "Many wait.",
            "lang": "en", "status": "open", "services": ["nav"], "domains": ["housing"],
            "title_ar": "انتظار رد من ناف بشأن السكن", "description_ar": "كثيرون ينتظرون."}
    response = client.post("/moderation/themes/?lang=en", data=form)
    assert response.status_code == 302
    theme = db.exec(select(Theme)).one()
    assert theme.slug.startswith("waiting-for-nav-about-housing") and theme.status == "open"
    assert db.exec(select(ThemeText)).one().locale == "ar"
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "theme_created")).one()
    assert theme.slug in entry.detail
    # A bad status and an empty title come back next to their fields, with nothing lost.
    bad = client.post("/moderation/themes/?lang=en", data={**form, "title": "", "status": "sideways"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Write a title." in html and "Choose from the list." in html and "انتظار رد من ناف" in html
    assert "<svg onload" not in client.get(f"/moderation/themes/{theme.id}?lang=en").get_data(as_text=True)


def test_families_and_partners_cannot_reach_the_staff_theme_pages(app, client, staff, db):
    assert client.get("/moderation/themes/").status_code in (302, 401, 403)
    staff("partner")
    assert client.get("/moderation/themes/").status_code == 403


def test_the_moderation_page_suggests_themes_of_similar_stories_and_adds_in_one_step(app, client, staff, csrf, db):
    theme = _theme(db)
    other = _theme(db, title="Skolen svarer ikke")
    first = _decided(app, db)
    service.add_story(session=db, theme=theme, experience=first, now=first.decided_at)
    db.commit()
    second = _decided(app, db, story="Vi venter fortsatt på svar fra NAV om bolig")
    unrelated = _decided(app, db, story="Skolen svarte aldri", services=("school",), domains=("education",))
    assert [s.theme.id for s in service.suggestions(session=db, experience=second)] == [theme.id]
    assert service.suggestions(session=db, experience=unrelated) == []
    staff("moderator")
    page = client.get(f"/moderation/experiences/{second.public_id}?lang=en").get_data(as_text=True)
    assert "Similar stories are in these themes" in page and "Venter på svar fra NAV om bolig" in page
    token = csrf(f"/moderation/experiences/{second.public_id}")
    response = client.post(f"/moderation/themes/story/{second.public_id}/add", data={"csrf_token": token, "theme": str(theme.id)})
    assert response.status_code == 302 and response.headers["Location"].endswith("#themes")
    db.expire_all()
    assert db.get(ThemeStory, (theme.id, second.id)) is not None
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "story_added_to_theme")).one()
    assert client.post(f"/moderation/themes/story/{second.public_id}/add",
                       data={"csrf_token": token, "theme": "999999"}).status_code == 400
    client.post(f"/moderation/themes/story/{second.public_id}/remove", data={"csrf_token": token, "theme": str(theme.id)})
    db.expire_all()
    assert db.get(ThemeStory, (theme.id, second.id)) is None
    assert other.id != theme.id


def test_an_undecided_story_cannot_join_a_theme(app, client, staff, csrf, db):
    theme = _theme(db)
    waiting, _ = make_experience(app, db, story="Ny historie")
    staff("moderator")
    token = csrf(f"/moderation/experiences/{waiting.public_id}")
    page = client.get(f"/moderation/experiences/{waiting.public_id}?lang=en").get_data(as_text=True)
    assert "Decide first." in page
    response = client.post(f"/moderation/themes/story/{waiting.public_id}/add", data={"csrf_token": token, "theme": str(theme.id)})
    assert response.status_code == 409
    assert db.exec(select(ThemeStory)).all() == []


def test_the_public_page_never_shows_one_to_four_and_shows_only_published_stories(app, client, db):
    theme = _theme(db)
    stories = [_decided(app, db, story=f"Historie nummer {n} om bolig og NAV") for n in range(3)]
    hidden = _decided(app, db, story="Intern historie om bolig", status="internal")
    for experience in stories + [hidden]:
        service.add_story(session=db, theme=theme, experience=experience, now=experience.decided_at)
    db.commit()
    page = client.get(f"/themes/{theme.slug}?lang=en").get_data(as_text=True)
    assert "Fewer than 5 families told us about this." in page
    assert not re.search(r"\b4 families", page)
    assert "Historie nummer 0 om bolig og NAV" in page and "Intern historie om bolig" not in page
    for n in range(3, 5):
        service.add_story(session=db, theme=theme, experience=_decided(app, db, story=f"Mer {n}"), now=stories[0].decided_at)
    db.commit()
    assert "6 families told us about this." in client.get(f"/themes/{theme.slug}?lang=en").get_data(as_text=True)
    listing = client.get("/themes/?lang=en").get_data(as_text=True)
    assert theme.title in listing and "6 families told us about this." in listing


def test_what_changed_and_the_filter_and_the_translation(app, client, db):
    theme = _theme(db, texts={"ar": ("انتظار رد من ناف", "كثيرون ينتظرون.")})
    school = _theme(db, title="Skolen svarer ikke")
    school_data = service.ThemeInput(title=school.title, services=["school"], domains=["education"])
    service.save_theme(session=db, theme=school, data=school_data, now=school.created_at)
    experience = _decided(app, db)
    service.add_story(session=db, theme=theme, experience=experience, now=experience.decided_at)
    from voice.reference.models import Service

    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    db.add(ServiceAnswer(experience_id=experience.id, service_id=nav.id, text="Vi har ansatt flere.", change_status="made",
                         lang="nb", author_id=make_user(app, db)[0].id))
    db.commit()
    page = client.get(f"/themes/{theme.slug}?lang=en").get_data(as_text=True)
    assert "Vi har ansatt flere." in page and "Change made" in page
    filtered = client.get("/themes/?service=school&lang=en").get_data(as_text=True)
    assert "Skolen svarer ikke" in filtered and "Venter på svar fra NAV om bolig" not in filtered
    arabic = client.get(f"/themes/{theme.slug}?lang=ar").get_data(as_text=True)
    assert "انتظار رد من ناف" in arabic
    assert client.get("/themes/no-such-theme").status_code == 404
    assert client.get("/themes/?service=<svg>").status_code == 200


def test_a_session_built_on_a_theme_says_why_we_meet(app, client, staff, csrf, db):
    theme = _theme(db)
    for n in range(5):
        service.add_story(session=db, theme=theme, experience=_decided(app, db, story=f"Bolig {n}"),
                          now=theme.created_at)
    db.commit()
    staff("moderator")
    # Started from the theme: the form is filled in from it.
    page = client.get(f"/organise/new?theme={theme.id}&lang=en").get_data(as_text=True)
    assert 'value="Venter på svar fra NAV om bolig"' in page
    assert re.search(rf'name="themes" value="{theme.id}"[^>]*checked', page)
    assert re.search(r'name="services" value="nav"[^>]*checked', page)
    token = csrf("/organise/new")
    form = {"csrf_token": token, "title": "Bolig og NAV: vi finner ut av det sammen", "description": "Kom og snakk.",
            "kind": "meeting-place", "venue": "Saupstad senter", "day": "2030-03-01", "start_time": "16:00",
            "end_time": "18:00", "capacity": "10", "area": "saupstad", "text_lang": "nb", "repeat_weeks": "1",
            "languages": ["nb"], "themes": [str(theme.id)]}
    response = client.post("/organise/new?lang=en", data=form)
    assert response.status_code == 302
    from voice.cocreation.models import CoSession
    from voice.themes.models import ThemeSession

    cosession = db.exec(select(CoSession)).one()
    assert db.exec(select(ThemeSession)).one().theme_id == theme.id
    detail = client.get(f"/sessions/{cosession.public_id}?lang=en").get_data(as_text=True)
    assert "Why we meet" in detail and "5 families told us about this." in detail
    assert f'href="/themes/{theme.slug}"' in detail
    assert "Bolig og NAV: vi finner ut av det sammen" in client.get(f"/themes/{theme.slug}?lang=en").get_data(as_text=True)


def test_the_export_names_the_themes_of_each_story(app, client, post, staff, db, jobs):
    import csv
    import io

    from .test_export import run_export

    theme = _theme(db)
    experience = _decided(app, db, status="internal")
    service.add_story(session=db, theme=theme, experience=experience, now=experience.decided_at)
    db.commit()
    staff("moderator")
    rows = list(csv.reader(io.StringIO(run_export(client, post, jobs).data.decode("utf-8-sig"))))
    assert rows[0][-1] == "Themes"
    assert {row[0]: row[-1] for row in rows[1:]}[experience.public_id] == "Venter på svar fra NAV om bolig"


def test_the_sample_data_shows_themes_with_stories_and_a_session(app, client, db):
    from voice.clock import utcnow
    from voice.sample import load_sample_data
    from voice.themes.models import ThemeSession

    load_sample_data(session=db, now=utcnow(), hasher=app.extensions["voice_hasher"])
    db.commit()
    themes = db.exec(select(Theme)).all()
    assert len(themes) == 2 and all(t.title.startswith("[SAMPLE]") for t in themes)
    assert all(db.exec(select(ThemeStory).where(ThemeStory.theme_id == t.id)).first() for t in themes)
    assert len(db.exec(select(ThemeSession)).all()) == 2
    page = client.get(f"/themes/{themes[0].slug}?lang=ar").get_data(as_text=True)
    assert "[SAMPLE]" in page and "Fewer than" not in page  # Arabic, so the English sentence is not there
    from voice.themes.models import ThemeResult

    result = db.exec(select(ThemeResult)).one()  # the loop closed on the theme of the past session
    closed = db.get(Theme, result.theme_id)
    assert closed.status == "made"
    shown = client.get(f"/themes/{closed.slug}?lang=nb").get_data(as_text=True)
    assert "[SAMPLE] Etter samlingen" in shown and "[SAMPLE] Nå vet vi hvem vi skal ringe." in shown


def _session_about(app, db, theme, **fields):
    from voice.themes.models import ThemeSession

    from .factories import make_session

    cosession = make_session(app, db, title=fields.pop("title", "Bolig og NAV sammen"), **fields)
    db.add(ThemeSession(theme_id=theme.id, session_id=cosession.id))
    db.commit()
    return cosession


def test_a_family_opening_its_code_is_invited_to_a_session_about_its_theme(app, client, post, db):
    from datetime import date, timedelta

    theme = _theme(db)
    experience, code = make_experience(app, db, story="Vi venter på NAV", domain_slugs=["housing"])
    experience.status = "internal"
    db.add(experience)
    db.commit()
    service.add_story(session=db, theme=theme, experience=experience, now=theme.created_at)
    _session_about(app, db, theme)
    _session_about(app, db, theme, title="Allerede holdt", day=date.today() - timedelta(days=3))
    other = _theme(db, title="Noe annet")
    _session_about(app, db, other, title="Om noe annet")
    page = post("/experiences/mine?lang=en", {"code": code}).get_data(as_text=True)
    assert "You are invited" in page and "Bolig og NAV sammen" in page
    assert "Allerede holdt" not in page and "Om noe annet" not in page
    assert "The organisers do not see your story" in page


def test_staff_post_the_result_back_to_every_story_and_the_family_reads_it(app, client, post, staff, csrf, db):
    from voice.reference.models import Service

    theme = _theme(db)
    stories = [make_experience(app, db, story=f"Bolig {n}", domain_slugs=["housing"]) for n in range(2)]
    for experience, _code in stories:
        experience.status = "published" if _code == stories[0][1] else "internal"
        experience.published_story, experience.consent_publish = experience.story, True
        db.add(experience)
    db.commit()
    for experience, _code in stories:
        service.add_story(session=db, theme=theme, experience=experience, now=theme.created_at)
    db.commit()
    staff("moderator")
    token = csrf(f"/moderation/themes/{theme.id}")
    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    form = {"csrf_token": token, "result-service": str(nav.id), "result-text": "Alle familier får nå én fast kontaktperson " + XSS,
            "result-lang": "nb", "result-change_status": "made", "result-review_on": ""}
    bad = client.post(f"/moderation/themes/{theme.id}/result?lang=en", data=form)
    assert bad.status_code == 400 and "Enter the date, for example 2027-03-14." in bad.get_data(as_text=True)
    assert "Alle familier får nå én fast kontaktperson" in bad.get_data(as_text=True)
    response = client.post(f"/moderation/themes/{theme.id}/result?lang=en", data={**form, "result-review_on": "2027-06-01"})
    assert response.status_code == 302
    db.expire_all()
    answers = db.exec(select(ServiceAnswer)).all()
    assert len(answers) == 2 and {a.change_status for a in answers} == {"made"} and all(a.review_on for a in answers)
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "theme_result_posted")).one()
    # A change claim: nobody outside sees it until a moderator who did not post it has checked it.
    assert {a.check_status for a in answers} == {"waiting"} and db.get(Theme, theme.id).status != "made"
    assert "Alle familier" not in client.get(f"/themes/{theme.slug}?lang=en").get_data(as_text=True)
    from voice.themes.models import ThemeResult

    result = db.exec(select(ThemeResult)).one()
    check = f"/moderation/themes/{theme.id}/result/{result.id}/check"
    assert client.post(check, data={"csrf_token": csrf(f"/moderation/themes/{theme.id}")}).status_code == 409  # own result
    staff("moderator")  # another moderator
    assert client.post(check, data={"csrf_token": csrf(f"/moderation/themes/{theme.id}")}).status_code == 302
    db.expire_all()
    assert db.get(Theme, theme.id).status == "made"
    assert {a.check_status for a in db.exec(select(ServiceAnswer)).all()} == {"checked"}
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "theme_result_checked")).one()
    family = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', family.get("/experiences/mine").get_data(as_text=True)).group(1)
    page = family.post("/experiences/mine?lang=en", data={"code": stories[1][1], "csrf_token": token}).get_data(as_text=True)
    assert "Alle familier får nå én fast kontaktperson" in page and "whether the change worked" in page
    assert "<svg onload" not in page
    public = client.get(f"/themes/{theme.slug}?lang=en").get_data(as_text=True)
    assert "Alle familier får nå én fast kontaktperson" in public and "Change made" in public


def test_a_family_says_whether_the_change_helped_and_a_moderator_reads_its_words(app, client, post, staff, csrf, db):
    from voice.experiences.models import ChangeFeedback
    from voice.reference.models import Service

    theme = _theme(db)
    experience, code = make_experience(app, db, story="Vi venter på NAV", domain_slugs=["housing"])
    experience.status = "internal"
    db.add(experience)
    db.commit()
    service.add_story(session=db, theme=theme, experience=experience, now=theme.created_at)
    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    planned = ServiceAnswer(experience_id=experience.id, service_id=nav.id, text="Vi planlegger.", change_status="planned")
    made = ServiceAnswer(experience_id=experience.id, service_id=nav.id, text="Nå har dere én kontakt.", change_status="made")
    db.add_all([planned, made])
    db.commit()
    page = post("/experiences/mine?lang=en", {"code": code}).get_data(as_text=True)
    assert page.count("Did the change help?") == 1  # only under the change made
    answer = {"code": code, "answer": str(made.id), "verdict": "partly", "text": "Bedre, men fortsatt tregt " + XSS, "lang": "nb"}
    missing = post("/experiences/mine/helped?lang=en", {**answer, "verdict": ""}, token_from="/experiences/mine")
    assert missing.status_code == 400
    assert "There is a problem" in missing.get_data(as_text=True) and "Choose an answer." in missing.get_data(as_text=True)
    assert "Bedre, men fortsatt tregt" in missing.get_data(as_text=True)  # what was typed is kept
    saved = post("/experiences/mine/helped?lang=en", answer, token_from="/experiences/mine")
    assert saved.status_code == 200 and "Thank you. Your answer was saved." in saved.get_data(as_text=True)
    assert "You answered: Partly." in saved.get_data(as_text=True)
    assert re.search(r'name="verdict" value="partly" checked', saved.get_data(as_text=True))  # the answer given is ticked
    # Not about a change made, or not this family's answer: refused.
    assert post("/experiences/mine/helped", {**answer, "answer": str(planned.id)}, token_from="/experiences/mine").status_code == 400
    assert post("/experiences/mine/helped", {**answer, "code": "A" * 16}, token_from="/experiences/mine").status_code == 400
    # A second answer replaces the first; the words wait for a moderator.
    post("/experiences/mine/helped", {**answer, "verdict": "yes"}, token_from="/experiences/mine")
    db.expire_all()
    feedback = db.exec(select(ChangeFeedback)).one()
    assert (feedback.verdict, feedback.text_status) == ("yes", "new")
    assert "Bedre, men fortsatt tregt" not in client.get(f"/themes/{theme.slug}?lang=en").get_data(as_text=True)
    staff("moderator")
    queue = client.get("/moderation/?lang=en").get_data(as_text=True)
    assert "Bedre, men fortsatt tregt &lt;svg" in queue and "<svg onload" not in queue
    token = csrf("/moderation/")
    assert client.post(f"/moderation/feedback/{feedback.id}/published", data={"csrf_token": token}).status_code == 302
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "feedback_published")).one()
    public = client.get(f"/themes/{theme.slug}?lang=en").get_data(as_text=True)
    assert "What families say about the change" in public and "Bedre, men fortsatt tregt &lt;svg" in public


def test_a_family_that_asked_hears_by_email_of_a_meeting_about_its_theme_and_can_stop_it(app, client, post, staff, csrf, db):
    from voice.experiences.models import Experience, ExperienceContact
    from voice.mail.models import OutboxMessage

    from .test_experiences import FORM, valid_form

    asked = post(FORM + "?lang=en", valid_form(invite_me="y"), follow_redirects=True)
    assert asked.status_code == 400 and "Write your e-mail address above, or untick this." in asked.get_data(as_text=True)
    family = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', family.get(FORM).get_data(as_text=True)).group(1)
    sent = family.post(FORM + "?lang=ar", data={**valid_form(email="amina@example.no", invite_me="y", form_token="t" * 30),
                                                "csrf_token": token}, follow_redirects=True)
    code = "".join(re.findall(r"<span>([0-9A-Z]{4})</span>", sent.get_data(as_text=True)))
    post(FORM, valid_form(email="other@example.no", form_token="u" * 30))  # gave an address, did not ask
    db.expire_all()
    assert db.exec(select(ExperienceContact).where(ExperienceContact.email == "amina@example.no")).one().invite_me is True
    theme = _theme(db)
    for experience in db.exec(select(Experience)).all():
        experience.status = "internal"
        db.add(experience)
        db.flush()
        service.add_story(session=db, theme=theme, experience=experience, now=theme.created_at)
    db.commit()

    def publish(title):
        staff("moderator")
        token = csrf("/organise/new")
        form = {"csrf_token": token, "title": title, "description": "Kom.", "kind": "meeting-place", "venue": "Saupstad senter",
                "day": "2030-03-01", "start_time": "16:00", "end_time": "18:00", "capacity": "10", "area": "saupstad",
                "text_lang": "nb", "repeat_weeks": "1", "languages": ["nb"], "themes": [str(theme.id)]}
        assert client.post("/organise/new?lang=en", data=form).status_code == 302
        db.expire_all()
        return db.exec(select(OutboxMessage).where(OutboxMessage.subject.contains(title))).all()

    mails = publish("Bolig sammen")
    assert [m.to_address for m in mails] == ["amina@example.no"]
    assert "Venter på svar fra NAV om bolig" in mails[0].text_body and "Bolig sammen" in mails[0].text_body
    assert '<html lang="ar" dir="rtl">' in mails[0].html_body
    # Stopped from the story page with the code: the next meeting sends nothing.
    page = family.post("/experiences/mine?lang=en", data={"code": code, "csrf_token": token}).get_data(as_text=True)
    assert "Stop these e-mails" in page
    stopped = family.post("/experiences/mine/stop-invitations?lang=en", data={"code": code, "csrf_token": token})
    assert "We will not send you e-mails about meetings any more." in stopped.get_data(as_text=True)
    assert publish("Bolig igjen") == []
