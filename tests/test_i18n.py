"""Plural forms and mixed-direction content."""
from __future__ import annotations

import pytest
from flask_babel import force_locale, ngettext

from .factories import make_experience

PLACES = ("%(num)d place left", "%(num)d places left")


def forms_for(app, locale: str, numbers) -> list[str]:
    with app.test_request_context(), force_locale(locale):
        return [ngettext(*PLACES, n) for n in numbers]


def test_arabic_has_six_plural_forms(app):
    rendered = forms_for(app, "ar", [0, 1, 2, 3, 11, 100])
    assert len(set(rendered)) == 6, rendered
    assert "3" in rendered[3] and "11" in rendered[4] and "100" in rendered[5]


@pytest.mark.parametrize("locale", ["uk", "pl"])
def test_ukrainian_and_polish_use_one_few_many(app, locale):
    one, few, many, few_again, many_again = forms_for(app, locale, [1, 3, 5, 22, 25])
    assert len({one, few, many}) == 3
    assert few.replace("3", "22") == few_again and many.replace("5", "25") == many_again


def test_norwegian_uses_one_and_other(app):
    one, other = forms_for(app, "nb", [1, 4])
    assert one != other.replace("4", "1")


def test_an_arabic_story_reads_right_to_left_on_a_norwegian_page(app, client, post, db):
    _experience, code = make_experience(app, db, story="كانت المساعدة جيدة", story_lang="ar")
    page = post("/experiences/mine?lang=nb", {"code": code}).get_data(as_text=True)
    assert '<html lang="nb" dir="ltr">' in page
    assert '<div class="user-text" lang="ar" dir="rtl">كانت المساعدة جيدة</div>' in page


def test_a_norwegian_story_reads_left_to_right_on_an_arabic_page(app, client, post, db):
    _experience, code = make_experience(app, db, story="Hjelpen var god", story_lang="nb")
    page = post("/experiences/mine?lang=ar", {"code": code}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert '<div class="user-text" lang="nb" dir="ltr">Hjelpen var god</div>' in page


def test_a_story_in_another_language_gets_automatic_direction(app, client, post, db):
    _experience, code = make_experience(app, db, story="Gargaar", story_lang="und")
    page = post("/experiences/mine?lang=en", {"code": code}).get_data(as_text=True)
    assert '<div class="user-text" lang="" dir="auto">Gargaar</div>' in page


def test_dates_are_shown_in_oslo_time_in_the_page_language(app):
    from datetime import datetime, timezone

    from flask_babel import format_datetime

    moment = datetime(2027, 7, 1, 22, 30, tzinfo=timezone.utc)  # 00:30 on 2 July in Trondheim (summer time)
    with app.test_request_context(), force_locale("nb"):
        assert "2. juli 2027" in format_datetime(moment, "long") and "00:30" in format_datetime(moment, "long")
    with app.test_request_context(), force_locale("en"):
        assert "July 2, 2027" in format_datetime(moment, "long")
