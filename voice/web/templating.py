"""Helpers templates use for display only (no logic that decides anything), and
the one choice between a whole page and the fragment an htmx request asks for."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, render_template, request
from flask_babel import format_date, format_datetime, format_decimal, format_time
from flask_login import current_user
from markupsafe import Markup

from ..htmlclean import clean_html
from .context import clock, page_translator, reference_names


def _span(start, end) -> str:
    return page_translator().span(start, end, this_year=clock().today().year)


def _day(value) -> str:
    return page_translator().day(value, this_year=clock().today().year)


def wants_fragment() -> bool:
    """An htmx request (not a boosted link, not a history restore) gets only the part it swaps."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(template: str, *, fragment: str | None = None, **context) -> str:
    """``fragment`` for an htmx request that swaps a part of the page, else the whole ``template``."""
    return render_template(fragment if fragment and wants_fragment() else template, **context)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        ref_name=lambda item: reference_names()(item),
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
        format_decimal=format_decimal,
        # Dates and lists as people write them in the page's language (voice/locales.py).
        span=_span, day=_day, moment=lambda value: page_translator().moment(value),
        listing=lambda items: page_translator().format_list([str(item) for item in items]),
    )
    app.jinja_env.filters["ref_name"] = lambda item: reference_names()(item)
    # The few fields that allow formatting are cleaned when saved and again here.
    app.jinja_env.filters["cleaned"] = lambda value: Markup(clean_html(value or ""))

    # Static files are cached for a year; their URLs carry a hash of the content,
    # so a changed file gets a new URL (no revalidation round trips on a phone).
    if app.config.get("SEND_FILE_MAX_AGE_DEFAULT") is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 365 * 24 * 3600
    static_hashes: dict[str, str] = {}

    @app.after_request
    def _static_cache(response):
        """A versioned file (?v=<hash>) never changes: a phone keeps it a year without asking
        again (immutable). One asked for without its version is checked each time."""
        if request.endpoint == "static" and response.status_code in (200, 304):
            response.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if request.args.get("v")
                                                 else "no-cache")
        return response

    @app.url_defaults
    def _static_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            filename = values["filename"]
            if filename not in static_hashes:
                path = Path(app.static_folder) / filename
                static_hashes[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else ""
            if static_hashes[filename]:
                values["v"] = static_hashes[filename]

    @app.context_processor
    def _staff_navigation():
        """The moderators' count of waiting stories, only for signed-in staff."""
        from sqlalchemy.exc import SQLAlchemyError

        from ..moderation.service import waiting_count
        from .db import get_session

        try:
            if not current_user.is_authenticated:
                return {"account": None, "waiting_count": None}
            account = current_user.user
            waiting = waiting_count(session=get_session(), user=account) if account.may_moderate else None
        except SQLAlchemyError:  # the error page for a database outage must still render
            return {"account": None, "waiting_count": None}
        return {"account": account, "waiting_count": waiting}

    @app.context_processor
    def _partial():
        # An htmx request gets only the page's main part; a history restore gets all.
        htmx = getattr(request, "htmx", None)
        return {"is_partial": bool(htmx) and not htmx.history_restore_request}
