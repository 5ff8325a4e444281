"""Those who answer for a service (issue 19: the role "answers for a service"), on SQLite and
PostgreSQL: the admin invites one for a service; they read only the published stories that name
it, answer in its name only, and their answers wait for a moderator's check like anyone's."""
from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from voice.accounts import oidc
from voice.accounts.models import AuditEntry, Invitation, User
from voice.clock import utcnow
from voice.experiences.models import ServiceAnswer
from voice.moderation import service as moderation
from voice.reference.models import Service

from .conftest import CSRF_RE
from .factories import make_experience, make_user

SVG = "<svg onload=alert(1)>"


def service(db, slug):
    return db.exec(select(Service).where(Service.slug == slug)).one()


def story(app, db, *, status="published", slugs=("nav",), text="Saksbehandleren ringte tilbake."):
    experience, _ = make_experience(app, db, consent_publish=True, service_slugs=list(slugs), story=text)
    experience.status, experience.published_story, experience.decided_at = status, text, utcnow()
    db.add(experience)
    db.commit()
    return experience


@pytest.fixture
def responder(app, db, login):
    user, secret = make_user(app, db, role="responder", service_id=service(db, "nav").id)
    assert login(user, secret).headers["Location"].endswith("/answers/")
    return user


def test_the_admin_invites_someone_to_answer_for_one_service(app, client, post, staff, db):
    staff("admin")
    page = client.get("/admin/accounts?lang=en").get_data(as_text=True)
    assert "Answers for a service" in page and "Service they answer for" in page
    typed = {"email": "svar@nav.no", "display_name": "Nina Nav", "role": "responder", "service": ""}
    missing = post("/admin/accounts/invite?lang=en", typed, token_from="/admin/accounts")
    text = unescape(missing.get_data(as_text=True))
    assert missing.status_code == 400 and "Choose the service this person answers for." in text
    assert 'value="svar@nav.no"' in text and 'value="Nina Nav"' in text  # nothing typed is lost
    made = post("/admin/accounts/invite?lang=en", typed | {"service": "nav"}, token_from="/admin/accounts")
    assert made.status_code == 200
    invitation = db.exec(select(Invitation).where(Invitation.email == "svar@nav.no")).one()
    assert (invitation.role, invitation.service_id) == ("responder", service(db, "nav").id)
    path = made.get_data(as_text=True).split('class="code-block" translate="no" dir="ltr">')[1].split("<")[0]
    fresh = app.test_client()
    fresh.get(path.replace("http://localhost", ""))
    token = CSRF_RE.search(fresh.get("/staff/invitation").get_data(as_text=True)).group(1)
    fresh.post("/staff/invitation", data={"csrf_token": token, "display_name": "Nina Nav",
                                          "password": "kaffe og boller hver dag", "confirm": "kaffe og boller hver dag"})
    nina = db.exec(select(User).where(User.email == "svar@nav.no")).one()
    assert (nina.role, nina.service_id, nina.may_moderate, nina.may_organise) == ("responder", service(db, "nav").id, False, False)
    listed = client.get("/admin/accounts?lang=en").get_data(as_text=True)
    assert "Answers for a service: NAV (labour and welfare)" in listed


def test_the_database_refuses_a_responder_without_a_service(app, db):
    db.add(User(email="x@nav.no", display_name="X", role="responder"))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_a_responder_reads_only_the_published_stories_of_their_service(app, db, client, responder):
    shown = story(app, db, text="Nav hjalp oss med bostøtte.")
    school_story = story(app, db, slugs=("school",), text="Skolen ringte aldri.")
    waiting = story(app, db, status="new", text="Ny historie om Nav med navn.")
    internal = story(app, db, status="internal", text="Intern historie om Nav.")
    page = client.get("/answers/?lang=en").get_data(as_text=True)
    assert f"/answers/{shown.public_id}" in page and "Answer by" in page
    assert f"/answers/{waiting.public_id}" not in page and f"/answers/{internal.public_id}" not in page
    one = client.get(f"/answers/{shown.public_id}?lang=en").get_data(as_text=True)
    assert "Nav hjalp oss med bostøtte." in one and "Write an answer" in one
    for hidden in (waiting, internal, school_story):
        assert client.get(f"/answers/{hidden.public_id}").status_code == 404
    for staff_only in ("/moderation/", f"/moderation/experiences/{shown.public_id}", "/moderation/export", "/admin/accounts",
                       "/organise/"):
        assert client.get(staff_only).status_code == 403, staff_only
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "access_denied")).all()


