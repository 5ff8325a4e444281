"""The translation catalogs: up to date, complete, placeholders kept, valid for msgfmt."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from voice.locales import LOCALES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def catalog(code: str):
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=code)


def ids(cat) -> set:
    return {m.id for m in cat if m.id}


def test_messages_pot_is_up_to_date_with_the_code_and_templates(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "translations/babel.cfg", "-k", "_l", "-k", "N_",
         "-k", "lazy_gettext", "--no-location", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with fresh.open("rb") as fh:
        extracted = ids(read_po(fh))
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        committed = ids(read_po(fh))
    assert extracted - committed == set(), "messages.pot is out of date: run `make i18n`"
    assert committed - extracted == set(), "messages.pot has strings the code no longer uses: run `make i18n`"


@pytest.mark.parametrize("code", list(LOCALES))
def test_every_catalog_is_complete_and_not_fuzzy(code):
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        template = ids(read_po(fh))
    cat = catalog(code)
    assert template - ids(cat) == set(), f"{code}: run `make i18n`"
    untranslated = [m.id for m in cat if m.id and (not m.string if isinstance(m.string, str) else not all(m.string))]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert untranslated == [], f"{code}: {len(untranslated)} untranslated, e.g. {untranslated[:3]}"
    assert fuzzy == [], f"{code}: fuzzy entries {fuzzy[:3]}"


@pytest.mark.parametrize("code", list(LOCALES))
def test_translations_keep_every_placeholder(code):
    problems = []
    for message in catalog(code):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set(PLACEHOLDER.findall(sources[-1])) | set(PLACEHOLDER.findall(sources[0]))
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            found = set(PLACEHOLDER.findall(form or ""))
            # A plural form may leave out the number (e.g. Arabic "one"), never add or rename one.
            if found - expected or (not isinstance(message.id, tuple) and found != expected):
                problems.append((sources[0], form))
    assert problems == []


@pytest.mark.parametrize("code", list(LOCALES))
def test_msgfmt_check_passes(code):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt (GNU gettext) is needed; .ci/browser-deps installs it"
    result = subprocess.run([msgfmt, "--check", "-o", "/dev/null", str(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("code", list(LOCALES))
def test_each_catalog_says_it_awaits_professional_review(code):
    header = (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8").split('msgid ""')[0]
    assert "professional translator" in header


@pytest.mark.parametrize("code, expected_forms", [("ar", 6), ("uk", 3), ("pl", 3), ("nb", 2), ("ti", 2)])
def test_plural_forms_follow_the_language(code, expected_forms):
    assert catalog(code).num_plurals == expected_forms
