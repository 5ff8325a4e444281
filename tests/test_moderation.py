"""Moderation: queue, redaction, decisions, answers, public stories, reports, digest."""
from __future__ import annotations

from sqlmodel import select

from voice.accounts.models import AuditEntry
from voice.experiences.models import Experience, ServiceAnswer
from voice.mail.models import OutboxMessage

from .conftest import CSRF_RE
from .factories import make_experience, make_user

XSS = '<svg onload=alert(1)>"><script>alert(2)</script>'


def story_page(client, experience):
    return client.get(f"/moderation/experiences/{experience.public_id}?lang=en")


def decide(post, experience, **fields):
    data = {"services": ["nav"], "decision": "published", "published_story": "Redacted story.", **fields}
    return post(f"/moderation/experiences/{experience.public_id}/decide?lang=en", data, token_from="/moderation/")


def test_the_queue_lists_new_stories_most_serious_first(app, client, staff, db):
    staff("admin")
    plain, _ = make_experience(app, db, story="Plain story")
    flagged, _ = make_experience(app, db, story="Call me on 912 34 567")
    concern, _ = make_experience(app, db, story="Worrying story")
    concern.serious_concern = True
    db.add(concern)
    db.commit()
    page = client.get("/moderation/?lang=en").get_data(as_text=True)
    positions = [page.index(e.public_id) for e in (concern, flagged, plain)]
    assert positions == sorted(positions)
    assert "Personal details found" in page and "Serious concern" in page
    assert '<span class="badge">3</span>' in page


def test_found_personal_details_are_highlighted_for_the_moderator(app, client, staff, db):
    staff("moderator")
    experience, _ = make_experience(app, db, story="My fnr is 02013299997.")
    page = story_page(client, experience).get_data(as_text=True)
    assert "<mark>02013299997</mark>" in page


def test_publishing_a_redacted_version(app, client, post, staff, db):
    staff("moderator")
    experience, code = make_experience(app, db, story="Ola at Kattem school helped us.", consent_publish=True)
    response = decide(post, experience, published_story="A teacher helped us.", domains=["basic-skills"], area="kattem")
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(Experience, experience.id)
    assert stored.status == "published" and stored.published_story == "A teacher helped us."
    assert stored.story == "Ola at Kattem school helped us."  # the original, for moderators only
    public = client.get("/stories/?lang=en").get_data(as_text=True)
    assert "A teacher helped us." in public and "Ola at Kattem" not in public
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "story_published")).one()
    assert entry.target_id == experience.public_id and "Ola" not in entry.detail


def test_publishing_needs_the_familys_consent(app, client, post, staff, db):
    staff("moderator")
    experience, _ = make_experience(app, db, consent_publish=False)
    response = decide(post, experience)
    assert response.status_code == 400
    assert "The family did not allow publishing" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Experience, experience.id).status == "new"


def test_rejecting_needs_a_reason_and_keeps_the_story_off_the_public_pages(app, client, post, staff, db):
    staff("moderator")
    experience, _ = make_experience(app, db, consent_publish=True, story="Spam spam")
    assert "Write why the story is rejected." in decide(post, experience, decision="rejected").get_data(as_text=True)
    assert decide(post, experience, decision="rejected", reject_reason="Spam").status_code == 302
    assert experience.public_id not in client.get("/stories/").get_data(as_text=True)
    assert client.get(f"/stories/{experience.public_id}/report").status_code == 404


def test_internal_and_new_stories_are_never_public(app, client, post, staff, db):
    staff("moderator")
    internal, _ = make_experience(app, db, consent_publish=True, story="Internal one")
    waiting, _ = make_experience(app, db, consent_publish=True, story="Waiting one")
    decide(post, internal, decision="internal", published_story="Internal one")
    public = client.get("/stories/").get_data(as_text=True)
    for e in (internal, waiting):
        assert e.public_id not in public
        assert client.get(f"/stories/{e.public_id}/report").status_code == 404


