"""Staff: themes made and changed, and stories added to them from the moderation page."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext

from ..accounts.models import STAFF_ROLES
from ..moderation import service as moderation
from ..reference.models import Area, LifeDomain, Service
from ..web import audit
from ..web.context import clock, locale_code, reference_choices, reference_names
from ..web.db import get_session
from ..web.login import roles_required
from . import service
from .forms import AddToThemeForm, RemoveFromThemeForm, ResultForm, ThemeForm
from .models import STATUS_NAMES

bp = Blueprint("staff_themes", __name__, url_prefix="/moderation/themes")


def _choices(form) -> None:
    form.services.choices = reference_choices(Service)
    form.areas.choices = reference_choices(Area)
    form.domains.choices = reference_choices(LifeDomain)


def _form_for(theme=None):
    form = ThemeForm() if request.method == "POST" else ThemeForm(formdata=None)
    _choices(form)
    if request.method == "GET":
        if theme is None:
            form.lang.data = locale_code()
            form.status.data = "open"
        else:
            db = get_session()
            tags = service.tags_of(session=db, theme_ids=[theme.id])[theme.id]
            form.title.data, form.description.data, form.lang.data, form.status.data = (
                theme.title, theme.description, theme.lang, theme.status)
            form.services.data = [s.slug for s in tags["service"]]
            form.areas.data = [a.slug for a in tags["area"]]
            form.domains.data = [d.slug for d in tags["life_domain"]]
            for locale, text in service.all_texts(session=db, theme=theme).items():
                form[f"title_{locale}"].data, form[f"description_{locale}"].data = text.title, text.description
    return form


def _save(form, theme=None):
    data = service.ThemeInput(title=form.title.data, description=form.description.data or "", lang=form.lang.data,
                              status=form.status.data, services=form.services.data or [], areas=form.areas.data or [],
                              domains=form.domains.data or [], texts=form.translations())
    before = theme.status if theme else None
    saved = service.save_theme(session=get_session(), theme=theme, data=data, now=clock().now())
    detail = {"slug": saved.slug}
    if before != saved.status:
        detail["status"] = saved.status
    audit.record("theme_created" if theme is None else "theme_changed", "theme", saved.id, detail)
    return redirect(url_for("staff_themes.edit", theme_id=saved.id))


@bp.route("/", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def index():
    form = _form_for()
    if request.method == "POST" and form.validate_on_submit():
        return _save(form)
    db = get_session()
    themes = service.all_themes(session=db)
    counts = service.decided_counts(session=db, theme_ids=[t.id for t in themes])
    return render_template("themes/staff_index.html", themes=themes, counts=counts, form=form,
                           status_names=STATUS_NAMES), \
        400 if request.method == "POST" else 200


@bp.route("/<id:theme_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit(theme_id: int):
    from .models import Theme

    theme = get_session().get(Theme, theme_id)
    if theme is None:
        abort(404)
    form = _form_for(theme)
    if request.method == "POST" and form.validate_on_submit():
        return _save(form, theme)
    return _edit_page(theme, form=form, status=400 if request.method == "POST" else 200)


def _result_form(theme, formdata=True):
    db = get_session()
    # Its own prefix: the theme's form on the same page has a "lang" too (ids must be unique).
    form = ResultForm(prefix="result") if formdata else ResultForm(formdata=None, prefix="result")
    names = reference_names()
    tagged = service.tags_of(session=db, theme_ids=[theme.id])[theme.id]["service"]
    form.service.choices = [(str(s.id), names(s)) for s in tagged]
    if not tagged:  # a theme without services may answer for any
        from ..reference.models import Service as Svc
        from ..reference.service import active

        form.service.choices = [(str(s.id), names(s)) for s in active(Svc, session=db)]
    form.session.choices = [("", gettext("None"))] + [(str(c.id), c.title) for c in service.sessions_of(session=db, theme=theme)]
    if not formdata:
        form.lang.data = locale_code()
    return form


def _edit_page(theme, *, form=None, result_form=None, status=200):
    db = get_session()
    count = service.decided_counts(session=db, theme_ids=[theme.id]).get(theme.id, 0)
    return render_template("themes/staff_edit.html", theme=theme, form=form or _form_for(theme), count=count,
                           result_form=result_form or _result_form(theme, formdata=False),
                           results=service.results_of(session=db, theme=theme, checked_only=False)), status


@bp.route("/<id:theme_id>/result", methods=["POST"])
@roles_required(*STAFF_ROLES)
def post_result(theme_id: int):
    from .models import Theme

    db = get_session()
    theme = db.get(Theme, theme_id)
    if theme is None:
        abort(404)
    form = _result_form(theme)
    if not form.validate_on_submit():
        return _edit_page(theme, result_form=form, status=400)
    result = service.post_result(session=db, theme=theme, author_id=g.account.id, now=clock().now(), data=service.ResultInput(
        service_id=int(form.service.data), text=form.text.data, lang=form.lang.data, change_status=form.change_status.data,
        review_on=form.review_on.data, session_id=int(form.session.data) if (form.session.data or "").isdecimal() else None))
    audit.record("theme_result_posted", "theme", theme.id, {"stories": result.stories, "change": result.change_status})
    return redirect(url_for("staff_themes.edit", theme_id=theme.id) + "#result")


@bp.route("/<id:theme_id>/result/<id:result_id>/check", methods=["POST"])
@roles_required(*STAFF_ROLES)
def check_result(theme_id: int, result_id: int):
    from ..forms import VoiceForm
    from .models import Theme, ThemeResult

    db = get_session()
    theme, result = db.get(Theme, theme_id), db.get(ThemeResult, result_id)
    if theme is None or result is None or result.theme_id != theme.id:
        abort(404)
    if not VoiceForm().validate_on_submit():
        abort(400)
    try:
        shown = service.check_result(session=db, result=result, moderator_id=g.account.id, now=clock().now())
    except service.CheckError:
        abort(409)  # already checked, or posted by this moderator: the page says so, no button
    audit.record("theme_result_checked", "theme", theme.id, {"result": result.id, "stories": shown})
    return redirect(url_for("staff_themes.edit", theme_id=theme.id) + "#result")


def _story_and_theme(public_id: str, theme_id: str):
    from .models import Theme

    db = get_session()
    experience = moderation.get_for(session=db, public_id=public_id[:64], user=g.account)
    theme = db.get(Theme, int(theme_id)) if (theme_id or "").isdecimal() and len(theme_id) < 10 else None
    if experience is None or theme is None:
        abort(404)
    return experience, theme


@bp.route("/story/<public_id>/add", methods=["POST"])
@roles_required(*STAFF_ROLES)
def add_story(public_id: str):
    form = AddToThemeForm()
    form.theme.choices = [(str(t.id), t.title) for t in service.all_themes(session=get_session())]
    if not form.validate_on_submit():
        abort(400)
    experience, theme = _story_and_theme(public_id, form.theme.data)
    try:
        added = service.add_story(session=get_session(), theme=theme, experience=experience, now=clock().now())
    except ValueError:
        abort(409)  # not decided yet: the page offers themes only to decided stories
    if added:
        audit.record("story_added_to_theme", "theme", theme.id, {"story": experience.public_id})
    return redirect(url_for("moderation.experience", public_id=experience.public_id) + "#themes")


@bp.route("/story/<public_id>/remove", methods=["POST"])
@roles_required(*STAFF_ROLES)
def remove_story(public_id: str):
    form = RemoveFromThemeForm()
    if not form.validate_on_submit():
        abort(400)
    experience, theme = _story_and_theme(public_id, form.theme.data)
    service.remove_story(session=get_session(), theme=theme, experience=experience)
    audit.record("story_removed_from_theme", "theme", theme.id, {"story": experience.public_id})
    return redirect(url_for("moderation.experience", public_id=experience.public_id) + "#themes")
