"""Admins manage accounts, read the audit log, and edit the reference data."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm

from ..locales import LOCALES
from ..reference import service as reference
from ..reference.models import Area, Service
from ..web import audit
from ..web.context import clock, links, locale_code, reference_choices, reference_names
from ..web.db import get_session
from ..web.login import roles_required
from ..web.routing import page_arg
from . import audit as audit_entries
from . import service
from .forms import KIND_LABELS, ROLE_LABELS, InviteForm, ReferenceForm, RoleMappingForm
from .models import User

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _with_services(form):
    """The service choice on the invitation and the group mapping forms."""
    form.service.choices = [("", "")] + reference_choices(Service)
    return form


def _service_id(slug: str) -> int | None:
    found = reference.by_slugs(Service, [slug], session=get_session()) if slug else []
    return found[0].id if found else None


def _accounts_page(form, status=200):
    db = get_session()
    return render_template(
        "admin/accounts.html", users=service.list_users(session=db), form=form, action_form=FlaskForm(),
        role_labels=ROLE_LABELS, kind_labels=KIND_LABELS,
        services={s.id: s for s in reference.all_rows(Service, session=db)},
    ), status


@bp.route("/accounts")
@roles_required("admin")
def accounts():
    return _accounts_page(_with_services(InviteForm(formdata=None)))


@bp.route("/accounts/invite", methods=["POST"])
@roles_required("admin")
def invite():
    db = get_session()
    form = _with_services(InviteForm())
    if form.validate_on_submit():
        service_id = _service_id(form.service.data) if form.role.data == "responder" else None
        try:
            link = service.invite(
                session=db, admin=g.account, email=form.email.data, role=form.role.data,
                role_label=str(ROLE_LABELS[form.role.data]), display_name=form.display_name.data,
                organisation=form.organisation.data or None, organisation_kind=form.organisation_kind.data or None,
                links=links(), now=clock().now(), locale=locale_code(), service_id=service_id,
            )
        except service.AccountExists:
            form.email.errors = [gettext("There is already an account with this e-mail address.")]
        else:
            audit.record("account_invited", "email", form.email.data,
                         {"role": form.role.data, **({"service": form.service.data} if service_id else {})})
            return render_template("admin/link_created.html", link=link, email=form.email.data, purpose="invite")
    return _accounts_page(form, 400)


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/accounts/<id:user_id>/<any(disable, enable, reset, concerns):action>", methods=["POST"])
@roles_required("admin")
def account_action(user_id: int, action: str):
    if not FlaskForm().validate_on_submit():
        abort(400)
    db = get_session()
    user = _user_or_404(user_id)
    admin = g.account
    if action in ("disable", "enable"):
        if user.id == admin.id:
            abort(400)
        service.set_active(session=db, user=user, active=action == "enable", now=clock().now())
        audit.record(f"account_{action}d", "user", user.id)
    elif action == "concerns":
        handles = service.toggle_concerns(session=db, user=user)
        audit.record("account_concerns_changed", "user", user.id, {"handles_concerns": handles})
    else:
        link = service.issue_reset(session=db, admin=admin, user=user, links=links(), now=clock().now(), locale=locale_code())
        audit.record("password_reset_issued", "user", user.id)
        return render_template("admin/link_created.html", link=link, email=user.email, purpose="reset")
    return redirect(url_for("admin.accounts"))


@bp.route("/audit")
@roles_required("admin")
def audit_log():
    db = get_session()
    page = page_arg()
    action = request.args.get("action") or None
    actor = (request.args.get("actor") or "").strip()[:254] or None
    entries = audit_entries.search(session=db, action=action, actor=actor, limit=51, offset=(page - 1) * 50)
    return render_template(
        "admin/audit.html", entries=entries[:50], has_next=len(entries) > 50, page=page,
        actions=audit_entries.actions(session=db), action=action, actor=actor or "",
        action_names=audit_entries.ACTION_NAMES,
    )


def _named(model):
    names = reference_names()
    return [(row, names(row)) for row in reference.all_rows(model, session=get_session())]


@bp.route("/reference")
@roles_required("admin")
def reference_list():
    db = get_session()
    groups = [(kind, reference.all_rows(model, session=db)) for kind, model in reference.MODELS.items()]
    return render_template("admin/reference.html", groups=groups, form=ReferenceForm(formdata=None))


@bp.route("/reference/<any(service, area, life_domain, unit):kind>/<id:ref_id>", methods=["GET", "POST"])
@bp.route("/reference/<any(service, area, life_domain, unit):kind>/new", methods=["GET", "POST"], defaults={"ref_id": None})
@roles_required("admin")
def reference_edit(kind: str, ref_id: int | None):
    db = get_session()
    model = reference.MODELS[kind]
    item = db.get(model, ref_id) if ref_id else None
    if ref_id and item is None:
        abort(404)
    form = ReferenceForm(obj=item)
    form.unit_service.choices = [("", "")] + [(str(s.id), name) for s, name in _named(Service)]
    form.unit_area.choices = [("", "")] + [(str(a.id), name) for a, name in _named(Area)]
    if request.method == "GET" and item:
        for code, name in reference.names_of(session=db, kind=kind, ref_id=item.id).items():
            getattr(form, f"name_{code}").data = name
        if kind == "unit":
            form.unit_kind.data, form.is_small.data = item.kind, item.is_small
            form.unit_service.data, form.unit_area.data = str(item.service_id), str(item.area_id or "")
    valid = request.method == "POST" and form.validate_on_submit()
    if valid and kind == "unit" and not form.unit_service.data:
        form.unit_service.errors = [gettext("Choose the service that runs this place.")]
        valid = False
    if valid:
        try:
            item = reference.save(
                session=db, kind=kind, item=item, slug=form.slug.data, name=form.name.data,
                position=form.position.data or 0, is_active=bool(form.is_active.data),
                names={code: getattr(form, f"name_{code}").data for code in LOCALES},
                answer_days=form.answer_days.data if kind == "service" else None,
                unit=reference.UnitDetails(
                    kind=form.unit_kind.data or "school", service_id=int(form.unit_service.data),
                    area_id=int(form.unit_area.data) if form.unit_area.data else None,
                    is_small=bool(form.is_small.data)) if kind == "unit" else None,
            )
        except reference.SlugTaken:
            form.slug.errors = [gettext("Another row already uses this short name.")]
        else:
            audit.record("reference_saved", kind, item.id, {"slug": item.slug})
            return redirect(url_for("admin.reference_list"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/reference_edit.html", form=form, kind=kind, item=item, locales=LOCALES.values()), status


@bp.route("/municipal-login", methods=["GET", "POST"])
@roles_required("admin")
def role_mappings():
    """Which groups at the municipal login service give which role in Voice."""
    from . import oidc

    db = get_session()
    form = _with_services(RoleMappingForm() if request.method == "POST" else RoleMappingForm(formdata=None))
    if request.method == "POST" and form.validate_on_submit():
        try:
            mapping = oidc.save_mapping(session=db, group=form.group.data, role=form.role.data,
                                        service_id=_service_id(form.service.data))
        except oidc.MappingError:
            form.group.errors = [gettext("Write the name of the group, as the login service sends it.")]
        else:
            audit.record("oidc_mapping_saved", "oidc_role_mapping", mapping.id,
                         {"group": mapping.group, "role": mapping.role,
                          **({"service": form.service.data} if mapping.service_id else {})})
            return redirect(url_for("admin.role_mappings"))
    settings = current_app.config.get("OIDC_SETTINGS")
    return render_template("admin/role_mappings.html", form=form, mappings=oidc.mappings(session=db),
                           from_environment=[(group, *oidc.split_role(value)) for group, value
                                             in sorted((settings.role_map if settings else {}).items())],
                           configured=settings is not None, role_labels=ROLE_LABELS, action_form=FlaskForm(),
                           services={s.id: s for s in reference.all_rows(Service, session=db)},
                           ), 400 if request.method == "POST" else 200


@bp.route("/municipal-login/<id:mapping_id>/remove", methods=["POST"])
@roles_required("admin")
def remove_role_mapping(mapping_id: int):
    from . import oidc

    if not FlaskForm().validate_on_submit():
        abort(400)
    removed = oidc.remove_mapping(session=get_session(), mapping_id=mapping_id)
    if removed is None:
        abort(404)
    audit.record("oidc_mapping_removed", "oidc_role_mapping", mapping_id, {"group": removed.group})
    return redirect(url_for("admin.role_mappings"))
