"""Calendar files read by an independent parser (vobject, issue 15 item 3): the name whole
(its comma escaped), times in the session's own zone with its VTIMEZONE (right in winter and
in summer), the session page as URL, a cancelled session as STATUS:CANCELLED with a higher
SEQUENCE, in the feed, the single file and the mail."""
from __future__ import annotations

from datetime import date

import vobject
from sqlmodel import select

from voice.cocreation import service
from voice.locales import translator
from voice.mail.models import OutboxMessage

from .factories import make_session
from .test_cocreation import sign_up


def _parse(data: bytes):
    return vobject.readOne(data.decode("utf-8"))


def test_the_feed_reads_right_in_vobject_in_winter_and_summer(app, client, db, links):
    winter = make_session(app, db, title="Familiekafé, Saupstad", day=date(2030, 1, 15), start="10:00", end="13:00")
    summer = make_session(app, db, title="Sommeraktivitet", day=date(2030, 6, 15), start="10:00", end="13:00",
                          area_slug="kattem")
    service.cancel_session(session=db, cosession=summer, reason="Regn", links=links, now=winter.starts_at)
    db.commit()
    raw = client.get("/sessions/calendar.ics?lang=nb").data
    feed = _parse(raw)
    assert b"DTSTART;TZID=Europe/Oslo:20300115T100000" in raw and b"DTSTART;TZID=Europe/Oslo:20300615T100000" in raw
    assert feed.contents["x-wr-calname"][0].value == translator("nb").gettext("Voice – co-creation sessions")
    assert "vtimezone" in feed.contents and feed.vtimezone.tzid.value == "Europe/Oslo"
    events = {event.uid.value.split("@")[0]: event for event in feed.vevent_list}
    for cosession, offset in ((winter, 1), (summer, 2)):
        event = events[cosession.public_id]
        start, end = event.dtstart.value, event.dtend.value
        assert (start.hour, start.minute, end.hour) == (10, 0, 13), cosession.title  # 10.00 in Trondheim
        assert start.utcoffset().total_seconds() == offset * 3600  # CET in January, CEST in June
        assert event.url.value == links("cocreation.detail", public_id=cosession.public_id)
    assert events[summer.public_id].status.value == "CANCELLED" and events[summer.public_id].sequence.value == "1"
    assert events[winter.public_id].status.value == "CONFIRMED" and events[winter.public_id].sequence.value == "0"


def test_a_name_with_a_comma_is_kept_whole(app, client, db):
    cosession = make_session(app, db, title="Kafé, lek og prat; for alle")
    single = _parse(client.get(f"/sessions/{cosession.public_id}/calendar.ics").data)
    assert single.contents["x-wr-calname"][0].value == "Kafé, lek og prat; for alle"
    assert single.vevent.summary.value == "Kafé, lek og prat; for alle"


def test_the_cancellation_mail_brings_the_cancelled_event(app, client, post, db, links):
    cosession = make_session(app, db, capacity=5)
    sign_up(post, cosession, email="amina@example.no")
    service.cancel_session(session=db, cosession=cosession, reason="Sykdom", links=links, now=cosession.starts_at)
    db.commit()
    mails = db.exec(select(OutboxMessage).where(OutboxMessage.to_address == "amina@example.no").order_by(OutboxMessage.id)).all()
    confirmed, cancelled = _parse(mails[0].attachment_body.encode()), _parse(mails[-1].attachment_body.encode())
    assert confirmed.vevent.uid.value == cancelled.vevent.uid.value
    assert int(cancelled.vevent.sequence.value) > int(confirmed.vevent.sequence.value)
    assert cancelled.vevent.status.value == "CANCELLED"