def test_a_responders_answer_waits_for_a_moderators_check(app, db, client, post, responder, staff):
    published = story(app, db)
    empty = post(f"/answers/{published.public_id}?lang=en", {"text": " ", "lang": "nb", "change_status": "none"})
    assert empty.status_code == 400 and "Write the answer." in unescape(empty.get_data(as_text=True))
    sent = post(f"/answers/{published.public_id}", {"text": f"Takk. Vi ringer deg. {SVG}", "lang": "nb", "change_status": "none"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/answers/{published.public_id}#answers")
    stored = db.exec(select(ServiceAnswer).where(ServiceAnswer.experience_id == published.id)).one()
    assert (stored.service_id, stored.author_id, stored.check_status) == (responder.service_id, responder.id, "waiting")
    mine = client.get(f"/answers/{published.public_id}?lang=en").get_data(as_text=True)
    assert "A moderator checks this answer" in mine and SVG not in mine and "&lt;svg onload=alert(1)&gt;" in mine
    assert "Answered" in client.get("/answers/?lang=en").get_data(as_text=True)
    public = app.test_client()
    assert "Vi ringer deg" not in public.get("/stories/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": CSRF_RE.search(mine).group(1)})
    staff("moderator")
    assert post(f"/moderation/answers/{stored.id}/approve", {}, token_from="/moderation/").status_code == 302
    assert "Vi ringer deg" in public.get("/stories/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_a_responder_answers_only_in_the_name_of_their_service(app, db):
    writer, _ = make_user(app, db, role="responder", service_id=service(db, "nav").id)
    both = story(app, db, slugs=("nav", "school"))
    with pytest.raises(moderation.DecisionError, match="not_their_service"):
        moderation.answer(session=db, experience=both, moderator=writer, service_id=service(db, "school").id,
                          text="Svar.", change_status="none", lang="nb")
    mine = moderation.answer(session=db, experience=both, moderator=writer, service_id=service(db, "nav").id,
                             text="Svar.", change_status="none", lang="nb", trust_after=3)
    assert mine.check_status == "waiting"


def test_the_login_services_groups_can_give_the_role_for_one_service(app, db):
    settings = oidc.Settings(issuer="https://login.example", role_map=oidc.parse_role_map('{"nav-svar": "responder:nav"}'))
    claims = {"sub": "n1", "email": "nina@trondheim.kommune.no", "groups": ["nav-svar"]}
    nina, created = oidc.sign_in(session=db, claims=claims, settings=settings, now=utcnow())
    assert created and (nina.role, nina.service_id) == ("responder", service(db, "nav").id)
    stronger = oidc.sign_in(session=db, claims=claims | {"groups": ["nav-svar", "mods"]},
                            settings=oidc.Settings(issuer="https://login.example",
                                                   role_map={"nav-svar": "responder:nav", "mods": "moderator"}),
                            now=utcnow())[0]
    assert (stronger.role, stronger.service_id) == ("moderator", None)
    for wrong in ('{"g": "responder"}', '{"g": "moderator:nav"}', '{"g": "janitor"}'):
        with pytest.raises(ValueError):
            oidc.parse_role_map(wrong)
    gone = oidc.Settings(issuer="https://login.example", role_map={"nav-svar": "responder:no-such-service"})
    with pytest.raises(oidc.SignInRefused):
        oidc.sign_in(session=db, claims=claims, settings=gone, now=utcnow())
    db.rollback()
