"""Absolute links for e-mail, calendar files and jobs, from ``PUBLIC_BASE_URL``.

A link that leaves the site (in an e-mail or a calendar file) must never come
from the request's Host header, and it must be possible to build one where no
request exists (a command, the job worker). ``Links`` binds the app's URL map
(werkzeug routing, not Flask) to the configured public address once; services
take it as an explicit ``links`` argument and call ``links("endpoint", **values)``.
"""
from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from werkzeug.routing import Map


class LinkBuilder(Protocol):
    def __call__(self, endpoint: str, /, **values) -> str: ...


def check_base_url(base_url: str) -> str:
    """The configured public address without a trailing slash; ValueError if it is not one."""
    parts = urlsplit((base_url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"PUBLIC_BASE_URL must be an http(s) address like https://voice.example.no, not {base_url!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class Links:
    def __init__(self, url_map: Map, base_url: str):
        parts = urlsplit(check_base_url(base_url))
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self.host = parts.hostname or ""
        self._adapter = url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)

    def __call__(self, endpoint: str, /, **values) -> str:
        return self._adapter.build(endpoint, {k: v for k, v in values.items() if v is not None}, force_external=True)
