"""The monthly tally the figures are read from stays equal to the experiences:
through every moderation step, under concurrent decisions, and from the commands."""
from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timezone

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update
from sqlmodel import Session, select

from voice.accounts.models import User
from voice.clock import utcnow
from voice.experiences import service as experiences
from voice.experiences.models import Experience, ExperienceDomain, ExperienceService, ServiceAnswer
from voice.figures import rollup, service
from voice.figures.models import ExperienceTally
from voice.figures.service import Filters, Period
from voice.moderation import service as moderation
from voice.reference.models import Area, LifeDomain, Service

from .conftest import PG_ADMIN_URL, test_config
from .factories import make_experience, make_user

UTC = timezone.utc


def ids(db, model) -> dict[str, int]:
    return {row.slug: row.id for row in db.exec(select(model))}


def this_month() -> list[Period]:
    return [Period.containing("month", datetime.now(UTC))]


def by(db, dimension: str, **filters) -> dict:
    """Experiences per group this month, from the tally."""
    tallies = service.tallies(session=db, periods=this_month(), by=dimension, filters=Filters(**filters))
    return {key: tally for (_index, key), tally in tallies.items()}


def total(db):
    return sum(by(db, "area").values(), service.Tally())


def test_every_moderation_step_keeps_the_tally_exact(app, db):
    moderator, _ = make_user(app, db)
    services, areas, domains = ids(db, Service), ids(db, Area), ids(db, LifeDomain)
    first, _ = make_experience(app, db, service_slugs=["nav", "school"], area_slug="kattem", domain_slugs=["housing"],
                               usefulness=5, listened="yes", services_explained=2, consent_publish=True)
    second, _ = make_experience(app, db, usefulness=2, listened="no", consent_publish=True)
    # New stories are not counted, and storing them writes nothing to the tally.
    assert db.exec(select(ExperienceTally)).all() == []

    moderation.decide(session=db, now=utcnow(), experience=first, moderator=moderator, decision="published", published_story="A.")
    db.commit()
    assert rollup.differences(db) == []
    summary = total(db)
    assert (summary.experiences, summary.useful, summary.listened, summary.explained[2], summary.published) == (1, 1, 1, 1, 1)
    assert set(by(db, "service")) == {services["nav"], services["school"]}
    assert set(by(db, "area")) == {areas["kattem"]}
    assert set(by(db, "area", service_id=services["school"], domain_id=domains["housing"])) == {areas["kattem"]}

    moderation.set_tags(session=db, experience=first, service_slugs=["child-welfare"], area_slug="saupstad",
                        domain_slugs=["economy", "health"])
    db.commit()
    assert rollup.differences(db) == []
    assert set(by(db, "service")) == {services["child-welfare"]}
    assert set(by(db, "area")) == {areas["saupstad"]}
    assert set(by(db, "domain", service_id=services["child-welfare"])) == {domains["economy"], domains["health"]}

    claim = moderation.answer(session=db, experience=first, moderator=moderator, service_id=services["child-welfare"],
                              text="Thank you.", change_status="made", lang="en")
    db.commit()
    assert total(db).answers == 0 and rollup.differences(db) == []  # a change claim counts once it is checked
    checker, _ = make_user(app, db)
    moderation.check_answer(session=db, answer=claim, moderator=checker, decision="approve", now=utcnow())
    moderation.decide(session=db, now=utcnow(), experience=second, moderator=moderator, decision="internal", published_story="")
    db.commit()
    assert rollup.differences(db) == []
    summary = total(db)
    assert (summary.experiences, summary.published, summary.answered, summary.answers, summary.changes) == (2, 1, 1, 1, 1)
    assert by(db, "area")[None].experiences == 1  # the second story gave no area
    assert by(db, "service")[services["child-welfare"]].answered == 1
    assert by(db, "service")[services["nav"]].answered == 0

    # Decided again: rejected stories stop counting, and so do their answers.
    moderation.decide(session=db, now=utcnow(), experience=first, moderator=moderator, decision="rejected", published_story="",
                      reject_reason="Not about a service.")
    db.commit()
    assert rollup.differences(db) == []
    assert (total(db).experiences, total(db).answers) == (1, 0)

    experiences.delete_experience(session=db, experience=second)  # the family deletes with its receipt code
    db.commit()
    assert rollup.differences(db) == []
    assert total(db).experiences == 0


def test_changes_made_together_touch_the_tally_once(app, db):
    moderator, _ = make_user(app, db)
    story, _ = make_experience(app, db, service_slugs=["nav"], area_slug="kattem", usefulness=5)
    moderation.decide(session=db, now=utcnow(), experience=story, moderator=moderator, decision="internal", published_story="")
    db.commit()
    # As the moderation view sends them: new tags and a decision at once.
    moderation.tag_and_decide(session=db, now=utcnow(), experience=story, moderator=moderator, service_slugs=["school"],
                              area_slug="saupstad", domain_slugs=[], decision="internal", published_story="")
    db.commit()
    assert rollup.differences(db) == []
    assert total(db).experiences == 1
    assert set(by(db, "service")) == {ids(db, Service)["school"]}


