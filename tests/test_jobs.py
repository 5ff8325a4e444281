"""The jobs as plain passes (voice.jobs.service), and what people see of the worker: the
staff home page says when it has stopped, and the monitoring feed shows what waits."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from prometheus_client.openmetrics.parser import text_string_to_metric_families
from sqlmodel import select

from voice.clock import FixedClock, utcnow
from voice.jobs import service, tasks
from voice.jobs.tasks import context_from_app
from voice.mail.models import OutboxMessage
from voice.mail.service import queue_mail

from .factories import make_experience, make_user

TOKEN = "jobs-metrics-token"


def _feed(app, client) -> dict:
    app.config["METRICS_TOKEN"] = TOKEN
    response = client.get("/figures/metrics", headers={
        "Authorization": f"Bearer {TOKEN}", "Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


def test_the_staff_home_page_says_when_the_worker_has_stopped(app, client, staff, db):
    staff("moderator")
    context = context_from_app(app)
    service.heartbeat(replace(context, clock=FixedClock(utcnow() - timedelta(minutes=17))), name="web1:4242", storage="redis")
    page = client.get("/staff/?lang=en").get_data(as_text=True)
    assert "Background work has stopped" in page and "has not been seen for 17 minutes" in page
    service.heartbeat(context, name="web1:4242", storage="redis")
    assert "Background work has stopped" not in client.get("/staff/?lang=en").get_data(as_text=True)


def test_a_worker_never_seen_is_reported_once_work_waits(app, client, staff, db):
    staff("admin")
    assert "Background work has stopped" not in client.get("/staff/?lang=en").get_data(as_text=True)  # nothing waits
    message = queue_mail(session=db, to="a@example.no", template="password_reset", locale="nb",
                         context={"name": "A", "link": "http://localhost/x"})
    message.created_at = utcnow() - timedelta(minutes=9)
    db.add(message)
    db.commit()
    page = client.get("/staff/?lang=nb").get_data(as_text=True)
    assert "Bakgrunnstjenesten har ikke vært i gang på 9 minutter" in page


def test_partners_are_not_told_about_the_worker(app, client, staff, db):
    staff("partner")
    service.heartbeat(replace(context_from_app(app), clock=FixedClock(utcnow() - timedelta(hours=2))), name="w", storage="sqlite")
    assert "Background work has stopped" not in client.get("/staff/?lang=en").get_data(as_text=True)


def test_the_monitoring_feed_shows_the_queue_what_waits_and_the_worker(app, client, db):
    for n in range(2):
        message = queue_mail(session=db, to=f"p{n}@example.no", template="password_reset", locale="nb",
                             context={"name": "P", "link": "http://localhost/x"})
        message.created_at = utcnow() - timedelta(minutes=3)
        db.add(message)
    db.commit()
    tasks.soon(tasks.send_mail)
    service.heartbeat(replace(context_from_app(app), clock=FixedClock(utcnow() - timedelta(seconds=90))), name="w",
                      storage="memory")
    feed = _feed(app, client)
    assert feed[("voice_jobs_queued", ())] == 1
    assert feed[("voice_jobs_waiting", (("kind", "mail"),))] == 2
    assert feed[("voice_jobs_waiting", (("kind", "export"),))] == 0
    assert 175 <= feed[("voice_jobs_oldest_waiting_age_seconds", ())] <= 240
    assert 85 <= feed[("voice_worker_last_seen_age_seconds", ())] <= 150


def test_a_request_that_queues_mail_asks_the_worker_to_send_it_and_one_that_fails_does_not(app, client, post, db, jobs):
    from .factories import make_session

    cosession = make_session(app, db, day=date.today() + timedelta(days=3))
    response = post(f"/sessions/{cosession.public_id}/signup?lang=en", {
        "name": "Amina", "adults": "1", "children": "0", "email": "amina@example.no", "form_token": "q" * 30},
        token_from=f"/sessions/{cosession.public_id}")
    assert response.status_code == 200
    assert tasks.huey.pending_count() == 1 and tasks.huey.dequeue().name.endswith("send_mail")
    response = post(f"/sessions/{cosession.public_id}/signup?lang=en", {
        "name": "", "adults": "1", "children": "0", "email": "amina@example.no", "form_token": "r" * 30},
        token_from=f"/sessions/{cosession.public_id}")
    assert response.status_code == 400 and tasks.huey.pending_count() == 0  # rolled back: nothing to send


def test_the_digest_goes_once_a_day_however_many_workers_run_it(app, db):
    make_user(app, db, role="moderator", wants_digest=True, email="reader@trondheim.kommune.no")
    make_experience(app, db)
    context = context_from_app(app)
    assert service.digest(context, once_a_day=True) == 1
    assert service.digest(context, once_a_day=True) == 0  # a second worker, the same morning
    tomorrow = replace(context, clock=FixedClock(utcnow() + timedelta(days=1)))
    assert service.digest(tomorrow, once_a_day=True) == 1
    assert service.digest(context) == 1  # an operator asking for it outright
    db.expire_all()
    assert len(db.exec(select(OutboxMessage).where(OutboxMessage.to_address == "reader@trondheim.kommune.no")).all()) == 3


def test_the_nightly_purge_records_what_it_did(app, db):
    from voice.accounts.models import AuditEntry

    done = service.purge(context_from_app(app))
    assert set(done) == {"contacts", "originals", "mails", "signups", "export_files", "rate_limits", "shown_codes"}
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "purge")).one()
    assert entry.actor_label == "worker" and '"export_files": 0' in entry.detail
