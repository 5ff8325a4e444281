"""Reusable redaction rules (issue 17, item 6), on SQLite and PostgreSQL: a moderator saves a
phrase or pattern with its replacement for one story, one service or everywhere; it is applied to
new stories before moderation (the family's original kept), and on request to published ones,
with an audit entry for each story changed; bad patterns are refused next to the field."""
from __future__ import annotations

import json
import re

from sqlmodel import select

from voice.accounts.models import AuditEntry
from voice.experiences.models import Experience
from voice.moderation import redactions
from voice.moderation.models import RedactionRule

from .factories import make_experience
from .test_experiences import FORM, valid_form

RULES = "/moderation/redactions"


def _rule(post, **fields):
    return post(f"{RULES}?lang=en", {"kind": "phrase", "replacement": "[skolen]", "scope": "everywhere", **fields},
                token_from=RULES)


def test_a_rule_is_used_on_new_stories_before_anyone_reads_them(app, db, client, post, staff):
    staff("moderator")
    assert _rule(post, text="Huseby skole").status_code == 302
    rule = db.exec(select(RedactionRule)).one()
    assert (rule.kind, rule.scope, rule.replacement) == ("phrase", "everywhere", "[skolen]")
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "redaction_rule_saved")).one()

    family = app.test_client()  # a family, not logged in
    family_page = family.get(FORM)
    token = re.search(r'name="csrf_token" value="([^"]+)"', family_page.get_data(as_text=True)).group(1)
    data = valid_form(story="Sønnen vår går på huseby skole og trives.", form_token="token-" + "r" * 20)
    data["csrf_token"] = token
    response = family.post(FORM, data=data, follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    story = db.exec(select(Experience).where(Experience.story.contains("huseby"))).one()
    assert story.story == "Sønnen vår går på huseby skole og trives."  # the family's words, kept
    assert story.published_story == "Sønnen vår går på [skolen] og trives."  # the moderator's draft
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "redaction_applied")).one()
    assert json.loads(entry.detail) == {"rules": [rule.id]} and entry.target_id == story.public_id
    page = client.get(f"/moderation/experiences/{story.public_id}?lang=en").get_data(as_text=True)
    assert "Sønnen vår går på [skolen] og trives." in page


def test_a_rule_for_one_service_or_one_story_touches_nothing_else(app, db, post, staff):
    staff("moderator")
    nav_story, _ = make_experience(app, db, story="Ali ringte NAV", service_slugs=["nav"])
    school_story, _ = make_experience(app, db, story="Ali ringte skolen", service_slugs=["school"])
    from voice.reference.models import Service

    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    assert _rule(post, kind="pattern", text=r"\bAli\w*", replacement="[navn]", scope="service",
                 service=str(nav.id)).status_code == 302
    for story in (nav_story, school_story):
        redactions.apply_to_new(session=db, experience=story)
    db.commit()
    assert (nav_story.published_story, school_story.published_story) == ("[navn] ringte NAV", "")
    path = f"{RULES}?story={school_story.public_id}"
    response = post(f"{RULES}?lang=en", {"kind": "phrase", "text": "skolen", "replacement": "[…]", "scope": "story",
                                         "story": school_story.public_id}, token_from=path)
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Experience, school_story.id).published_story == "Ali ringte […]"  # applied at once to its story


def test_a_rule_is_used_on_published_stories_on_request_with_an_audit_entry_each(app, db, client, post, staff):
    staff("moderator")
    stories = []
    for text in ("Vi bor i Saupstadveien 12.", "Saupstadveien 12 er langt unna.", "Ingenting her."):
        story, _ = make_experience(app, db, story=text)
        story.status, story.published_story, story.consent_publish = "published", text, True
        db.add(story)
        stories.append(story)
    db.commit()
    assert _rule(post, text="Saupstadveien 12", replacement="[adresse]").status_code == 302
    rule = db.exec(select(RedactionRule)).one()
    response = post(f"{RULES}/{rule.id}/apply?lang=en", {}, token_from=RULES)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 published stories were changed." in page
    db.expire_all()
    assert [db.get(Experience, s.id).published_story for s in stories] == [
        "Vi bor i [adresse].", "[adresse] er langt unna.", "Ingenting her."]
    applied = db.exec(select(AuditEntry).where(AuditEntry.action == "redaction_applied")).all()
    assert sorted(e.target_id for e in applied) == sorted(s.public_id for s in stories[:2])
    assert post(f"{RULES}/{rule.id}/stop?lang=en", {}, token_from=RULES).status_code == 302
    db.expire_all()
    assert db.get(RedactionRule, rule.id).is_active is False
    assert redactions.rules_for(session=db, experience=stories[0]) == []


def test_a_bad_pattern_is_refused_next_to_the_field_and_what_was_typed_stays(app, db, client, post, staff):
    staff("moderator")
    for text, message in (("(unclosed", "This pattern is not a valid regular expression."),
                          ("a*", "This pattern matches an empty text, so it would change every story.")):
        response = _rule(post, kind="pattern", text=text)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert message in html and f'value="{text}"' in html
    response = _rule(post, kind="phrase", text="Huseby", scope="service", service="")
    assert response.status_code == 400 and "Choose the service." in response.get_data(as_text=True)
    assert db.exec(select(RedactionRule)).all() == []
    response = _rule(post, text="<svg onload=alert(1)>", replacement="<b>x</b>")
    assert response.status_code == 302
    page = client.get(RULES).get_data(as_text=True)
    assert "<svg onload" not in page and "&lt;svg onload=alert(1)&gt;" in page and "&lt;b&gt;x&lt;/b&gt;" in page