def test_a_moderator_deciding_in_the_browser_changes_the_figures(app, client, db, login, post):
    """Decisions made through the web forms reach the tally at once, and the figures of
    their quarter when it is published (and never after: published quarters are frozen)."""
    user, secret = make_user(app, db)
    login(user, secret)
    stories = [make_experience(app, db, usefulness=4, consent_publish=True)[0] for _ in range(5)]
    for story in stories:
        story.created_at = datetime(2025, 2, 10, tzinfo=UTC)  # told in a quarter not yet published
        db.add(story)
    db.commit()
    for story in stories:
        response = post(f"/moderation/experiences/{story.public_id}/decide?lang=en",
                        {"services": ["nav"], "decision": "published", "published_story": "Redacted."},
                        token_from="/moderation/")
        assert response.status_code == 302
    assert rollup.differences(db) == []
    assert by_quarter(db, "area", Period("quarter", 2025, 1))[None].experiences == 5
    records = client.get("/figures/download.json?period_type=quarter&period=2025-Q1&lang=en").get_json()["records"]
    record = next(r for r in records if (r["table"], r["group"], r["measure"]) == ("summary", "all", "experiences"))
    assert (record["value"], record["status"]) == (5, "")


def by_quarter(db, dimension: str, quarter: Period) -> dict:
    tallies = service.tallies(session=db, periods=[quarter], by=dimension, filters=Filters())
    return {key: tally for (_index, key), tally in tallies.items()}


# --------------------------------------------------------------------------
# Any sequence of steps: the tally equals a count from scratch
# --------------------------------------------------------------------------

