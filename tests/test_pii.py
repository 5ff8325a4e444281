"""Personal data in free text: Norwegian national IDs, phone numbers, e-mail
addresses (voice/pii.py)."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from voice.pii import PII_KINDS, PiiMatch, find_pii, highlight_segments, is_valid_national_id

BEFORE_2032 = date(2031, 12, 31)
FROM_2032 = date(2032, 1, 1)
TODAY = date(2025, 6, 1)


# --- A second, independent implementation of the check digits ----------------
# Written the way the domain doc states it (k = 11 - (sum mod 11), 11 -> 0,
# 10 invalid), while voice/pii.py checks the weighted sum instead; the test
# vectors below are checked against both.


def _k1(nine: str, base: int = 11) -> int | None:
    s = sum(w * int(c) for w, c in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), nine)) % 11
    k = (base - s) % 11  # 11 -> 0, and from 2032 12/13/14 - s taken mod 11 too
    return None if k == 10 else k


def _k2(ten: str) -> int | None:
    s = sum(w * int(c) for w, c in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), ten)) % 11
    k = (11 - s) % 11
    return None if k == 10 else k


def _complete(nine: str, k1: int) -> str | None:
    k2 = _k2(nine + str(k1))
    return None if k2 is None else f"{nine}{k1}{k2}"


def _classic_check_digits_ok(number: str) -> bool:
    return _k1(number[:9]) == int(number[9]) and _k2(number[:10]) == int(number[10])


# --- is_valid_national_id -------------------------------------------------------

VALID_IDS = [
    pytest.param("02013299997", id="domain-doc-example"),
    pytest.param("45038112302", id="d-number-day-45"),
    pytest.param("71129912302", id="d-number-day-71"),
    pytest.param("15488512487", id="h-number-month-48"),
    pytest.param("23454512316", id="synthetic-nav-month-45"),
    pytest.param("31521012318", id="synthetic-nav-month-52"),
    pytest.param("31921012481", id="synthetic-skatteetaten-month-92"),
    pytest.param("31811012362", id="synthetic-skatteetaten-month-81"),
    pytest.param("71921012394", id="synthetic-skatteetaten-d-number"),
    pytest.param("29020012380", id="feb-29-in-2000"),
    pytest.param("30108299920", id="skatteetaten-2032-doc-classic"),
]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_national_ids_are_accepted(number):
    assert _classic_check_digits_ok(number)  # the test vector itself is right
    assert is_valid_national_id(number, today=TODAY) is True
    assert is_valid_national_id(number, today=FROM_2032) is True
    assert is_valid_national_id(number) is True  # default: today's date


@pytest.mark.parametrize("number", VALID_IDS)
def test_changing_one_check_digit_makes_a_valid_id_invalid(number):
    for position in (9, 10):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            changed = number[:position] + digit + number[position + 1 :]
            assert is_valid_national_id(changed, today=BEFORE_2032) is False, changed


# Check digits right, date impossible: only the date check can reject these.
IMPOSSIBLE_DATES = [
    pytest.param("32019012351", id="day-32"),
    pytest.param("00019012360", id="day-00"),
    pytest.param("31049012392", id="april-31"),
    pytest.param("29020112482", id="feb-29-in-01"),
    pytest.param("01139012328", id="month-13"),
    pytest.param("01609012389", id="month-60-neither-h-nor-synthetic"),
    pytest.param("01009312362", id="month-00"),
    pytest.param("01939012393", id="month-93"),
    pytest.param("72019012345", id="d-number-day-72"),
    pytest.param("71049012386", id="d-number-april-31"),
    pytest.param("30421012330", id="h-number-february-30"),
    pytest.param("30821012313", id="synthetic-skatteetaten-february-30"),
]


@pytest.mark.parametrize("number", IMPOSSIBLE_DATES)
def test_impossible_dates_are_rejected_even_with_right_check_digits(number):
    assert _classic_check_digits_ok(number)
    assert is_valid_national_id(number, today=TODAY) is False
    assert find_pii(f"Nummeret er {number}.") == []


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("02013299998", id="wrong-k2"),
        pytest.param("02013299987", id="wrong-k1"),
        pytest.param("02013299979", id="swapped-check-digits"),
        pytest.param("12013299997", id="typo-in-day"),
        pytest.param("0201329999", id="10-digits"),
        pytest.param("020132999970", id="12-digits"),
        pytest.param("", id="empty"),
        pytest.param("0201329999a", id="letter"),
        pytest.param("020132 99997", id="with-space"),
        pytest.param("٠٢٠١٣٢٩٩٩٩٧", id="arabic-indic-digits"),  # 02013299997, found in text but not here
        pytest.param(" 02013299997", id="leading-space"),
    ],
)
def test_invalid_national_ids_are_rejected(value):
    assert is_valid_national_id(value, today=TODAY) is False


# Skatteetaten, "Nytt fødselsnummer fra 2032": k1 = {11,12,13,14} - (sum mod 11),
# i.e. the weighted sum including k1 may leave 0, 1, 2 or 3; k2 as before.
NEW_RULE_ONLY = [
    pytest.param("30108299939", id="skatteetaten-example-12-minus-9"),
    pytest.param("30108299947", id="13-minus-9"),
    pytest.param("30108299955", id="14-minus-9"),
    pytest.param("02013299903", id="skatteetaten-example-13-minus-2-is-11-so-0"),
    pytest.param("02013299911", id="14-minus-2-is-12-so-remainder-3"),
]


@pytest.mark.parametrize("number", NEW_RULE_ONLY)
def test_2032_rule_depends_on_today(number):
    assert not _classic_check_digits_ok(number)
    assert is_valid_national_id(number, today=BEFORE_2032) is False
    assert is_valid_national_id(number, today=FROM_2032) is True
    assert is_valid_national_id(number, today=date(2040, 5, 17)) is True


@pytest.mark.parametrize("k1", [0, 1, 3, 4, 5, 6, 7, 8, 9])  # with k1 = 2, k2 would be 10
def test_2032_rule_allows_exactly_four_k1_remainders(k1):
    # 020132999: weighted sum 156, 156 mod 11 = 2, so classic k1 = 9; from 2032
    # also 12-2 = 10 (impossible), 13-2 = 11 -> 0, 14-2 = 12 -> 1.
    number = _complete("020132999", k1)
    assert number is not None
    assert is_valid_national_id(number, today=BEFORE_2032) is (k1 == 9)
    assert is_valid_national_id(number, today=FROM_2032) is (k1 in {9, 0, 1})


# --- national IDs in text -------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "02013299997",
        "020132 99997",
        "020132.99997",
        "020132-99997",
        "020132\u00a099997",  # no-break space
        "45038112302",  # D-number
        "31921012481",  # synthetic (Skatteetaten)
        "154885 12487",  # H-number
    ],
)
def test_find_pii_finds_national_id_as_written(written):
    text = f"Datteren min ({written}) fikk avslag."
    matches = find_pii(text)
    start = text.index(written)
    assert matches == [PiiMatch("national_id", start, start + len(written), written)]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Kundenr 1020132999971 hos NAV", id="inside-longer-run-both-sides"),
        pytest.param("Kundenr 020132999970 hos NAV", id="12-digit-run"),
        pytest.param("Kundenr 902013299997 hos NAV", id="digit-before"),
        pytest.param("Kundenr 0201329999 hos NAV", id="10-digit-run"),
        pytest.param("Kundenr 02013299998 hos NAV", id="wrong-check-digit"),
        pytest.param("Kundenr 020132  99997 hos NAV", id="two-spaces"),
        pytest.param("Kundenr 020132/99997 hos NAV", id="slash"),
        pytest.param("Kundenr 0201 3299997 hos NAV", id="wrong-grouping"),
    ],
)
def test_find_pii_skips_digits_that_are_not_a_national_id(text):
    assert find_pii(text) == []


# --- phone numbers ------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "+47 912 34 567",
        "0047 91234567",
        "91 23 45 67",
        "412 34 567",
        "9123 4567",  # unusual groupings: Leniency.VALID, not EXACT_GROUPING
        "91 234 567",
        "+47-912-34-567",
        "(+47) 91234567",
        "+4791234567",
        "91234567",
        "22 33 44 55",  # Oslo landline
        "+46 70 123 45 67",  # Swedish mobile
        "+44 20 7946 0958",  # London
    ],
)
def test_find_pii_finds_phone_numbers(phone):
    text = f"Ring meg på {phone} etter kl. 16."
    start = text.index(phone)
    assert find_pii(text) == [PiiMatch("phone", start, start + len(phone), phone)]


@pytest.mark.parametrize(
    "text",
    [
        "I 2024 betalte vi 1500 kroner for SFO.",
        "Vi søkte i 2023 og fikk svar i 2024.",
        "Møtet var 24.12.2024 klokka 10.",
        "Kommunen brukte kr 45 000 000 på dette.",
        "Prisen var 45000000,- i fjor.",
        "Ring 113 hvis det haster.",
        "Saksnummer 2024/12345.",
        "Ordrenummer 12345678.",  # 8 digits, but no Norwegian number starts with 1
        "Ordrenummer 12 34 56 78.",
    ],
)
def test_find_pii_does_not_flag_years_amounts_or_dates(text):
    assert find_pii(text) == []


# --- e-mail addresses -----------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "ola.nordmann@example.no",
        "fatima+barnehage@trondheim.kommune.no",
        "x_y-z@sub.domain-name.com",
        "øyvind@eksempel.no",
        "OLA@EXAMPLE.NO",
    ],
)
def test_find_pii_finds_email_addresses(email):
    text = f"Skriv til {email}."
    start = text.index(email)
    assert find_pii(text) == [PiiMatch("email", start, start + len(email), email)]


def test_an_address_in_underscores_is_still_found():
    # markdown-style emphasis; the leading underscore is a valid local-part character
    text = "Skriv til _ola@example.no_ i dag"
    assert [(m.kind, m.text) for m in find_pii(text)] == [("email", "_ola@example.no")]


@pytest.mark.parametrize(
    "text", ["ola@localhost", "a@b.c", "@example.no", "ola@.no", "ola@example.", "ola.@", "bare en @ her"]
)
def test_find_pii_skips_things_that_are_not_email_addresses(text):
    assert [m for m in find_pii(text) if m.kind == "email"] == []


def test_email_regex_stays_fast_on_pathological_input():
    # Backtracking blow-up would hang here; no timing assertion, it just has to
    # finish (and the tail must still be found).
    text = "a." * 20000 + "a" + "!" + "@" * 5000 + "x@" + "b-" * 5000 + " ola@example.no"
    assert [m.text for m in find_pii(text)] == ["ola@example.no"]


# --- overlaps ---------------------------------------------------------------------


def test_national_id_wins_over_a_phone_number_that_contains_it():
    # phonenumbers reads "+49 02013299997" as a valid German number.
    text = "nummer +49 02013299997"
    assert find_pii(text) == [PiiMatch("national_id", 11, 22, "02013299997")]


def test_email_wins_over_the_digits_inside_it():
    text = "ola.91234567@example.com"
    assert find_pii(text) == [PiiMatch("email", 0, len(text), text)]


# --- mixed languages ------------------------------------------------------------


def test_norwegian_text_with_everything_in_it():
    text = "Sønnen min (fnr 020132 99997) venter fortsatt. Ring 912 34 567 eller skriv til mor@example.no."
    assert [(m.kind, m.text) for m in find_pii(text)] == [
        ("national_id", "020132 99997"),
        ("phone", "912 34 567"),
        ("email", "mor@example.no"),
    ]


def test_arabic_text_with_western_digits():
    text = "رقم ابني 02013299997 وهاتفي +47 912 34 567 والبريد sara@example.com شكرا"
    assert [(m.kind, m.text) for m in find_pii(text)] == [
        ("national_id", "02013299997"),
        ("phone", "+47 912 34 567"),
        ("email", "sara@example.com"),
    ]


def test_arabic_text_with_arabic_indic_digits():
    fnr = "٠٢٠١٣٢٩٩٩٩٧"  # 02013299997
    phone = "٩١٢٣٤٥٦٧"  # 91234567
    text = f"رقم ابني {fnr} وهاتفي {phone}"
    matches = find_pii(text)
    assert [(m.kind, m.text) for m in matches] == [("national_id", fnr), ("phone", phone)]
    assert all(text[m.start : m.end] == m.text for m in matches)


def test_arabic_text_without_personal_data_has_no_matches():
    assert find_pii("انتظرنا ٣ أشهر في ٢٠٢٤ للحصول على موعد") == []


# --- highlight_segments ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Ingen personopplysninger her.",
        "02013299997",
        "Ring 912 34 567",
        "Sønnen min (fnr 020132 99997) venter. Ring 912 34 567 eller skriv til mor@example.no.",
        "رقم ابني 02013299997 وهاتفي +47 912 34 567",
    ],
)
def test_highlight_segments_cover_the_whole_text(text):
    matches = find_pii(text)
    segments = highlight_segments(text, matches)
    assert "".join(segment for segment, _kind in segments) == text
    assert all(segment for segment, _kind in segments)  # no empty pieces
    assert [(s, k) for s, k in segments if k] == [(m.text, m.kind) for m in matches]


def test_highlight_segments_in_order():
    text = "fnr 02013299997, tlf 912 34 567"
    assert highlight_segments(text, find_pii(text)) == [
        ("fnr ", None),
        ("02013299997", "national_id"),
        (", tlf ", None),
        ("912 34 567", "phone"),
    ]


def test_markup_passes_through_as_plain_text():
    text = "<svg onload=alert(1)>"
    assert find_pii(text) == []
    assert highlight_segments(text, find_pii(text)) == [(text, None)]

    text = "<svg onload=alert(1)> ring 912 34 567 <b>"
    assert highlight_segments(text, find_pii(text)) == [
        ("<svg onload=alert(1)> ring ", None),
        ("912 34 567", "phone"),
        (" <b>", None),
    ]


def test_segments_render_safely_with_autoescape_and_no_safe_filter():
    jinja2 = pytest.importorskip("jinja2")
    env = jinja2.Environment(autoescape=True)
    template = env.from_string(
        "{% for segment, kind in segments %}"
        '{% if kind %}<mark class="pii-{{ kind }}">{{ segment }}</mark>{% else %}{{ segment }}{% endif %}'
        "{% endfor %}"
    )
    text = "<svg onload=alert(1)> ring 912 34 567"
    html = template.render(segments=highlight_segments(text, find_pii(text)))
    assert html == '&lt;svg onload=alert(1)&gt; ring <mark class="pii-phone">912 34 567</mark>'


def test_highlight_segments_ignores_matches_that_do_not_fit_the_text():
    text = "Ring 912 34 567"
    good = PiiMatch("phone", 5, 15, "912 34 567")
    stale = PiiMatch("phone", 0, 4, "9123")  # text differs
    out_of_bounds = PiiMatch("email", 10, 40, "34 567")
    overlapping = PiiMatch("national_id", 8, 12, "34 5")
    unknown_kind = PiiMatch("<script>", 0, 4, "Ring")
    segments = highlight_segments(text, [overlapping, stale, good, out_of_bounds, unknown_kind])
    assert segments == [("Ring ", None), ("912 34 567", "phone")]


# --- properties -------------------------------------------------------------------

_SUSPICIOUS = st.lists(
    st.sampled_from(list("0123456789٠٢٩ +-.@_/()ab\u00a0\nøم") + ["kr", ".no", "+47", "020132", "99997"]),
    max_size=40,
).map("".join)


def _check_matches(text: str, matches: list[PiiMatch]) -> None:
    previous_end = 0
    for m in matches:
        assert m.kind in PII_KINDS
        assert 0 <= m.start < m.end <= len(text)
        assert m.start >= previous_end  # sorted and non-overlapping
        assert text[m.start : m.end] == m.text
        previous_end = m.end
    assert "".join(s for s, _ in highlight_segments(text, matches)) == text


@settings(deadline=None, max_examples=300)
@given(st.text())
def test_find_pii_on_arbitrary_text(text):
    _check_matches(text, find_pii(text))


@settings(deadline=None, max_examples=300)
@given(_SUSPICIOUS)
def test_find_pii_on_text_full_of_digits_and_separators(text):
    _check_matches(text, find_pii(text))


@settings(deadline=None)
@given(before=_SUSPICIOUS, after=_SUSPICIOUS)
def test_a_valid_id_is_found_wherever_it_stands(before, after):
    assume(not before[-1:].isdigit() and not after[:1].isdigit())
    text = f"{before}02013299997{after}"
    matches = find_pii(text)
    _check_matches(text, matches)
    assert PiiMatch("national_id", len(before), len(before) + 11, "02013299997") in matches


@st.composite
def _generated_ids(draw):
    year = draw(st.integers(1900, 2031))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    if draw(st.booleans()):
        day += 40  # D-number
    month += draw(st.sampled_from([0, 40, 80]))  # ordinary, H/NAV, Skatteetaten
    nine = f"{day:02d}{month:02d}{year % 100:02d}{draw(st.integers(0, 999)):03d}"
    k1 = _k1(nine)
    assume(k1 is not None)
    number = _complete(nine, k1)
    assume(number is not None)
    return number


@settings(deadline=None)
@given(_generated_ids())
def test_every_correctly_built_id_is_valid_and_found(number):
    assert is_valid_national_id(number, today=BEFORE_2032)
    assert is_valid_national_id(number, today=FROM_2032)
    assert [m.kind for m in find_pii(f"fnr: {number[:6]} {number[6:]}")] == ["national_id"]


@settings(deadline=None)
@given(st.from_regex(r"[0-9]{11}", fullmatch=True))
def test_the_2032_rule_only_adds_numbers(number):
    if is_valid_national_id(number, today=BEFORE_2032):
        assert is_valid_national_id(number, today=FROM_2032)
    if is_valid_national_id(number, today=FROM_2032):
        assert _k2(number[:10]) == int(number[10])


@given(st.text(max_size=20))
def test_is_valid_national_id_never_raises(value):
    assert is_valid_national_id(value) in (True, False)
