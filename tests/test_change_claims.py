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
