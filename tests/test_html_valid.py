"""Every page the crawl reaches, in Norwegian and Arabic, staff pages included, read by the
Nu Html Checker (npm `vnu-jar`, on the machine's Java; issue 15 item 2): no errors and no
warnings but the ones listed in ALLOWED with the reason we keep them.

The crawl starts from the front page and the staff home page as an admin (who sees every
staff page), follows every link on this site (a few of each address with a query), and
also keeps the pages a family meets after sending: the form with its messages, the
personal-details warning, the receipt page and the status page."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from voice.reference.models import Service
from voice.sample import load_sample_data

from .test_experiences import FORM, valid_form

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
NOT_PAGES = re.compile(r"\.(csv|ics|json|jsonstat|xlsx|svg|png|css|js)(\?|$)|/logout|/download|/metrics")
MAX_PAGES = 70  # per language
SAME_PATH = 3  # addresses with a query kept per path (the figures have many)
# (message, why we keep it): none yet.
ALLOWED: dict[str, str] = {}


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        if os.environ.get("CI"):
            pytest.fail("Java is missing: .ci/browser-deps installs openjdk-17-jre-headless", pytrace=False)
        pytest.skip("Java is not installed on this machine: the Nu Html Checker needs it (CI always runs this test)")
    if not VNU.is_file():
        pytest.fail(f"{VNU} is missing: run `bash .ci/browser-deps`", pytrace=False)
    return java


def _crawl(client, lang: str, starts: list[str]) -> dict[str, str]:
    pages: dict[str, str] = {}
    seen_paths: dict[str, int] = {}
    queue = deque(starts)
    seen = set(starts)
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        pages[url] = html
        for href in re.findall(r'href="([^"#]+)"', html):
            href = href.replace("&amp;", "&")
            parts = urlsplit(href)
            if parts.netloc or not href.startswith("/") or NOT_PAGES.search(href) or href.startswith("/static/"):
                continue
            query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("lang="))
            target = parts.path + (f"?{query}" if query else "")
            if target in seen:
                continue
            if query:
                seen_paths[parts.path] = seen_paths.get(parts.path, 0) + 1
                if seen_paths[parts.path] > SAME_PATH:
                    continue
            seen.add(target)
            queue.append(target)
    return pages


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_page_passes_the_nu_html_checker(app, client, post, db, staff, tmp_path):
    java = _java()
    from voice.clock import utcnow

    load_sample_data(session=db, now=utcnow(), hasher=app.extensions["voice_hasher"])
    db.commit()
    pages: dict[str, str] = {}
    for lang in ("nb", "ar"):
        family = app.test_client()
        for url, html in _crawl(family, lang, ["/"]).items():
            pages[f"{lang}:{url}"] = html
        # What a family meets after pressing Send.
        token = re.search(r'name="csrf_token" value="([^"]+)"', family.get(FORM).get_data(as_text=True)).group(1)
        send = {**valid_form(form_token=f"valid-{lang}-" + "x" * 20), "csrf_token": token}
        pages[f"{lang}:form with errors"] = family.post(f"{FORM}?lang={lang}", data={**send, "services": []}).get_data(as_text=True)
        pages[f"{lang}:warning"] = family.post(f"{FORM}?lang={lang}", data={**send, "story": "Ring 912 34 567"}).get_data(as_text=True)
        pages[f"{lang}:receipt"] = family.post(f"{FORM}?lang={lang}", data=send, follow_redirects=True).get_data(as_text=True)
    staff("admin")
    for lang in ("nb", "ar"):
        for url, html in _crawl(client, lang, ["/staff/", "/moderation/", "/admin/accounts", "/organise/"]).items():
            pages.setdefault(f"{lang}:{url}", html)
    # One who answers for a service: their list and a story's answer page.
    logout = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff/").get_data(as_text=True)).group(1)
    client.post("/staff/logout", data={"csrf_token": logout})
    staff("responder", service_id=db.exec(select(Service).where(Service.slug == "nav")).one().id)
    for lang in ("nb", "ar"):
        answering = _crawl(client, lang, ["/answers/"])
        assert any(url.startswith("/answers/") and url != "/answers/" for url in answering), sorted(answering)
        for url, html in answering.items():
            pages.setdefault(f"{lang}:{url}", html)
    assert len(pages) >= 40, sorted(pages)
    files = {}
    for n, (name, html) in enumerate(sorted(pages.items())):
        path = tmp_path / f"page-{n:03d}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = name
    result = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--exit-zero-always", *map(str, tmp_path.glob("page-*.html"))],
                            capture_output=True, text=True, timeout=240)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    problems = []
    for message in messages:
        kind = message.get("type")
        if kind == "info" and message.get("subType") != "warning":
            continue
        if message.get("message") in ALLOWED:
            continue
        where = files.get(Path(urlsplit(message.get("url", "")).path).name, message.get("url"))
        problems.append(f"{where}:{message.get('lastLine')}: {kind}/{message.get('subType', '')}: {message.get('message')} "
                        f"[{(message.get('extract') or '').strip()[:80]}]")
    assert problems == [], f"{len(problems)} problems on {len(pages)} pages:\n" + "\n".join(problems[:60])
