#!/usr/bin/env python3
"""What a phone downloads for each public page, and proof that no page uses another host.

    .venv/bin/python bench/page_weight.py

Starts Voice the way `make run` does (gunicorn, 2 workers, VOICE_ENV=development)
on a temporary SQLite database with the [SAMPLE] data, then for each public page
(/, /experiences/new, /experiences/mine, /stories/, /sessions/, the first session's
page, /figures/ when that URL answers 200, /privacy, /accessibility):

- cold cache: the HTML plus everything it makes the browser fetch: stylesheets
  (and any url()/@import inside them), scripts, <img src>/srcset, the favicon and
  any other <link href> that loads. Each text resource (HTML, CSS, JS, SVG) is
  counted raw and compressed with Python's gzip at level 6: a stand-in for the
  reverse proxy, which compresses in production (the app itself sends everything
  uncompressed). Binary images would be counted as they are.
- warm cache: the HTML only (gzip -6), since the CSS, JS and images are in the
  browser's cache. What Flask tells the browser about caching them is printed
  (Cache-Control, ETag, Last-Modified); when the static files say `no-cache`, the
  browser revalidates each of them on every page with a conditional request that
  is answered 304 without a body, so the bytes of those 304 answers (headers only)
  are printed next to it.

It also checks every page (its HTML, its CSS and its Content-Security-Policy)
for a reference to a third-party host: anything the browser would load or send a
form to on a host other than this server's is a failure (exit status 1); plain
links to other sites (<a href>, only followed on a tap) are listed apart.

Nothing is timed. Everything it starts is stopped, and the temporary directory
is removed, also on Ctrl-C.
"""
from __future__ import annotations

import gzip
import html.parser
import http.client
import re
import shutil
import signal
import sys
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_http import BIN, FORM_PATH, ROOT, BenchError, Server  # noqa: E402
from write_run import prepare  # noqa: E402

PAGES = ["/", "/experiences/new", "/experiences/mine", "/stories/", "/sessions/", "<a session>", "/figures/",
         "/privacy", "/accessibility"]
OPTIONAL = {"/figures/"}  # being built: measured when it answers 200
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")
SESSION_LINK = re.compile(r'href="(/sessions/(?!signup/)[A-Za-z0-9_-]{6,24})"')
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
# <link rel=...> values that make the browser fetch the href.
LOADING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "manifest", "preload", "modulepreload",
                "prefetch", "dns-prefetch", "preconnect", "mask-icon"}


@dataclass
class Refs:
    loads: list[tuple[str, str]] = field(default_factory=list)  # (kind, url) the browser fetches by itself
    sends: list[str] = field(default_factory=list)  # form actions
    links: list[str] = field(default_factory=list)  # <a href>


class RefParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = Refs()

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        rels = set(a.get("rel", "").lower().split())
        if tag == "link" and a.get("href") and rels & LOADING_RELS:
            kind = "CSS" if "stylesheet" in rels else "icon" if rels & {"icon", "shortcut", "apple-touch-icon", "mask-icon"} else "link"
            self.refs.loads.append((kind, a["href"]))
        elif tag == "script" and a.get("src"):
            self.refs.loads.append(("JS", a["src"]))
        elif tag in ("img", "source", "input", "video", "audio", "iframe", "embed", "track") and a.get("src"):
            self.refs.loads.append(("img" if tag in ("img", "source", "input") else tag, a["src"]))
        if a.get("srcset"):
            for candidate in a["srcset"].split(","):
                if candidate.strip():
                    self.refs.loads.append(("img", candidate.strip().split()[0]))
        if a.get("poster"):
            self.refs.loads.append(("img", a["poster"]))
        if tag == "object" and a.get("data"):
            self.refs.loads.append(("object", a["data"]))
        if tag == "form":
            self.refs.sends.append(a.get("action", ""))
        if a.get("formaction"):
            self.refs.sends.append(a["formaction"])
        if tag == "a" and a.get("href"):
            self.refs.links.append(a["href"])
        if a.get("style") and "url(" in a["style"]:
            self.refs.loads.extend(("img", m[0] or m[1]) for m in CSS_URL.findall(a["style"]))


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    header_bytes: int  # status line + headers as sent (about)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def get(base: str, path_or_url: str, headers: dict | None = None) -> Response:
    url = urllib.parse.urljoin(base + "/", path_or_url)
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                     headers={"Accept-Encoding": "identity", **(headers or {})})
        resp = conn.getresponse()
        body = resp.read()
        head = f"HTTP/1.1 {resp.status} {resp.reason}\r\n".encode() + resp.msg.as_bytes()
        return Response(resp.status, resp.msg, body, len(head))
    finally:
        conn.close()


