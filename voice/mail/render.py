"""Rendering e-mail in the reader's language, anywhere (a request, a command, the
job worker): a plain Jinja environment per language over templates/mail/, with
that language's catalog installed. No Flask: nothing here depends on a request.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import ROOT
from ..locales import N_, translator

SUBJECTS = {
    "invitation": N_("You are invited to Voice"),
    "password_reset": N_("Choose a new password for Voice"),
    "digest": N_("Stories are waiting to be read in Voice"),
    "signup_confirmed": N_("You are signed up: %(title)s"),
    "signup_promoted": N_("A place is free for you: %(title)s"),
    "signup_waiting": N_("You are on the waiting list: %(title)s"),
    "session_reminder": N_("Reminder: %(title)s"),
    "session_cancelled": N_("Cancelled: %(title)s"),
    "story_hidden": N_("A story was hidden after reports"),
    "receipt_code": N_("Your receipt code for Voice"),
    "session_invitation": N_("A meeting about what you told us: %(title)s"),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=None)
def _environment(code: str) -> Environment:
    words = translator(code)
    env = Environment(
        loader=FileSystemLoader(str(ROOT / "templates")),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(words.raw_gettext, words.raw_ngettext, newstyle=True)
    env.globals.update(
        format_datetime=words.format_datetime, format_date=words.format_date, format_time=words.format_time,
        span=words.span, moment=words.moment, listing=words.format_list,
        mail_lang=words.info.tag, mail_dir=words.info.direction,
    )
    return env


def render(template: str, context: dict, *, locale: str) -> Rendered:
    """mail/<template>.txt and .html and the subject, in ``locale``."""
    words = translator(locale)
    env = _environment(words.code)
    subject = words.gettext(SUBJECTS[template], **{k: v for k, v in context.items() if isinstance(v, str)}) \
        if "%(" in SUBJECTS[template] else words.gettext(SUBJECTS[template])
    text = env.get_template(f"mail/{template}.txt").render(**context)
    html = env.get_template(f"mail/{template}.html").render(subject=subject, **context)
    return Rendered(subject=subject, text=text, html=html)