SERVICES = ["nav", "school", "child-welfare"]
AREAS = [None, "kattem", "saupstad"]
DOMAINS = ["housing", "economy"]
step = st.one_of(
    st.tuples(st.just("decide"), st.integers(0, 3), st.sampled_from(["published", "internal", "rejected"])),
    st.tuples(st.just("tags"), st.integers(0, 3), st.tuples(
        st.sets(st.sampled_from(SERVICES), min_size=1), st.sampled_from(AREAS), st.sets(st.sampled_from(DOMAINS)))),
    st.tuples(st.just("answer"), st.integers(0, 3), st.tuples(st.sampled_from(SERVICES), st.sampled_from(["none", "planned", "made"]))),
    st.tuples(st.just("delete"), st.integers(0, 3), st.none()),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_any_sequence_of_steps_leaves_the_tally_equal_to_a_fresh_count(app, db, steps):
    for table in (ServiceAnswer, ExperienceDomain, ExperienceService, Experience, ExperienceTally):
        db.connection().execute(delete(table))  # the whole slate, tally included (no tracking wanted)
    db.commit()
    db.expunge_all()
    moderator = db.exec(select(User).where(User.role == "moderator")).first() or make_user(app, db)[0]
    stories = []
    for n in range(4):
        story, _ = make_experience(app, db, service_slugs=[SERVICES[n % 3]], usefulness=1 + n, listened="yes",
                                   services_explained=n, consent_publish=n % 2 == 0)
        stories.append(story)
    for action, n, argument in steps:
        story = stories[n]
        if db.get(Experience, story.id) is None:
            continue  # deleted earlier
        if action == "decide" and not (argument == "published" and not story.consent_publish):
            moderation.decide(session=db, now=utcnow(), experience=story, moderator=moderator, decision=argument,
                              published_story="Redacted.", reject_reason="Reason.")
        elif action == "tags":
            services, area, domains = argument
            moderation.set_tags(session=db, experience=story, service_slugs=sorted(services), area_slug=area,
                                domain_slugs=sorted(domains))
        elif action == "answer":
            service_slug, change = argument
            linked = {s.service_id for s in db.exec(select(ExperienceService).where(ExperienceService.experience_id == story.id))}
            if ids(db, Service)[service_slug] in linked:
                moderation.answer(session=db, experience=story, moderator=moderator, service_id=ids(db, Service)[service_slug],
                                  text="Svar.", change_status=change, lang="nb")
        elif action == "delete":
            experiences.delete_experience(session=db, experience=story)
        db.commit()
    assert rollup.differences(db) == []


# --------------------------------------------------------------------------
# Concurrent decisions
# --------------------------------------------------------------------------


def test_concurrent_decisions_lose_nothing(app, db):
    """Eight moderators at once, two on each story (one decides, one re-tags): the
    tally ends equal to a fresh count, on SQLite (one writer at a time) and on
    PostgreSQL (row locks; new tally rows inserted by several at once)."""
    moderator, _ = make_user(app, db)
    stories = [make_experience(app, db, service_slugs=["nav"], area_slug="kattem", usefulness=4)[0] for _ in range(4)]
    engine = app.extensions["voice_engine"]
    barrier = threading.Barrier(8)
    errors = []

    def work(n: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                story = session.get(Experience, stories[n // 2].id)
                user = session.get(User, moderator.id)
                barrier.wait()
                if n % 2:
                    moderation.set_tags(session=session, experience=story, service_slugs=["nav", "school"],
                                        area_slug="saupstad", domain_slugs=["housing"])
                else:
                    moderation.decide(session=session, now=utcnow(), experience=story, moderator=user, decision="internal", published_story="")
                session.commit()
        except Exception as error:  # reported below, with the thread's number
            errors.append((n, repr(error)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.expire_all()
    assert rollup.differences(db) == []
    assert total(db).experiences == 4
    assert by(db, "service")[ids(db, Service)["school"]].experiences == 4


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


def test_figures_command_checks_and_rebuilds(app, db):
    moderator, _ = make_user(app, db)
    story, _ = make_experience(app, db, usefulness=5)
    moderation.decide(session=db, now=utcnow(), experience=story, moderator=moderator, decision="internal", published_story="")
    db.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["voice", "figures"])
    assert result.exit_code == 0 and "matches" in result.output

    db.execute(update(ExperienceTally).values(experiences=ExperienceTally.experiences + 1))  # damaged by hand
    db.commit()
    result = runner.invoke(args=["voice", "figures"])
    assert result.exit_code == 1
    assert "does not match" in result.output and "'experiences': 2" in result.output

    result = runner.invoke(args=["voice", "figures", "--rebuild"])
    assert result.exit_code == 0 and "rebuilt, 2 rows" in result.output  # any service/domain, and "nav"
    assert runner.invoke(args=["voice", "figures"]).exit_code == 0
    assert total(db).experiences == 1


def test_migrate_builds_an_empty_tally(app, db):
    moderator, _ = make_user(app, db)
    story, _ = make_experience(app, db, usefulness=5, service_slugs=["nav", "school"], domain_slugs=["housing"])
    moderation.decide(session=db, now=utcnow(), experience=story, moderator=moderator, decision="internal", published_story="")
    db.execute(delete(ExperienceTally))  # as just after the migration that added the tally
    db.commit()
    result = app.test_cli_runner().invoke(args=["voice", "migrate"])
    assert result.exit_code == 0, result.output
    assert "has been built (6 rows)" in result.output  # (any, nav, school) x (any, housing)
    assert rollup.differences(db) == []
    assert "built" not in app.test_cli_runner().invoke(args=["voice", "migrate"]).output  # only when empty


def test_month_of_an_experience_is_its_month_in_trondheim():
    assert rollup.month_key(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == 202601
    assert rollup.month_key(datetime(2025, 6, 30, 21, 59, tzinfo=UTC)) == 202506  # 23:59 in summer time
    assert rollup.month_key(datetime(2025, 6, 30, 22, 0, tzinfo=UTC)) == 202507
    assert rollup.month_of(202602) == Period("month", 2026, 2)


def test_sample_data_is_counted(app, db):
    from voice.sample import load_sample_data

    added = load_sample_data(session=db, now=utcnow(), hasher=app.extensions["voice_hasher"])
    db.commit()
    assert added > 400
    assert rollup.differences(db) == []
    moderated = db.exec(select(Experience).where(Experience.status.in_(("published", "internal")))).all()
    counted = sum(t.experiences for t in service.tallies(
        session=db, periods=[Period("year", y) for y in range(date.today().year - 2, date.today().year + 1)],
        by="area", filters=Filters()).values())
    assert counted == len(moderated) and counted > 400


# --------------------------------------------------------------------------
# Upgrading a database that already has moderated stories
# --------------------------------------------------------------------------


@pytest.fixture
def fresh_url(database_url, tmp_path):
    """An empty database of the same kind as ``database_url``, dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    name = f"voice_upgrade_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield database_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrading_from_the_first_version_counts_the_stories_already_there(fresh_url):
    from alembic import command
    from sqlalchemy import column, insert, table

    from voice import create_app
    from voice.cli import alembic_config
    from voice.db import UTCDateTime

    command.upgrade(alembic_config(fresh_url), "0001")  # the schema before the tally
    app = create_app(test_config(fresh_url))
    engine = app.extensions["voice_engine"]
    # Rows of the old schema, written as its code did: only its columns (today's models have more).
    columns = {
        "service": ("id", "slug", "name", "position", "is_active"),
        "area": ("id", "slug", "name", "position", "is_active", "is_pilot_zone"),
        "experience": ("id", "public_id", "created_at", "status", "usefulness", "area_id", "receipt_locator",
                       "receipt_hash", "form_token", "consent_publish", "story", "story_lang", "page_lang", "pii_kinds",
                       "published_story", "translation", "translation_lang", "reject_reason", "serious_concern",
                       "report_count", "is_hidden"),
        "experience_service": ("experience_id", "service_id"),
    }
    old = {name: table(name, *(column(c, UTCDateTime()) if c == "created_at" else column(c) for c in names))
           for name, names in columns.items()}
    nav, kattem = 1, 1
    with engine.begin() as db:  # not through the ORM: the old rows need no tally hook
        db.execute(insert(old["service"]).values(id=nav, slug="nav", name="NAV", position=0, is_active=True))
        db.execute(insert(old["area"]).values(id=kattem, slug="kattem", name="Kattem", position=0, is_active=True,
                                              is_pilot_zone=True))
        for n, status in enumerate(("published", "internal", "new", "rejected", "internal")):
            db.execute(insert(old["experience"]).values(
                id=n + 1, public_id=f"upgrade{n}", created_at=datetime(2025, 3, 10, tzinfo=UTC), status=status,
                usefulness=5, area_id=kattem, receipt_locator="UPGR0000", receipt_hash="!", form_token=f"upgrade-{n}",
                consent_publish=True, story="", story_lang="nb", page_lang="nb", pii_kinds="", published_story="",
                translation="", translation_lang="", reject_reason="", serious_concern=False, report_count=0,
                is_hidden=False))
            db.execute(insert(old["experience_service"]).values(experience_id=n + 1, service_id=nav))
    result = app.test_cli_runner().invoke(args=["voice", "migrate"])
    assert result.exit_code == 0, result.output
    assert "has been built (2 rows)" in result.output  # (any service, nav) x month x Kattem
    with Session(engine) as db:
        assert rollup.differences(db) == []
        tallies = service.tallies(session=db, periods=[Period("quarter", 2025, 1)], by="area", filters=Filters())
        assert {key: t.experiences for (_i, key), t in tallies.items()} == {kattem: 3}
    engine.dispose()


# --------------------------------------------------------------------------
# No writer can forget the tally
# --------------------------------------------------------------------------


def test_any_orm_write_keeps_the_tally_even_outside_the_services(app, db):
    """The experiences' write hook runs on every flush: a script or a future service
    that changes experiences through the ORM, without calling anything special,
    leaves the tally equal to a fresh count."""
    story, _ = make_experience(app, db, service_slugs=["nav"], usefulness=5, consent_publish=True)
    story.status = "published"  # straight on the model
    db.add(story)
    db.commit()
    assert total(db).experiences == 1 and rollup.differences(db) == []

    school = ids(db, Service)["school"]
    db.add(ExperienceService(experience_id=story.id, service_id=school))  # a tag added by hand
    db.add(ServiceAnswer(experience_id=story.id, service_id=school, text="Svar.", change_status="made"))
    story.area_id = ids(db, Area)["kattem"]
    db.commit()
    assert rollup.differences(db) == []
    assert by(db, "service")[school].answered == 1

    link = db.exec(select(ExperienceService).where(ExperienceService.service_id == school)).one()
    db.delete(link)
    story.usefulness = 1
    db.commit()
    assert rollup.differences(db) == [] and total(db).useful == 0

    db.delete(db.get(Experience, story.id))
    db.commit()
    assert rollup.differences(db) == [] and total(db).experiences == 0


def test_a_bulk_write_that_would_bypass_the_tally_is_refused(app, db):
    story, _ = make_experience(app, db)
    with pytest.raises(RuntimeError, match="bulk write to experience"):
        db.execute(update(Experience).where(Experience.id == story.id).values(status="internal"))
    db.rollback()
    with pytest.raises(RuntimeError, match="bulk write to experience_service"):
        db.execute(delete(ExperienceService))
    db.rollback()
    assert rollup.differences(db) == []


def test_dropping_one_tag_and_nothing_else_leaves_the_tally_exact(app, db):
    """A tag left out of the new tags is deleted as an orphan during the flush: the
    hook sees it through the experience's own collection (found by the property test)."""
    moderator, _ = make_user(app, db)
    story, _ = make_experience(app, db, service_slugs=["nav"], usefulness=4, consent_publish=True)
    moderation.decide(session=db, now=utcnow(), experience=story, moderator=moderator, decision="published",
                      published_story="A.")
    moderation.set_tags(session=db, experience=story, service_slugs=["nav", "school"], area_slug=None, domain_slugs=[])
    db.commit()
    moderation.set_tags(session=db, experience=story, service_slugs=["nav"], area_slug=None, domain_slugs=[])
    db.commit()
    assert rollup.differences(db) == []
    assert set(by(db, "service")) == {ids(db, Service)["nav"]}
