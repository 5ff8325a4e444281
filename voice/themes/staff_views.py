"""Staff: themes made and changed, and stories added to them from the moderation page."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from ..accounts.models import STAFF_ROLES
from ..moderation import service as moderation
from ..reference.models import Area, LifeDomain, Service
from ..web import audit
from ..web.context import clock, locale_code, reference_choices
from ..web.db import get_session
from ..web.login import roles_required
from . import service
from .forms import AddToThemeForm, RemoveFromThemeForm, ThemeForm
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
    count = service.decided_counts(session=get_session(), theme_ids=[theme.id]).get(theme.id, 0)
    return render_template("themes/staff_edit.html", theme=theme, form=form, count=count), \
        400 if request.method == "POST" else 200


def _story_and_theme(public_id: str, theme_id: str):
    from .models import Theme

    db = get_session()
    experience = moderation.get_for(session=db, public_id=public_id[:64], user=g.account)
    theme = db.get(Theme, int(theme_id)) if (theme_id or "").isdigit() and len(theme_id) < 10 else None
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
