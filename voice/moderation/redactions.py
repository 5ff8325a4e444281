"""Reusable redaction rules, as Alaveteli keeps censor rules: a moderator saves a phrase or a
regular expression and the text that replaces it, for one story, one service's stories, or
every story. Rules are applied to a new story's draft before anyone moderates it (the family's
original is kept apart, as always), and on request to stories already published; every story a
rule changes gets an audit entry.

Patterns run on the `regex` library with a time limit, so a pattern that backtracks forever
cannot hang a worker; a phrase matches whole words, letter case ignored. Plain functions; no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import regex
from sqlmodel import Session, col, or_, select

from ..accounts import audit
from ..experiences.models import Experience, ExperienceService
from .models import RULE_KINDS, RULE_SCOPES, RedactionRule

TIME_LIMIT = 0.05  # seconds one rule may take on one text
ACTOR = "redaction-rule"


class RuleError(ValueError):
    """A rule that cannot be saved (the message is a code for the form)."""


def compile_rule(kind: str, text: str):
    if kind not in RULE_KINDS or not text.strip():
        raise RuleError("empty")
    if kind == "phrase":
        source = r"(?<!\w)" + r"\s+".join(regex.escape(word) for word in text.split()) + r"(?!\w)"
    else:
        source = text
    try:
        pattern = regex.compile(source, regex.IGNORECASE | regex.UNICODE | regex.V1)
    except regex.error as exc:
        raise RuleError("bad_pattern") from exc
    try:
        if pattern.search("", timeout=TIME_LIMIT) is not None:
            raise RuleError("matches_nothing")  # it would match everywhere, between any two letters
    except TimeoutError as exc:
        raise RuleError("too_slow") from exc
    return pattern


def apply(text: str, rules: list[RedactionRule]) -> tuple[str, list[int]]:
    """``text`` with every rule applied in order; and the ids of the rules that changed it.
    A rule that runs out of time is skipped (the moderator still reads the story)."""
    changed = []
    for rule in rules:
        try:
            new = compile_rule(rule.kind, rule.text).sub(lambda _m, r=rule: r.replacement, text, timeout=TIME_LIMIT)
        except (RuleError, TimeoutError):
            continue
        if new != text:
            changed.append(rule.id)
            text = new
    return text, changed


def rules_for(*, session: Session, experience: Experience) -> list[RedactionRule]:
    """The active rules that cover this story. Reads nothing the story's own rows would need
    to be written for (no autoflush): a new story is still written in one go, at the commit."""
    service_ids = sorted({link.service_id for link in experience.service_links if link.service_id is not None})
    covers = [RedactionRule.scope == "everywhere"]
    if service_ids:
        covers.append((RedactionRule.scope == "service") & col(RedactionRule.service_id).in_(service_ids))
    if experience.id is not None:
        covers.append((RedactionRule.scope == "story") & (RedactionRule.experience_id == experience.id))
    with session.no_autoflush:
        return list(session.exec(select(RedactionRule).where(RedactionRule.is_active == True, or_(*covers))  # noqa: E712
                                 .order_by(RedactionRule.id)))


@dataclass(frozen=True)
class RuleInput:
    kind: str
    text: str
    replacement: str
    scope: str
    service_id: int | None = None
    experience_id: int | None = None


def save_rule(*, session: Session, data: RuleInput, author, now: datetime) -> RedactionRule:
    compile_rule(data.kind, data.text)
    if data.scope not in RULE_SCOPES:
        raise RuleError("scope")
    if data.scope == "service" and data.service_id is None:
        raise RuleError("service_required")
    if data.scope == "story" and data.experience_id is None:
        raise RuleError("story_required")
    rule = RedactionRule(kind=data.kind, text=data.text.strip(), replacement=data.replacement, scope=data.scope,
                         service_id=data.service_id if data.scope == "service" else None,
                         experience_id=data.experience_id if data.scope == "story" else None,
                         created_at=now, created_by_id=getattr(author, "id", None))
    session.add(rule)
    session.flush()
    audit.record(session, author, "redaction_rule_saved", "redaction_rule", rule.id,
                 {"kind": rule.kind, "scope": rule.scope})
    return rule


def stop_rule(*, session: Session, rule: RedactionRule, author) -> None:
    rule.is_active = False
    session.add(rule)
    audit.record(session, author, "redaction_rule_stopped", "redaction_rule", rule.id)


def apply_to_new(*, session: Session, experience: Experience) -> list[int]:
    """Before moderation: the draft the moderator starts from, with the rules applied (the
    family's original stays as it is). Returns the ids of the rules that changed it."""
    draft, changed = apply(experience.published_story or experience.story, rules_for(session=session, experience=experience))
    if changed:
        experience.published_story = draft
        session.add(experience)
        audit.record(session, ACTOR, "redaction_applied", "experience", experience.public_id, {"rules": changed})
    return changed


def apply_to_published(*, session: Session, rule: RedactionRule, author, limit: int = 5000) -> int:
    """On request: the rule applied to the published stories in its scope (their published text
    and translation). Returns how many changed; each gets an audit entry."""
    query = select(Experience).where(col(Experience.status).in_(("published", "held")))
    if rule.scope == "story":
        query = query.where(Experience.id == rule.experience_id)
    elif rule.scope == "service":
        query = query.where(col(Experience.id).in_(
            select(ExperienceService.experience_id).where(ExperienceService.service_id == rule.service_id)))
    changed = 0
    for experience in session.exec(query.order_by(Experience.id).limit(limit)):
        story, hit_story = apply(experience.published_story, [rule])
        translation, hit_translation = apply(experience.translation, [rule])
        if hit_story or hit_translation:
            experience.published_story, experience.translation = story, translation
            session.add(experience)
            audit.record(session, author, "redaction_applied", "experience", experience.public_id, {"rules": [rule.id]})
            changed += 1
    return changed


def active_rules(*, session: Session) -> list[RedactionRule]:
    return list(session.exec(select(RedactionRule).where(RedactionRule.is_active == True)  # noqa: E712
                             .order_by(col(RedactionRule.id).desc())))
