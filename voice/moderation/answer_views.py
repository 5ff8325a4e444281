"""Those who answer for one service: the published stories that name it, and the answer form.
They do not moderate: they read what was published and answer in their service's name."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, url_for

from ..experiences import labels
from ..experiences.service import load_view
from ..reference.models import Service
from ..web import audit
from ..web.context import clock, locale_code
from ..web.db import get_session
from ..web.login import roles_required
from . import responders, service
from .forms import OwnServiceAnswerForm

bp = Blueprint("answers", __name__, url_prefix="/answers")


def _service() -> Service:
    found = get_session().get(Service, g.account.service_id)
    if found is None:
        abort(403)
    return found


@bp.route("/")
@roles_required("responder")
def index():
    own = _service()
    return render_template("answers/index.html", service=own, today=clock().today(),
                           items=responders.stories(session=get_session(), service=own))


def _form(formdata=True) -> OwnServiceAnswerForm:
    form = OwnServiceAnswerForm() if formdata else OwnServiceAnswerForm(formdata=None)
    if not formdata:
        form.lang.data = locale_code()
    return form


def _story_or_404(own: Service, public_id: str):
    found = responders.story(session=get_session(), public_id=public_id[:64], service_id=own.id)
    if found is None:
        audit.record_always("access_denied", "experience", public_id[:64])
        abort(404)
    return found


def _page(own: Service, found, form: OwnServiceAnswerForm, status: int = 200):
    view = load_view(session=get_session(), experience=found)
    return render_template("answers/story.html", view=view, form=form, service=own, labels=labels,
                           answers=[a for a, answered_for in view.answers if answered_for.id == own.id]), status


@bp.route("/<public_id>")
@roles_required("responder")
def story(public_id: str):
    own = _service()
    return _page(own, _story_or_404(own, public_id), _form(formdata=False))


@bp.route("/<public_id>", methods=["POST"])
@roles_required("responder")
def answer(public_id: str):
    own = _service()
    found = _story_or_404(own, public_id)
    form = _form()
    if not form.validate_on_submit():
        return _page(own, found, form, 400)
    try:
        service.answer(session=get_session(), experience=found, moderator=g.account, service_id=own.id,
                       text=form.text.data, change_status=form.change_status.data, lang=form.lang.data,
                       trust_after=current_app.config["ANSWER_TRUST_AFTER"])
    except service.DecisionError:
        abort(400)
    audit.record("story_answered", "experience", found.public_id, {"change": form.change_status.data})
    return redirect(url_for("answers.story", public_id=found.public_id, _anchor="answers"))
