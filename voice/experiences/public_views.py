"""Published stories: anyone may read them, filter them and report one."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from ..db import get_session
from ..extensions import limiter
from ..forms import honeypot_filled
from ..moderation import service as moderation
from ..moderation.forms import ReportForm
from ..reference.models import Area, LifeDomain, Service
from ..reference.service import choices
from . import labels

bp = Blueprint("stories", __name__, url_prefix="/stories")


def _valid(value: str | None, options: list[tuple[str, str]]) -> str | None:
    return value if value and value in {slug for slug, _ in options} else None


@bp.route("/")
def index():
    db = get_session()
    options = {"service": choices(Service, session=db), "area": choices(Area, session=db), "domain": choices(LifeDomain, session=db)}
    chosen = {key: _valid(request.args.get(key), opts) for key, opts in options.items()}
    page = min(max(request.args.get("page", 1, type=int), 1), 10_000)
    items, has_next = moderation.public_stories(session=db, page=page, **chosen)
    template = "stories/_list.html" if request.htmx and not request.htmx.boosted else "stories/index.html"
    return render_template(template, items=items, has_next=has_next, page=page, options=options, chosen=chosen, labels=labels)


@bp.route("/<public_id>/report", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def report(public_id: str):
    db = get_session()
    experience = moderation.public_story(session=db, public_id=public_id[:64])
    if experience is None:
        abort(404)
    form = ReportForm()
    if request.method == "POST":
        if honeypot_filled(form):
            abort(400)
        if form.validate_on_submit():
            moderation.report(session=db, experience=experience, reason=form.reason.data, comment=form.comment.data or "",
                              hide_at=current_app.config["REPORTS_TO_HIDE"])
            return render_template("stories/reported.html")
        return render_template("stories/report.html", form=form, experience=experience), 400
    return render_template("stories/report.html", form=form, experience=experience)
