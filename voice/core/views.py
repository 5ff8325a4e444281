"""Home, information pages and the health check."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import text

from ..web.db import get_session

bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    return render_template("core/home.html")


@bp.route("/privacy")
def privacy():
    return render_template("core/privacy.html")


@bp.route("/accessibility")
def accessibility():
    return render_template("core/accessibility.html")


@bp.route("/healthz")
def health():
    get_session().execute(text("SELECT 1"))
    return {"status": "ok"}
