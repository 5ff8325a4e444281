"""Staff: the queue, one story (redact, tag, decide, answer), exports."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext

from .. import pii
from ..accounts import audit
from ..accounts.auth import roles_required
from ..db import after_commit, get_session
from ..experiences import labels
from ..experiences.service import load_view
from ..reference.models import Area, LifeDomain, Service
from ..reference.service import choices, display_name
from . import export, service
from .forms import REPORT_LABELS, AnswerForm, DecisionForm, ExportForm
from .models import ExportJob

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
STAFF = ("moderator", "admin")
DECISION_ERRORS = {
    "no_consent": ("decision", lambda: gettext("The family did not allow publishing. Choose “Keep internal”.")),
    "concern_not_public": ("decision", lambda: gettext("A story marked as a serious concern can never be published.")),
    "reason_required": ("reject_reason", lambda: gettext("Write why the story is rejected.")),
    "no_service": ("services", lambda: gettext("Choose at least one service.")),
    "unknown_decision": ("decision", lambda: gettext("Choose a decision.")),
}


@bp.route("/")
@roles_required(*STAFF)
def queue():
    return render_template("moderation/queue.html", items=service.queue(session=get_session(), user=g.account), labels=labels)


def _story_or_404(public_id: str):
    experience = service.get_for(session=get_session(), public_id=public_id, user=g.account)
    if experience is None:
        audit.record_now(g.account, "access_denied", "experience", public_id[:64])
        abort(404)
    return experience


def _decision_form(experience, view, formdata=True):
    db = get_session()
    form = DecisionForm() if formdata else DecisionForm(formdata=None)
    form.services.choices = choices(Service, session=db)
    form.domains.choices = choices(LifeDomain, session=db)
    form.area.choices = [("", "")] + choices(Area, session=db)
    if not formdata:
        form.services.data = [s.slug for s in view.services]
        form.domains.data = [d.slug for d in view.domains]
        form.area.data = view.area.slug if view.area else ""
        form.published_story.data = experience.published_story or experience.story
        form.translation.data = experience.translation
        form.translation_lang.data = experience.translation_lang or "nb"
        form.serious_concern.data = experience.serious_concern
        form.decision.data = experience.status if experience.status != "new" else None
        form.reject_reason.data = experience.reject_reason
    return form


def _answer_form(view, formdata=True):
    form = AnswerForm() if formdata else AnswerForm(formdata=None)
    form.service.choices = [(str(s.id), display_name(s)) for s in view.services]
    if not formdata:
        form.lang.data = g.locale.code
    return form


def _page(experience, decision_form=None, answer_form=None, status=200, saved=None):
    db = get_session()
    view = load_view(session=db, experience=experience)
    matches = pii.find_pii(experience.story)
    return render_template(
        "moderation/story.html",
        view=view,
        segments=pii.highlight_segments(experience.story, matches),
        pii_kinds=sorted({labels.PII_LABELS[m.kind] for m in matches}),
        follow_up_segments=[(f, pii.highlight_segments(f.text, pii.find_pii(f.text))) for f in view.follow_ups],
        reports=service.reports_for(session=db, experience=experience),
        form=decision_form or _decision_form(experience, view, formdata=False),
        answer_form=answer_form or _answer_form(view, formdata=False),
        labels=labels,
        report_labels=REPORT_LABELS,
        saved=saved,
    ), status


@bp.route("/stories/<public_id>")
@roles_required(*STAFF)
def story(public_id: str):
    return _page(_story_or_404(public_id))


@bp.route("/stories/<public_id>/decide", methods=["POST"])
@roles_required(*STAFF)
def decide(public_id: str):
    db = get_session()
    experience = _story_or_404(public_id)
    view = load_view(session=db, experience=experience)
    form = _decision_form(experience, view)
    if not form.validate_on_submit():
        return _page(experience, decision_form=form, status=400)
    try:
        service.tag_and_decide(
            session=db, experience=experience, moderator=g.account, service_slugs=form.services.data,
            area_slug=form.area.data or None, domain_slugs=form.domains.data or [], decision=form.decision.data,
            published_story=form.published_story.data or "", reject_reason=form.reject_reason.data or "",
            serious_concern=bool(form.serious_concern.data), translation=form.translation.data or "",
            translation_lang=form.translation_lang.data or "",
        )
    except service.DecisionError as exc:
        field, message = DECISION_ERRORS[str(exc)]
        getattr(form, field).errors = [message()]
        db.rollback()
        return _page(experience, decision_form=form, status=400)
    audit.record(db, g.account, f"story_{form.decision.data}", "experience", experience.public_id,
                 {"serious_concern": experience.serious_concern, "edited": experience.published_story != experience.story})
    return redirect(url_for("moderation.queue"))


@bp.route("/stories/<public_id>/answer", methods=["POST"])
@roles_required(*STAFF)
def answer(public_id: str):
    db = get_session()
    experience = _story_or_404(public_id)
    view = load_view(session=db, experience=experience)
    form = _answer_form(view)
    if not form.validate_on_submit():
        return _page(experience, answer_form=form, status=400)
    try:
        service.answer(session=db, experience=experience, moderator=g.account, service_id=int(form.service.data),
                       text=form.text.data, change_status=form.change_status.data, lang=form.lang.data)
    except service.DecisionError:
        abort(400)
    audit.record(db, g.account, "story_answered", "experience", experience.public_id, {"change": form.change_status.data})
    return redirect(url_for("moderation.story", public_id=public_id, _anchor="answers"))


def _export_form(formdata=True):
    db = get_session()
    form = ExportForm() if formdata else ExportForm(formdata=None)
    form.service.choices = [("", gettext("All"))] + choices(Service, session=db)
    form.area.choices = [("", gettext("All"))] + choices(Area, session=db)
    form.domain.choices = [("", gettext("All"))] + choices(LifeDomain, session=db)
    return form


@bp.route("/export", methods=["GET", "POST"])
@roles_required(*STAFF)
def export_start():
    form = _export_form(formdata=request.method == "POST")
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("moderation/export.html", form=form), status
    if form.date_from.data and form.date_to.data and form.date_from.data > form.date_to.data:
        form.date_to.errors = [gettext("The end date must be on or after the start date.")]
        return render_template("moderation/export.html", form=form), 400
    db = get_session()
    filters = {
        "date_from": form.date_from.data.isoformat() if form.date_from.data else None,
        "date_to": form.date_to.data.isoformat() if form.date_to.data else None,
        "service": form.service.data or None, "area": form.area.data or None,
        "domain": form.domain.data or None, "status": form.status.data or None,
    }
    job = ExportJob(user_id=g.account.id, file_format=form.format.data, filters=json.dumps(filters),
                    purpose=form.purpose.data, locale=g.locale.code)
    db.add(job)
    db.flush()
    audit.record(db, g.account, "export_requested", "export", job.id,
                 {"purpose": form.purpose.data, "format": form.format.data, "filters": filters})
    app, job_id = current_app._get_current_object(), job.id
    after_commit(lambda: export.start_job(app, job_id))  # the worker must see the stored job
    return redirect(url_for("moderation.export_status", job_id=job.id))


def _job_or_404(job_id: int) -> ExportJob:
    job = get_session().get(ExportJob, job_id)
    if job is None or (job.user_id != g.account.id and g.account.role != "admin"):
        abort(404)
    return job


@bp.route("/export/<int:job_id>")
@roles_required(*STAFF)
def export_status(job_id: int):
    job = _job_or_404(job_id)
    template = "moderation/_export_progress.html" if request.htmx else "moderation/export_status.html"
    return render_template(template, job=job)


@bp.route("/export/<int:job_id>/download")
@roles_required(*STAFF)
def export_download(job_id: int):
    job = _job_or_404(job_id)
    if job.status != "done":
        abort(404)
    path = Path(current_app.config["EXPORT_DIR"]) / job.file_name
    if not path.is_file():
        abort(404)
    audit.record(get_session(), g.account, "export_downloaded", "export", job.id, {"purpose": job.purpose})
    mimetypes = {"csv": "text/csv; charset=utf-8", "json": "application/json",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    return send_file(path, mimetype=mimetypes[job.file_format], as_attachment=True,
                     download_name=f"voice-export-{job.created_at:%Y%m%d}-{job.id}.{job.file_format}")
