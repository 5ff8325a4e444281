"""Personal data found in whole sentences (issue 17, item 5): written by us in Norwegian, English,
Arabic, Persian and Somali, as families write (numbers in groups, e-mail addresses spelled out,
street addresses and school names inside text in another script), and sentences that must never
be flagged (accounts, organisation and case numbers, dates, times, amounts, ages, areas, services
named in general). Each row: the sentence, and what must be found as (kind, text) pairs."""
from __future__ import annotations

import pytest

from voice.pii import find_pii

ID = "02013299997"  # a valid fødselsnummer (the domain document's example)
D_NUMBER = "45038112302"

POSITIVES = [
    # National ID numbers, in groups
    ("nb", f"Fødselsnummeret mitt er {ID}.", [("national_id", ID)]),
    ("nb", "Fnr. 020132 99997, hvis dere trenger det.", [("national_id", "020132 99997")]),
    ("nb", "Personnummer: 02.01.32 99997", [("national_id", "02.01.32 99997")]),
    ("nb", "Sønnen min har nummer 02 01 32 999 97.", [("national_id", "02 01 32 999 97")]),
    ("nb", "Skriv 020132-99997 på søknaden.", [("national_id", "020132-99997")]),
    ("en", f"My D-number is {D_NUMBER[:6]} {D_NUMBER[6:]}.", [("national_id", "450381 12302")]),
    ("ar", "رقمي الشخصي هو 020132 99997 من فضلكم", [("national_id", "020132 99997")]),
    ("ar", "رقم ابني ٠٢٠١٣٢٩٩٩٩٧", [("national_id", "٠٢٠١٣٢٩٩٩٩٧")]),
    ("fa", "شماره شخصی من 02.01.32 99997 است", [("national_id", "02.01.32 99997")]),
    ("so", "Lambarkayga waa 020132-999 97.", [("national_id", "020132-999 97")]),
    # E-mail addresses, plain and written to avoid detection
    ("nb", "Send svaret til ola.nordmann@example.no takk.", [("email", "ola.nordmann@example.no")]),
    ("nb", "Adressen er ola (at) example (dot) no", [("email", "ola (at) example (dot) no")]),
    ("nb", "mail: kari krøllalfa gmail punktum com", [("email", "kari krøllalfa gmail punktum com")]),
    ("nb", "kari [at] online [dot] no", [("email", "kari [at] online [dot] no")]),
    ("en", "Write to amina at hotmail dot com please", [("email", "amina at hotmail dot com")]),
    ("en", "my mail is a m i n a @ g m a i l . c o m", [("email", "a m i n a @ g m a i l . c o m")]),
    ("en", "contact: amina(at)yahoo(dot)com", [("email", "amina(at)yahoo(dot)com")]),
    ("ar", "بريدي amina (at) gmail (dot) com شكرا", [("email", "amina (at) gmail (dot) com")]),
    ("ar", "راسلوني على amina@gmail.com", [("email", "amina@gmail.com")]),
    ("fa", "ایمیل من reza [at] yahoo [dot] com است", [("email", "reza [at] yahoo [dot] com")]),
    ("so", "Iimaylkaygu waa faadumo (at) gmail (dhibic) com", [("email", "faadumo (at) gmail (dhibic) com")]),
    # Phone numbers (phonenumbers)
    ("nb", "Ring meg på 912 34 567 etter skolen.", [("phone", "912 34 567")]),
    ("en", "Call +47 912 34 567 after five.", [("phone", "+47 912 34 567")]),
    ("so", "Igala soo xiriir 41234567.", [("phone", "41234567")]),
    # Street addresses, also inside text in another script
    ("nb", "Vi bor i Saupstadveien 12, 7078 Saupstad.", [("address", "Saupstadveien 12, 7078 Saupstad")]),
    ("nb", "Leiligheten i Olav Tryggvasons gate 5B er for liten.", [("address", "Olav Tryggvasons gate 5B")]),
    ("nb", "Vi flyttet til Kattemvegen 3 i fjor.", [("address", "Kattemvegen 3")]),
    ("nb", "Brevet kom til Munkegata 1.", [("address", "Munkegata 1")]),
    ("en", "We live at Lade allé 80 with three children.", [("address", "Lade allé 80")]),
    ("ar", "أسكن في Saupstadveien 12 مع أطفالي", [("address", "Saupstadveien 12")]),
    ("fa", "خانه ما در Heimdalsvegen 7 است", [("address", "Heimdalsvegen 7")]),
    ("so", "Waxaan deggannahay Romolslia 45 Trondheim.", [("address", "Romolslia 45")]),
    # Schools and kindergartens with a name of their own
    ("nb", "Datteren min går på Huseby skole.", [("institution", "Huseby skole")]),
    ("nb", "Han begynte i Saupstad barnehage i august.", [("institution", "Saupstad barnehage")]),
    ("nb", "Læreren på Hallset ungdomsskole ringte.", [("institution", "Hallset ungdomsskole")]),
    ("nb", "Ho går på Sandvika skule.", [("institution", "Sandvika skule")]),
    ("nb", "Han går på Charlottenlund videregående skole.", [("institution", "Charlottenlund videregående skole")]),
    ("en", "My son goes to Kattem barneskole.", [("institution", "Kattem barneskole")]),
    ("ar", "ابني في Huseby skole منذ سنة", [("institution", "Huseby skole")]),
    ("so", "Wiilkaygu wuxuu dhigtaa Åsheim barnehage.", [("institution", "Åsheim barnehage")]),
]

