"""Staff: the queue, one experience (redact, tag, decide, answer), exports."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from sqlmodel import select

from .. import pii
from ..accounts.models import STAFF_ROLES
from ..experiences import labels, unit_guard
from ..experiences.models import Experience
from ..experiences.service import load_view
from ..forms import PurposeForm, VoiceForm
from ..jobs import tasks
from ..reference.models import Area, LifeDomain, Service, Unit
from ..themes import service as themes
from ..themes.forms import AddToThemeForm
from ..web import audit
from ..web.context import clock, locale_code, reference_choices, reference_names
from ..web.db import get_session
from ..web.downloads import download
from ..web.jobs import later, worker_late_minutes
from ..web.login import roles_required
from ..web.templating import render_page
from . import deadlines, export, redactions, service
from .forms import RULE_KIND_CHOICES, RULE_SCOPE_CHOICES, AnswerForm, CriticalityForm, DecisionForm, ExportForm, RedactionRuleForm
from .models import ExportJob, RedactionRule

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
DECISION_ERRORS = {
    "no_consent": ("decision", lambda: gettext("The family did not allow publishing. Choose “Keep internal”.")),
    "concern_not_public": ("decision", lambda: gettext("A story marked as a serious concern can never be published.")),
    "reason_required": ("reject_reason", lambda: gettext("Write why the story is rejected.")),
    "no_service": ("services", lambda: gettext("Choose at least one service.")),
    "unknown_decision": ("decision", lambda: gettext("Choose a decision.")),
}
RULE_ERRORS = {
    "bad_pattern": ("text", lambda: gettext("This pattern is not a valid regular expression.")),
    "matches_nothing": ("text", lambda: gettext("This pattern matches an empty text, so it would change every story.")),
    "too_slow": ("text", lambda: gettext("This pattern takes too long to run. Make it simpler.")),
    "empty": ("text", lambda: gettext("Write the phrase or pattern to remove.")),
    "scope": ("scope", lambda: gettext("Choose where the rule applies.")),
    "service_required": ("service", lambda: gettext("Choose the service.")),
    "story_required": ("scope", lambda: gettext("A rule for one story is saved from that story's page.")),
}
DOWNLOAD_TYPES = {"csv": "text/csv", "json": "application/json",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.route("/")
@roles_required(*STAFF_ROLES)
def queue():
    db = get_session()
    now = clock().now()
    return render_template("moderation/queue.html", items=service.queue(session=db, user=g.account), labels=labels,
                           feedback=service.waiting_feedback(session=db, user=g.account),
                           claims=service.waiting_claims(session=db, user=g.account),
                           results=themes.waiting_results(session=db), held=service.held(session=db, user=g.account),
                           workload=service.workload(session=db, user=g.account, today=clock().today(), now=now))


@bp.route("/feedback/<id:feedback_id>/<any(published, internal, rejected):decision>", methods=["POST"])
@roles_required(*STAFF_ROLES)
def feedback(feedback_id: int, decision: str):
    from ..experiences.models import ChangeFeedback
    from ..forms import VoiceForm

    db = get_session()
    found = db.get(ChangeFeedback, feedback_id)
    if found is None or not VoiceForm().validate_on_submit():
        abort(404 if found is None else 400)
    _experience_or_404(db.get(Experience, found.experience_id).public_id)  # may this user see the story?
    service.decide_feedback(session=db, feedback=found, decision=decision)
    audit.record(f"feedback_{decision}", "experience", found.experience_id)
    return redirect(url_for("moderation.queue") + "#feedback")


def min_stories() -> int:
    """k of the small-unit guard (UNIT_MIN_STORIES, never below its floor)."""
    return unit_guard.floor(current_app.config["UNIT_MIN_STORIES"])


def _experience_or_404(public_id: str):
    experience = service.get_for(session=get_session(), public_id=public_id[:64], user=g.account)
    if experience is None:
        audit.record_always("access_denied", "experience", public_id[:64])
        abort(404)
    return experience


def _tag_choices(form) -> None:
    form.services.choices = reference_choices(Service)
    form.domains.choices = reference_choices(LifeDomain)
    form.area.choices = [("", "")] + reference_choices(Area)
    if hasattr(form, "unit"):
        form.unit.choices = [("", "")] + reference_choices(Unit)


def _decision_form(experience, view, formdata=True):
    form = DecisionForm() if formdata else DecisionForm(formdata=None)
    _tag_choices(form)
    if not formdata:
        form.services.data = [s.slug for s in view.services]
        form.domains.data = [d.slug for d in view.domains]
        form.area.data = view.area.slug if view.area else ""
        form.unit.data = view.unit.slug if view.unit else ""
        form.unit_removed.data = experience.unit_removed
        form.published_story.data = experience.published_story or experience.story
        form.translation.data = experience.translation
        form.translation_lang.data = experience.translation_lang or "nb"
        form.serious_concern.data = experience.serious_concern
        form.decision.data = {"new": None, "held": "published"}.get(experience.status, experience.status)
        form.reject_reason.data = experience.reject_reason
    return form


def _answer_form(view, formdata=True):
    form = AnswerForm() if formdata else AnswerForm(formdata=None)
    names = reference_names()
    form.service.choices = [(str(s.id), names(s)) for s in view.services]
    if not formdata:
        form.lang.data = locale_code()
    return form


def _criticality_form(experience, formdata=True):
    form = CriticalityForm() if formdata else CriticalityForm(formdata=None)
    if not formdata:
        form.criticality.data = str(experience.criticality)
    return form


def _page(experience, view, decision_form=None, answer_form=None, criticality_form=None, status=200):
    db = get_session()
    matches = pii.find_pii(experience.story)
    return render_template(
        "moderation/experience.html",
        view=view,
        segments=pii.highlight_segments(experience.story, matches),
        pii_kinds=sorted({labels.PII_LABELS[m.kind] for m in matches}),
        follow_up_segments=[(f, pii.highlight_segments(f.text, pii.find_pii(f.text))) for f in view.follow_ups],
        reports=service.reports_for(session=db, experience=experience),
        form=decision_form or _decision_form(experience, view, formdata=False),
        answer_form=answer_form or _answer_form(view, formdata=False),
        criticality_form=criticality_form or _criticality_form(experience, formdata=False),
        labels=labels, hold=unit_guard.hold_for(session=db, experience=experience, k=min_stories()),
        **_themes_box(db, experience),
    ), status


def _themes_box(db, experience) -> dict:
    """The themes the story is in, the ones similar stories are in, and any theme to add it to."""
    add_form = AddToThemeForm(formdata=None)
    add_form.theme.choices = [("", gettext("Choose a theme"))] + [
        (str(t.id), t.title) for t in themes.all_themes(session=db) if t.status != "closed"]
    return {"in_themes": themes.themes_of(session=db, experience=experience),
            "suggested": themes.suggestions(session=db, experience=experience), "add_theme_form": add_form}


@bp.route("/experiences/<public_id>")
@roles_required(*STAFF_ROLES)
def experience(public_id: str):
    found = _experience_or_404(public_id)
    return _page(found, load_view(session=get_session(), experience=found))


@bp.route("/answers/<id:answer_id>/<any(approve, without_mark):decision>", methods=["POST"])
@roles_required(*STAFF_ROLES)
def check_answer(answer_id: int, decision: str):
    from ..experiences.models import ServiceAnswer

    db = get_session()
    answer = db.get(ServiceAnswer, answer_id)
    if answer is None or not VoiceForm().validate_on_submit():
        abort(404 if answer is None else 400)
    experience = _experience_or_404(db.get(Experience, answer.experience_id).public_id)  # may this user see it?
    try:
        service.check_answer(session=db, answer=answer, moderator=g.account, decision=decision, now=clock().now())
    except service.DecisionError:
        abort(409)  # already checked, or this moderator's own answer: the page shows no button for it
    audit.record(f"answer_checked_{decision}", "experience", experience.public_id, {"answer": answer.id})
    return redirect(url_for("moderation.queue") + "#claims")


@bp.route("/experiences/<public_id>/criticality", methods=["POST"])
@roles_required(*STAFF_ROLES)
def criticality(public_id: str):
    db = get_session()
    found = _experience_or_404(public_id)
    form = _criticality_form(found)
    if not form.validate_on_submit():
        return _page(found, load_view(session=db, experience=found), criticality_form=form, status=400)
    before = found.criticality
    service.set_criticality(session=db, experience=found, criticality=int(form.criticality.data))
    audit.record("story_criticality", "experience", found.public_id, {"from": before, "to": found.criticality})
    return redirect(url_for("moderation.experience", public_id=found.public_id) + "#criticality")


@bp.route("/overdue")
@roles_required(*STAFF_ROLES)
def overdue():
    db = get_session()
    items = deadlines.overdue(session=db, today=clock().today())
    return render_template("moderation/overdue.html", items=items, by_service=deadlines.overdue_by_service(items))


@bp.route("/experiences/<public_id>/decide", methods=["POST"])
@roles_required(*STAFF_ROLES)
def decide(public_id: str):
    db = get_session()
    found = _experience_or_404(public_id)
    view = load_view(session=db, experience=found)
    form = _decision_form(found, view)
    if not form.validate_on_submit():
        return _page(found, view, decision_form=form, status=400)
    try:
        service.tag_and_decide(
            session=db, experience=found, moderator=g.account, service_slugs=form.services.data,
            area_slug=form.area.data or None, domain_slugs=form.domains.data or [], decision=form.decision.data,
            unit_slug=form.unit.data or "", unit_removed=bool(form.unit_removed.data), min_stories=min_stories(),
            published_story=form.published_story.data or "", reject_reason=form.reject_reason.data or "",
            serious_concern=bool(form.serious_concern.data), translation=form.translation.data or "",
            translation_lang=form.translation_lang.data or "", now=clock().now(),
        )
    except service.DecisionError as exc:
        field, message = DECISION_ERRORS[str(exc)]
        getattr(form, field).errors = [message()]
        db.rollback()
        return _page(found, load_view(session=db, experience=found), decision_form=form, status=400)
    audit.record(f"story_{found.status if found.status == 'held' else form.decision.data}", "experience", found.public_id,
                 {"serious_concern": found.serious_concern, "edited": found.published_story != found.story,
                  "unit_removed": found.unit_removed})
    return redirect(url_for("moderation.queue"))


@bp.route("/experiences/<public_id>/answer", methods=["POST"])
@roles_required(*STAFF_ROLES)
def answer(public_id: str):
    db = get_session()
    found = _experience_or_404(public_id)
    view = load_view(session=db, experience=found)
    form = _answer_form(view)
    if not form.validate_on_submit():
        return _page(found, view, answer_form=form, status=400)
    try:
        service.answer(session=db, experience=found, moderator=g.account, service_id=int(form.service.data),
                       text=form.text.data, change_status=form.change_status.data, lang=form.lang.data,
                       trust_after=current_app.config["ANSWER_TRUST_AFTER"])
    except service.DecisionError:
        abort(400)
    audit.record("story_answered", "experience", found.public_id, {"change": form.change_status.data})
    return redirect(url_for("moderation.experience", public_id=public_id, _anchor="answers"))


def _export_form(formdata=True):
    form = ExportForm() if formdata else ExportForm(formdata=None)
    form.service.choices = [("", gettext("All"))] + reference_choices(Service)
    form.area.choices = [("", gettext("All"))] + reference_choices(Area)
    form.domain.choices = [("", gettext("All"))] + reference_choices(LifeDomain)
    return form


@bp.route("/export", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def export_start():
    from flask import request

    form = _export_form(formdata=request.method == "POST")
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("moderation/export.html", form=form), status
    if form.date_from.data and form.date_to.data and form.date_from.data > form.date_to.data:
        form.date_to.errors = [gettext("The end date must be on or after the start date.")]
        return render_template("moderation/export.html", form=form), 400
    filters = export.ExportFilters(
        date_from=form.date_from.data, date_to=form.date_to.data, service=form.service.data or None,
        area=form.area.data or None, domain=form.domain.data or None, status=form.status.data or None,
    )
    job = export.request_export(session=get_session(), user=g.account, filters=filters, file_format=form.format.data,
                                purpose=form.purpose.data, locale=locale_code())
    audit.record("export_requested", "export", job.id,
                 {"purpose": job.purpose, "format": job.file_format, "filters": filters.to_json()})
    later(tasks.make_export, job.id)
    return redirect(url_for("moderation.export_status", job_id=job.id))


def _job_or_404(job_id: int) -> ExportJob:
    job = get_session().get(ExportJob, job_id)
    if job is None or (job.user_id != g.account.id and not g.account.is_admin):
        abort(404)
    return job


@bp.route("/export/<id:job_id>")
@roles_required(*STAFF_ROLES)
def export_status(job_id: int):
    job = _job_or_404(job_id)
    late = worker_late_minutes() if job.status == "pending" else None
    return render_page("moderation/export_status.html", fragment="moderation/_export_progress.html", job=job,
                       worker_late=late)


@bp.route("/export/<id:job_id>/download", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def export_download(job_id: int):
    """The file, to the staff member who asked for it; an admin fetching someone else's
    export first says why, and that is what the audit log records (SECURITY.md 20)."""
    job = _job_or_404(job_id)
    if job.status != "done" or job.content is None:  # not made yet, failed, or deleted after a day
        abort(404)
    detail = {"purpose": job.purpose}
    if job.user_id != g.account.id:
        form = PurposeForm()
        if not form.validate_on_submit():
            status = 400 if form.is_submitted() else 200
            return render_template("moderation/export_other.html", job=job, form=form), status
        detail = {"purpose": form.purpose.data, "requested_by": job.user_id, "requested_for": job.purpose}
    audit.record("export_downloaded", "export", job.id, detail)
    return download(job.content, mimetype=DOWNLOAD_TYPES[job.file_format],
                    filename=f"voice-export-{job.created_at:%Y%m%d}-{job.id}.{job.file_format}")


# -- Reusable redaction rules ----------------------------------------------------------------

def _rule_form(formdata=True):
    form = RedactionRuleForm() if formdata else RedactionRuleForm(formdata=None)
    form.service.choices = [("", "")] + [(str(s.id), label) for s, label in
                                          ((s, reference_names()(s)) for s in get_session().exec(select(Service)))]
    return form


def _done_notice() -> str | None:
    """What the last step did, from the address it redirected to (PRG, no session needed)."""
    done = request.args.get("done")
    if done == "saved":
        return gettext("The rule is saved. It is used on every new story it covers.")
    if done == "applied":
        changed = request.args.get("changed", type=int) or 0
        return ngettext("%(num)d published story was changed.", "%(num)d published stories were changed.", changed)
    if done == "stopped":
        return gettext("The rule is no longer used.")
    return None


def _rules_page(form, status=200):
    db = get_session()
    story = service.get_for(session=db, public_id=(form.story.data or "")[:64], user=g.account) if form.story.data else None
    return render_template("moderation/redactions.html", form=form, rules=redactions.active_rules(session=db),
                           story=story, notice=_done_notice(), names={s.id: reference_names()(s) for s in db.exec(select(Service))},
                           rule_kinds=dict(RULE_KIND_CHOICES), rule_scopes=dict(RULE_SCOPE_CHOICES)), status


@bp.route("/redactions", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def redaction_rules():
    if request.method == "GET":
        form = _rule_form(formdata=False)
        form.story.data = request.args.get("story", "")[:64]
        if form.story.data:
            form.scope.data = "story"
        return _rules_page(form)
    db = get_session()
    form = _rule_form()
    if not form.validate_on_submit():
        return _rules_page(form, 400)
    story = service.get_for(session=db, public_id=form.story.data[:64], user=g.account) if form.story.data else None
    try:
        rule = redactions.save_rule(session=db, author=g.account, now=clock().now(), data=redactions.RuleInput(
            kind=form.kind.data, text=form.text.data, replacement=form.replacement.data or "", scope=form.scope.data,
            service_id=int(form.service.data) if form.service.data else None,
            experience_id=story.id if story else None))
    except redactions.RuleError as exc:
        field, message = RULE_ERRORS[str(exc)]
        getattr(form, field).errors = [message()]
        db.rollback()
        return _rules_page(form, 400)
    if story is not None and story.status == "new":
        redactions.apply_to_new(session=db, experience=story)
    return redirect(url_for("moderation.redaction_rules", done="saved") + f"#rule-{rule.id}")


def _rule_or_404(rule_id: int) -> RedactionRule:
    rule = get_session().get(RedactionRule, rule_id)
    if rule is None or not rule.is_active or not VoiceForm().validate_on_submit():
        abort(404 if rule is None or not rule.is_active else 400)
    return rule


@bp.route("/redactions/<id:rule_id>/apply", methods=["POST"])
@roles_required(*STAFF_ROLES)
def apply_redaction_rule(rule_id: int):
    rule = _rule_or_404(rule_id)
    changed = redactions.apply_to_published(session=get_session(), rule=rule, author=g.account)
    return redirect(url_for("moderation.redaction_rules", done="applied", changed=changed) + f"#rule-{rule.id}")


@bp.route("/redactions/<id:rule_id>/stop", methods=["POST"])
@roles_required(*STAFF_ROLES)
def stop_redaction_rule(rule_id: int):
    rule = _rule_or_404(rule_id)
    redactions.stop_rule(session=get_session(), rule=rule, author=g.account)
    return redirect(url_for("moderation.redaction_rules", done="stopped"))