def is_text(content_type: str) -> bool:
    return content_type.startswith(TEXT_TYPES)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def foreign(url: str, own: str) -> bool:
    """True when url names a host other than own ("host:port"). Relative URLs are ours."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme in ("mailto", "tel", "sms", "data", "javascript", "about"):
        return False  # no host: nothing is fetched from another site (and the CSP forbids javascript:)
    if not parts.netloc:
        return False
    return parts.netloc.lower() != own


@dataclass
class PageResult:
    path: str
    html_raw: int
    html_gz: int
    resources: list[tuple[str, str, int, int]]  # (kind, path, raw, counted)
    third_party: list[str]
    other_site_links: list[str]

    @property
    def cold_raw(self) -> int:
        return self.html_raw + sum(r[2] for r in self.resources)

    @property
    def cold_gz(self) -> int:
        return self.html_gz + sum(r[3] for r in self.resources)


def weigh(base: str, path: str) -> PageResult:
    own = urllib.parse.urlsplit(base).netloc.lower()
    page = get(base, path)
    if page.status != 200:
        raise BenchError(f"GET {path} answered {page.status}")
    if page.headers.get("Content-Encoding"):
        raise BenchError(f"the app already compressed {path} ({page.headers['Content-Encoding']})")
    parser = RefParser()
    parser.feed(page.body.decode("utf-8", "replace"))
    refs = parser.refs
    third = [f"loads {u}" for _k, u in refs.loads if foreign(u, own)]
    third += [f"form action {u}" for u in refs.sends if foreign(u, own)]
    csp = page.headers.get("Content-Security-Policy", "")
    for token in csp.replace(";", " ").split():
        if "." in token and not token.startswith("'") or token.startswith(("http:", "https:", "//")) or token == "*":
            third.append(f"CSP allows {token}")
    resources: list[tuple[str, str, int, int]] = []
    seen: set[str] = set()
    queue = [(k, urllib.parse.urljoin(base + path, u)) for k, u in refs.loads if not foreign(u, own)]
    while queue:
        kind, url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        res = get(base, url)
        if res.status != 200:
            raise BenchError(f"{kind} {url} (on {path}) answered {res.status}")
        counted = gz(res.body) if is_text(res.content_type) else len(res.body)
        resources.append((kind, urllib.parse.urlsplit(url).path, len(res.body), counted))
        if res.content_type.startswith("text/css"):
            for m in CSS_URL.findall(res.body.decode("utf-8", "replace")):
                ref = m[0] or m[1]
                if ref.startswith("data:"):
                    continue
                if foreign(ref, own):
                    third.append(f"CSS {urllib.parse.urlsplit(url).path} loads {ref}")
                else:
                    queue.append(("CSS" if m[1] else "img", urllib.parse.urljoin(url, ref)))
    links = sorted({u for u in refs.links if foreign(u, own)})
    return PageResult(path, len(page.body), gz(page.body), resources, third, links)


def static_caching(base: str, result: PageResult) -> tuple[list[str], int, int]:
    """What Flask says about caching static files; (notes, 304 header bytes each, files revalidated)."""
    notes = []
    statics = [r for r in result.resources if r[1].startswith("/static/")]
    bytes_304 = []
    for _kind, path, _raw, _c in statics:
        first = get(base, path)
        cc = first.headers.get("Cache-Control", "(none)")
        notes.append(f"{path}: Cache-Control: {cc}; ETag: {'yes' if first.headers.get('ETag') else 'no'}; "
                     f"Last-Modified: {'yes' if first.headers.get('Last-Modified') else 'no'}")
        cond = {}
        if first.headers.get("ETag"):
            cond["If-None-Match"] = first.headers["ETag"]
        if first.headers.get("Last-Modified"):
            cond["If-Modified-Since"] = first.headers["Last-Modified"]
        again = get(base, path, cond)
        notes[-1] += f"; conditional GET -> {again.status} ({len(again.body)} body bytes, about {again.header_bytes} header bytes)"
        if again.status == 304:
            bytes_304.append(again.header_bytes)
    avg = round(sum(bytes_304) / len(bytes_304)) if bytes_304 else 0
    return notes, avg, len(statics)


def main(argv: list[str] | None = None) -> int:
    if not (BIN / "gunicorn").exists():
        print(f"Cannot run: {BIN / 'gunicorn'} is missing (make venv).", file=sys.stderr)
        return 2

    def on_term(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    tmpdir = Path(tempfile.mkdtemp(prefix="voice-weight-"))
    server = None
    try:
        print(f"Voice page weight, {date.today().isoformat()}")
        print("preparing (SQLite, [SAMPLE] data, gunicorn --workers 2, as make run):")
        _db, env = prepare("sqlite", tmpdir, sample=True)
        server = Server("voice", "voice:create_app()", ROOT, env, 2, tmpdir)
        server.start()
        server.wait_ready(FORM_PATH)
        base = server.base
        sessions_html = get(base, "/sessions/").body.decode("utf-8", "replace")
        m = SESSION_LINK.search(sessions_html)
        results: list[PageResult] = []
        skipped: list[str] = []
        for path in PAGES:
            if path == "<a session>":
                if not m:
                    skipped.append("a session page: /sessions/ links to none")
                    continue
                path = m.group(1)
            if path in OPTIONAL:
                status = get(base, path).status
                if status != 200:
                    skipped.append(f"{path}: answered HTTP {status} (not built yet)")
                    continue
            results.append(weigh(base, path))

        print()
        print("== Bytes a phone downloads per page ==")
        print("cold = first visit: HTML + every CSS/JS/image/favicon it loads; warm = HTML only (static files cached)")
        print("gzip = Python's gzip -6 on text (HTML, CSS, JS, SVG), a stand-in for the reverse proxy; the app sends it uncompressed")
        head = f"{'page':<28} {'requests':>8} {'cold raw':>10} {'cold gzip':>10} {'warm gzip':>10}"
        print(head)
        print("-" * len(head))
        for r in results:
            print(f"{r.path:<28} {1 + len(r.resources):>8} {r.cold_raw:>10,} {r.cold_gz:>10,} {r.html_gz:>10,}")

        print()
        print("== Resources (the same on every page unless listed) ==")
        all_res: dict[str, tuple[str, int, int, set[str]]] = {}
        for r in results:
            for kind, path, raw, counted in r.resources:
                entry = all_res.setdefault(path, (kind, raw, counted, set()))
                entry[3].add(r.path)
        for path, (kind, raw, counted, pages) in all_res.items():
            where = "every page" if len(pages) == len(results) else ", ".join(sorted(pages))
            print(f"{kind:<5} {path:<36} {raw:>8,} raw {counted:>8,} gzip   ({where})")

        print()
        print("== Caching of static files (what Flask sends) ==")
        notes, bytes_304, n_static = static_caching(base, results[0])
        for line in notes:
            print(line)
        if bytes_304:
            print(f"=> the browser keeps the files but must revalidate each one on every page view: {n_static} conditional "
                  f"requests answered 304, about {bytes_304} header bytes each (~{n_static * bytes_304:,} bytes per page "
                  "on top of the warm figure, and one round trip each).")

        print()
        print("== Third-party hosts ==")
        failed = False
        for r in results:
            if r.third_party:
                failed = True
                print(f"FAIL {r.path}: " + "; ".join(r.third_party))
        if not failed:
            print(f"OK: none of the {len(results)} pages loads anything from, or sends a form to, another host "
                  "(HTML, linked CSS and the Content-Security-Policy checked)")
        links = sorted({u for r in results for u in r.other_site_links})
        if links:
            print("links to other sites (loaded only when tapped): " + ", ".join(links))
        else:
            print("no links to other sites either")
        for line in skipped:
            print(f"note: skipped {line}")
        return 1 if failed else 0
    except BenchError as exc:
        print(f"\nfailed: {exc}", file=sys.stderr)
        if server is not None:
            print(f"--- gunicorn log tail ---\n{server.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