def test_a_serious_concern_is_shown_only_to_those_allowed(app, client, post, staff, db, login):
    staff("moderator", handles_concerns=True)
    experience, _ = make_experience(app, db, consent_publish=True)
    response = decide(post, experience, decision="internal", serious_concern="y")
    assert response.status_code == 302
    assert story_page(client, experience).status_code == 200

    other, secret = make_user(app, db, role="moderator")
    second = app.test_client()
    import pyotp

    from .conftest import CSRF_RE

    token = CSRF_RE.search(second.get("/staff/login").get_data(as_text=True)).group(1)
    second.post("/staff/login", data={"csrf_token": token, "email": other.email, "password": "lilla elg spiser multer"})
    token = CSRF_RE.search(second.get("/staff/login/code").get_data(as_text=True)).group(1)
    second.post("/staff/login/code", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert second.get(f"/moderation/experiences/{experience.public_id}").status_code == 404
    assert experience.public_id not in second.get("/moderation/").get_data(as_text=True)


def test_a_serious_concern_can_never_be_published(app, post, staff, db):
    staff("admin")
    experience, _ = make_experience(app, db, consent_publish=True)
    response = decide(post, experience, serious_concern="y")
    assert response.status_code == 400


def test_the_service_answers_and_the_family_reads_it_with_its_code(app, client, post, staff, db):
    staff("moderator")
    experience, code = make_experience(app, db, consent_publish=True, service_slugs=["nav", "school"])
    decide(post, experience, services=["nav", "school"])
    from voice.reference.models import Service

    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    response = post(f"/moderation/experiences/{experience.public_id}/answer?lang=en",
                    {"service": str(nav.id), "text": "We have changed our routine.", "lang": "en", "change_status": "made"},
                    token_from="/moderation/")
    assert response.status_code == 302
    answer = db.exec(select(ServiceAnswer)).one()
    assert answer.change_status == "made" and answer.check_status == "waiting"

    family = app.test_client()
    from .conftest import CSRF_RE

    def family_page():
        token = CSRF_RE.search(family.get("/experiences/mine").get_data(as_text=True)).group(1)
        return family.post("/experiences/mine?lang=en", data={"csrf_token": token, "code": code}).get_data(as_text=True)

    # The change claim waits for a moderator who did not write it: the family sees that it is checked.
    page = family_page()
    assert "A moderator is checking the answer" in page and "We have changed our routine." not in page
    assert "We have changed our routine." not in client.get("/stories/?lang=en").get_data(as_text=True)
    check = f"/moderation/answers/{answer.id}/approve"
    assert post(check, {}, token_from="/moderation/").status_code == 409  # the writer cannot check it
    staff("moderator")  # another moderator
    assert "We have changed our routine." in client.get("/moderation/?lang=en").get_data(as_text=True)
    assert post(check, {}, token_from="/moderation/").status_code == 302
    page = family_page()
    assert "We have changed our routine." in page and "Change made" in page
    public = client.get("/stories/?lang=en").get_data(as_text=True)
    assert "We have changed our routine." in public


def test_an_answer_only_in_the_name_of_a_service_concerned(app, post, staff, db):
    staff("moderator")
    experience, _ = make_experience(app, db, service_slugs=["nav"])
    from voice.reference.models import Service

    school = db.exec(select(Service).where(Service.slug == "school")).one()
    response = post(f"/moderation/experiences/{experience.public_id}/answer", {"service": str(school.id), "text": "x", "lang": "en", "change_status": "none"}, token_from="/moderation/")
    assert response.status_code == 400
    assert db.exec(select(ServiceAnswer)).all() == []


def test_public_stories_filter_and_paginate(app, client, post, staff, db):
    staff("moderator")
    for n in range(23):
        e, _ = make_experience(app, db, consent_publish=True, service_slugs=["nav"] if n % 2 else ["school"], story=f"Story number {n}")
        decide(post, e, services=["nav"] if n % 2 else ["school"], published_story=f"Published number {n}.")
    first = client.get("/stories/?lang=en").get_data(as_text=True)
    assert first.count('class="story"') == 20 and "Next page" in first
    second = client.get("/stories/?page=2&lang=en").get_data(as_text=True)
    assert second.count('class="story"') == 3
    nav_only = client.get("/stories/?service=nav&lang=en").get_data(as_text=True)
    assert nav_only.count('class="story"') == 11
    assert client.get("/stories/?service=<svg>").status_code == 200  # an unknown filter shows all
    assert client.get("/stories/?page=-3").status_code == 400  # a page number that cannot be


def test_enough_reports_hide_a_story_until_a_moderator_looks_again(app, client, post, staff, db):
    staff("moderator")
    experience, _ = make_experience(app, db, consent_publish=True)
    decide(post, experience, published_story="Visible story")
    url = f"/stories/{experience.public_id}/report?lang=en"
    for n in range(3):  # three different people: three browsers on three addresses
        reader = app.test_client()
        reader.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        token = CSRF_RE.search(reader.get(url).get_data(as_text=True)).group(1)
        response = reader.post(url, data={"csrf_token": token, "reason": "identifies", "comment": XSS})
        assert "Thank you for telling us" in response.get_data(as_text=True)
    assert "Visible story" not in client.get("/stories/").get_data(as_text=True)
    queue = client.get("/moderation/?lang=en").get_data(as_text=True)
    assert experience.public_id in queue and "Reported 3 times" in queue
    page = story_page(client, experience).get_data(as_text=True)
    assert "&lt;svg onload=alert(1)&gt;" in page and "<svg onload" not in page
    decide(post, experience, published_story="Visible story")
    assert "Visible story" in client.get("/stories/").get_data(as_text=True)


def test_hostile_input_is_escaped_on_staff_and_public_pages(app, client, post, staff, db):
    staff("moderator")
    experience, code = make_experience(app, db, consent_publish=True, story=XSS)
    page = story_page(client, experience).get_data(as_text=True)
    assert "<svg onload" not in page and "<script>alert" not in page
    decide(post, experience, published_story=XSS, translation=XSS, translation_lang="en")
    public = client.get("/stories/").get_data(as_text=True)
    assert "<svg onload" not in public and "&lt;svg onload=alert(1)&gt;" in public


def test_the_digest_counts_waiting_stories_without_their_text(app, db):
    user, _ = make_user(app, db, role="moderator", wants_digest=True)
    make_user(app, db, role="moderator", wants_digest=False)
    make_experience(app, db, story="A secret story text")
    result = app.test_cli_runner().invoke(args=["voice", "digest"])
    assert "Digest queued for 1" in result.output
    message = db.exec(select(OutboxMessage)).one()
    assert message.to_address == user.email
    assert "1 story is waiting to be read." in message.text_body or "1 historie" in message.text_body
    assert "A secret story text" not in message.text_body + message.html_body


def test_originals_are_deleted_after_the_retention_period(app, db):
    from datetime import timedelta

    from voice.clock import utcnow
    from voice.moderation.service import purge_originals

    experience, _ = make_experience(app, db, story="Original words")
    experience.status, experience.published_story = "internal", "Moderated words"
    experience.decided_at = utcnow() - timedelta(days=91)
    db.add(experience)
    db.commit()
    assert purge_originals(session=db, now=utcnow(), retention_days=90) == 1
    db.commit()
    db.expire_all()
    stored = db.get(Experience, experience.id)
    assert stored.story == "" and stored.published_story == "Moderated words" and stored.original_deleted_at


def test_a_moderator_chooses_the_daily_digest(app, client, post, staff, db):
    from voice.accounts.models import User

    user = staff("moderator")
    assert post("/staff/digest", {"wants_digest": "y"}, token_from="/staff/").status_code == 302
    db.expire_all()
    assert db.get(User, user.id).wants_digest is True
    post("/staff/digest", {}, token_from="/staff/")
    db.expire_all()
    assert db.get(User, user.id).wants_digest is False
