"""Helpers templates use for display only (no logic that decides anything)."""
from __future__ import annotations

from flask import Flask, request
from flask_babel import format_date, format_datetime

from .reference.service import display_name


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        ref_name=display_name,
        format_date=format_date,
        format_datetime=format_datetime,
    )

    @app.context_processor
    def _partial():
        # An htmx request gets only the page's main part; a history restore gets all.
        htmx = getattr(request, "htmx", None)
        return {"is_partial": bool(htmx) and not htmx.history_restore_request}
