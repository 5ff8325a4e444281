#!/usr/bin/env python3
"""Personal-data detection per story beside the one Argon2 hash a submission already costs.

    .venv/bin/python bench/pii_bench.py [--rounds 200]

Builds 4,000-character stories in Norwegian, English, Arabic, Persian and Somali (ordinary text,
with numbers, dates, amounts and a few pieces of personal data in each: a national ID in groups,
an e-mail address spelled out, a street address, a school), then times ``voice.pii.find_pii`` on
each, round after round, and the receipt code's Argon2 hash with the production cost
(``voice.hashing``) in the same run. Prints median and p99 of both, and their ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voice.hashing import HashParams, SecretHasher  # noqa: E402
from voice.pii import find_pii  # noqa: E402

PARTS = {
    "nb": ("Vi ventet i 45 minutter på telefon, og husleia er 12 500 kr. Møtet var 12.03.2024 kl. 10.30. "
           "Saksnr. 2024/12345 gjelder bostøtte, og skolen ringte to ganger. ",
           "Fnr. 020132 99997. Skriv til kari (at) online (dot) no. Vi bor i Saupstadveien 12. Han går på Huseby skole. "),
    "en": ("We waited three weeks for an answer from Nav, and paid 4500 NOK on 1 May at 10.30. "
           "The case number is 2023-118842 and my daughter is 14. ",
           "Write to amina at hotmail dot com or call 912 34 567. We live at Lade allé 80. "),
    "ar": ("انتظرنا ثلاثة أسابيع للحصول على رد، ودفعنا 4500 كرونة للإيجار يوم 12.03.2024 الساعة 10.30. ",
           "رقمي الشخصي هو 020132 99997 وبريدي amina (at) gmail (dot) com وأسكن في Saupstadveien 12 ",
           ),
    "fa": ("ما سه هفته منتظر جواب ماندیم و شماره پرونده 2024/12345 است و بچه‌ها به مدرسه می‌روند. ",
           "ایمیل من reza [at] yahoo [dot] com است و خانه ما در Heimdalsvegen 7 است. "),
    "so": ("Waxaan sugnay 3 toddobaad kahor jawaabta Nav, kirada waa 9000 kr bishii. ",
           "Iimaylkaygu waa faadumo (at) gmail (dhibic) com. Wiilkaygu wuxuu dhigtaa Åsheim barnehage. "),
}


def story(lang: str, length: int = 4000) -> str:
    ordinary, personal = PARTS[lang]
    text = ""
    while len(text) < length - len(personal):
        text += ordinary
    return (text[: length // 2] + personal + text[length // 2:])[:length]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    stories = {lang: story(lang) for lang in PARTS}
    hasher = SecretHasher(HashParams())  # the production defaults (voice/config.py)
    pii_ms: dict[str, list[float]] = {lang: [] for lang in PARTS}
    hash_ms: list[float] = []
    for _ in range(args.rounds):  # interleaved, so both see the same noise of this shared machine
        for lang, text in stories.items():
            start = time.perf_counter()
            found = find_pii(text)
            pii_ms[lang].append((time.perf_counter() - start) * 1000)
            assert found, lang
        if len(hash_ms) < max(20, args.rounds // 5):
            start = time.perf_counter()
            hasher.hash("K7Q2-M9XD-4HPT-WN3C")
            hash_ms.append((time.perf_counter() - start) * 1000)
    hash_median, hash_p99 = percentiles(hash_ms)
    print(f"Argon2 hash of a receipt code (production cost): median {hash_median:.1f} ms, p99 {hash_p99:.1f} ms "
          f"({len(hash_ms)} hashes)")
    every = [ms for samples in pii_ms.values() for ms in samples]
    for lang, samples in [*pii_ms.items(), ("all", every)]:
        median, p99 = percentiles(samples)
        print(f"find_pii, 4,000 characters, {lang:>3}: median {median:.2f} ms, p99 {p99:.2f} ms "
              f"= {median / hash_median:.3f} of the hash's median")


if __name__ == "__main__":
    main()