NEGATIVES = [
    ("nb", "Kontonummer 1503.12.34567 står på fakturaen."),
    ("nb", "Pengene kom inn på konto 15031234567."),
    ("nb", "Organisasjonsnummer 974 760 673 er kommunens."),
    ("nb", "Saksnr. 2024/12345 gjelder bostøtte."),
    ("nb", "Møtet var 12.03.2024 kl. 10.30."),
    ("nb", "Husleia er 12 500 kr i måneden."),
    ("nb", "Han er 5 år og hun er 12."),
    ("nb", "Vi bor på Kattem og handler på Saupstad."),
    ("nb", "Skolen ringte, og barnehagen var stengt."),
    ("nb", "Min skole er god, men den nye barnehagen er full."),
    ("nb", "Veien til jobb tar 5 minutter."),
    ("nb", "Nav-kontoret svarte etter 3 uker."),
    ("nb", "Vi ventet i 45 minutter på telefon."),
    ("en", "We met at school and talked at length."),
    ("en", "The case number is 2023-118842."),
    ("en", "I paid 4500 NOK for the deposit on 1 May."),
    ("en", "My daughter is 14 and goes to the school near us."),
    ("en", "At 10.30 the kindergarten called us."),
    ("ar", "ذهبنا إلى المدرسة يوم 12.03.2024 الساعة 10.30"),
    ("ar", "دفعنا 4500 كرونة للإيجار"),
    ("ar", "ابني عمره 7 سنوات ويذهب إلى الروضة"),
    ("fa", "ما در Kattem زندگی می‌کنیم و بچه‌ها به مدرسه می‌روند"),
    ("fa", "شماره پرونده 2024/12345 است"),
    ("so", "Waxaan sugnay 3 toddobaad kahor jawaabta Nav."),
    ("so", "Kirada waa 9000 kr bishii."),
]


@pytest.mark.parametrize("lang,sentence,expected", POSITIVES, ids=[f"{r[0]}-{i}" for i, r in enumerate(POSITIVES)])
def test_personal_data_is_found(lang, sentence, expected):
    assert [(m.kind, m.text) for m in find_pii(sentence)] == expected


@pytest.mark.parametrize("lang,sentence", NEGATIVES, ids=[f"{r[0]}-{i}" for i, r in enumerate(NEGATIVES)])
def test_ordinary_sentences_are_not_flagged(lang, sentence):
    assert find_pii(sentence) == [], [(m.kind, m.text) for m in find_pii(sentence)]


def test_the_table_is_large_enough_and_covers_every_language():
    assert len(POSITIVES) + len(NEGATIVES) >= 60
    for rows in (POSITIVES, NEGATIVES):
        assert {row[0] for row in rows} == {"nb", "en", "ar", "fa", "so"}
