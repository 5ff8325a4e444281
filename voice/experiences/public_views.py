"""Published stories: anyone may read them, filter them and report one."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ..extensions import limiter
from ..forms import honeypot_filled
from ..moderation import service as moderation
from ..reference.models import Area, LifeDomain, Service
from ..web.context import browser_id, clock, keyed, links, reference_choices, remote_addr, setting
from ..web.db import get_session
from ..web.routing import page_arg
from ..web.templating import render_page
from . import labels, service
from .forms import ReportForm

bp = Blueprint("stories", __name__, url_prefix="/stories")


def _reporter() -> service.Reporter:
    """This browser (a random id kept in its session) and its address, as keyed hashes."""
    return service.Reporter(browser_key=keyed("browser:" + browser_id()), address_key=keyed("address:" + remote_addr()))


def _valid(value: str | None, options: list[tuple[str, str]]) -> str | None:
    return value if value and value in {slug for slug, _ in options} else None


@bp.route("/")
def index():
    options = {"service": reference_choices(Service), "area": reference_choices(Area), "domain": reference_choices(LifeDomain)}
    chosen = {key: _valid(request.args.get(key), opts) for key, opts in options.items()}
    page = page_arg()
    items, has_next = service.published_stories(session=get_session(), page=page, **chosen)
    return render_page("stories/index.html", fragment="stories/_list.html", items=items, has_next=has_next, page=page,
                       options=options, chosen=chosen, labels=labels)


@bp.route("/<public_id>/report", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def report(public_id: str):
    db = get_session()
    experience = service.published_story(session=db, public_id=public_id[:64])
    if experience is None:
        abort(404)
    form = ReportForm()
    if request.method == "POST":
        if honeypot_filled(form):
            abort(400)
        if form.validate_on_submit():
            hidden = service.report_story(session=db, experience=experience, reason=form.reason.data,
                                          comment=form.comment.data or "", hide_at=setting("REPORTS_TO_HIDE"),
                                          reporter=_reporter(), now=clock().now())
            if hidden:
                moderation.tell_about_hidden_story(session=db, experience=experience, links=links())
            return render_template("stories/reported.html")
        return render_template("stories/report.html", form=form, experience=experience), 400
    return render_template("stories/report.html", form=form, experience=experience)
