"""Helpers templates use for display only (no logic that decides anything)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, g, request
from flask_babel import format_date, format_datetime, format_time
from markupsafe import Markup
from flask_login import current_user

from .reference.service import display_name
from .security import clean_html


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        ref_name=display_name,
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
    )
    # The few fields that allow formatting are cleaned when saved and again here.
    app.jinja_env.filters["cleaned"] = lambda value: Markup(clean_html(value or ""))

    # Static files are cached for a year; their URLs carry a hash of the content,
    # so a changed file gets a new URL (no revalidation round trips on a phone).
    if app.config.get("SEND_FILE_MAX_AGE_DEFAULT") is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 365 * 24 * 3600
    static_hashes: dict[str, str] = {}

    @app.url_defaults
    def _static_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            filename = values["filename"]
            if filename not in static_hashes:
                path = Path(app.static_folder) / filename
                static_hashes[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else ""
            if static_hashes[filename]:
                values["v"] = static_hashes[filename]

    @app.before_request
    def _forget_request_caches():
        # pytest-flask keeps one app context (and so one g) across requests.
        for key in ("reference_names", "account", "csrf_token", "_login_user"):
            g.pop(key, None)

    @app.context_processor
    def _staff_navigation():
        """The moderators' count of waiting stories, only for signed-in staff."""
        from sqlalchemy.exc import SQLAlchemyError

        from .db import get_session
        from .moderation.service import waiting_count

        try:
            if not current_user.is_authenticated:
                return {"account": None, "waiting_count": None}
            account = current_user.user
            waiting = waiting_count(session=get_session(), user=account) if account.role in ("moderator", "admin") else None
        except SQLAlchemyError:  # the error page for a database outage must still render
            return {"account": None, "waiting_count": None}
        return {"account": account, "waiting_count": waiting}

    @app.context_processor
    def _partial():
        # An htmx request gets only the page's main part; a history restore gets all.
        htmx = getattr(request, "htmx", None)
        return {"is_partial": bool(htmx) and not htmx.history_restore_request}
