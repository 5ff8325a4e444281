"""A change claim is checked (issue 17, item 3), on SQLite and PostgreSQL: an answer marked change
planned or made waits for a moderator who did not write it before it shows or counts; a plain
answer shows at once; a claim that cannot be confirmed is shown without its mark."""
from __future__ import annotations

import pytest
from sqlmodel import select

from voice.accounts.models import AuditEntry
from voice.clock import utcnow
from voice.experiences.models import ServiceAnswer
from voice.figures import rollup
from voice.moderation import service as moderation
from voice.reference.models import Service

from .factories import make_experience, make_user


def _published(app, db):
    experience, code = make_experience(app, db, consent_publish=True, service_slugs=["nav"])
    experience.status, experience.published_story, experience.decided_at = "published", experience.story, utcnow()
    db.add(experience)
    db.commit()
    return experience, db.exec(select(Service).where(Service.slug == "nav")).one()


def test_a_plain_answer_shows_at_once_and_a_claim_waits(app, db, client):
    writer, _ = make_user(app, db)
    experience, nav = _published(app, db)
    plain = moderation.answer(session=db, experience=experience, moderator=writer, service_id=nav.id,
                              text="Takk for at dere fortalte.", change_status="none", lang="nb")
    claim = moderation.answer(session=db, experience=experience, moderator=writer, service_id=nav.id,
                              text="Nå får alle én kontaktperson.", change_status="made", lang="nb")
    db.commit()
    assert (plain.check_status, claim.check_status) == ("checked", "waiting")
    page = client.get("/stories/?lang=en").get_data(as_text=True)
    assert "Takk for at dere fortalte." in page and "Nå får alle én kontaktperson." not in page
    assert rollup.differences(db) == []
    with pytest.raises(moderation.DecisionError, match="own_answer"):
        moderation.check_answer(session=db, answer=claim, moderator=writer, decision="approve", now=utcnow())


@pytest.mark.parametrize("decision,change", [("approve", "made"), ("without_mark", "none")])
def test_another_moderator_checks_the_claim(app, db, client, post, staff, decision, change):
    writer, _ = make_user(app, db)
    experience, nav = _published(app, db)
    claim = moderation.answer(session=db, experience=experience, moderator=writer, service_id=nav.id,
                              text="Nå får alle én kontaktperson.", change_status="made", lang="nb")
    db.commit()
    checker = staff("moderator")
    queue = client.get("/moderation/?lang=en").get_data(as_text=True)
    assert "Changes to check" in queue and "Nå får alle én kontaktperson." in queue
    assert post(f"/moderation/answers/{claim.id}/{decision}", {}, token_from="/moderation/").status_code == 302
    db.expire_all()
    checked = db.get(ServiceAnswer, claim.id)
    assert (checked.check_status, checked.change_status, checked.checked_by_id) == ("checked", change, checker.id)
    assert db.exec(select(AuditEntry).where(AuditEntry.action == f"answer_checked_{decision}")).one()
    page = client.get("/stories/?lang=en").get_data(as_text=True)
    assert "Nå får alle én kontaktperson." in page and (("Change made" in page) is (change == "made"))
    assert rollup.differences(db) == []
    assert post(f"/moderation/answers/{claim.id}/approve", {}, token_from="/moderation/").status_code == 409  # once


def _answer_by_form(post, experience, nav, text, change="none"):
    return post(f"/moderation/experiences/{experience.public_id}/answer?lang=en",
                {"service": str(nav.id), "text": text, "lang": "nb", "change_status": change}, token_from="/moderation/")


def test_a_new_accounts_plain_answer_waits_until_another_moderator_shows_it(app, db, client, post, staff):
    assert app.config["ANSWER_TRUST_AFTER"] == 3
    experience, nav = _published(app, db)
    staff("moderator")  # a new account: no answers checked yet
    assert _answer_by_form(post, experience, nav, "Takk, vi ringer dere.").status_code == 302
    answer = db.exec(select(ServiceAnswer)).one()
    assert answer.check_status == "waiting"
    assert "Takk, vi ringer dere." not in client.get("/stories/?lang=en").get_data(as_text=True)
    staff("moderator")  # another moderator
    queue = client.get("/moderation/?lang=en").get_data(as_text=True)
    assert "Answer from an account with few answers checked yet" in queue and "The answer is fine: show it" in queue
    assert post(f"/moderation/answers/{answer.id}/approve", {}, token_from="/moderation/").status_code == 302
    assert "Takk, vi ringer dere." in client.get("/stories/?lang=en").get_data(as_text=True)


def test_a_record_of_good_answers_lets_plain_answers_show_at_once_never_claims(app, db):
    writer, _ = make_user(app, db)
    checker, _ = make_user(app, db)
    experience, nav = _published(app, db)

    def write(change="none"):
        reply = moderation.answer(session=db, experience=experience, moderator=writer, service_id=nav.id,
                                  text="Svar.", change_status=change, lang="nb", trust_after=3)
        db.commit()
        return reply

    for n in range(3):
        assert write().check_status == "waiting", n
        moderation.check_answer(session=db, answer=db.exec(select(ServiceAnswer).where(
            ServiceAnswer.check_status == "waiting")).one(), moderator=checker, decision="approve", now=utcnow())
        db.commit()
    assert moderation.trusted(session=db, author=writer, after=3)
    assert write().check_status == "checked"  # plain: shown at once
    claim = write("made")
    assert claim.check_status == "waiting"  # a claim: always checked
    moderation.check_answer(session=db, answer=claim, moderator=checker, decision="without_mark", now=utcnow())
    db.commit()
    assert not moderation.trusted(session=db, author=writer, after=3)  # a claim not confirmed counts one less
    assert write().check_status == "waiting"
    assert moderation.trusted(session=db, author=writer, after=0)  # ANSWER_TRUST_AFTER=0 trusts everyone
