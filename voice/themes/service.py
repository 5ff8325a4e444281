"""Themes: made and changed by staff, stories added to them, and what the public may see.

Plain Python: the session, the clock and the disclosure threshold are arguments; the
views audit every change (theme saved, story added or removed, session linked)."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from ..experiences.models import DECIDED_STATUSES, ChangeFeedback, Experience, ExperienceDomain, ExperienceService, ServiceAnswer
from ..experiences.service import Listed, listed, published_query
from ..reference.models import Area, LifeDomain, Service
from .models import THEME_STATUSES, Theme, ThemeResult, ThemeSession, ThemeStory, ThemeTag, ThemeText

MODELS = {"service": Service, "area": Area, "life_domain": LifeDomain}


@dataclass
class ThemeInput:
    title: str
    description: str = ""
    lang: str = "nb"
    status: str = "open"
    services: list[str] = field(default_factory=list)  # slugs
    areas: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)  # locale -> (title, description)


def slug_for(title: str, *, session: Session, except_id: int | None = None) -> str:
    """A readable address from the title (letters and digits of any script kept, accents of
    Latin letters dropped), made unique with -2, -3..."""
    base = unicodedata.normalize("NFKD", title.lower())
    base = "".join(ch for ch in base if not unicodedata.combining(ch))
    base = re.sub(r"[^\w]+", "-", base, flags=re.UNICODE).strip("-_")[:70] or "theme"
    slug, n = base, 1
    while session.exec(select(Theme.id).where(Theme.slug == slug, Theme.id != (except_id or 0))).first():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _set_tags(session: Session, theme: Theme, data: ThemeInput) -> None:
    session.execute(delete(ThemeTag).where(ThemeTag.theme_id == theme.id))
    for kind, slugs in (("service", data.services), ("area", data.areas), ("life_domain", data.domains)):
        if slugs:
            model = MODELS[kind]
            for ref_id in session.exec(select(model.id).where(col(model.slug).in_(slugs))):
                session.add(ThemeTag(theme_id=theme.id, kind=kind, ref_id=ref_id))


def _set_texts(session: Session, theme: Theme, texts: dict[str, tuple[str, str]]) -> None:
    existing = {t.locale: t for t in session.exec(select(ThemeText).where(ThemeText.theme_id == theme.id))}
    for locale, (title, description) in texts.items():
        row = existing.get(locale)
        if not title.strip() or locale == theme.lang:
            if row:
                session.delete(row)
        elif row:
            row.title, row.description = title.strip(), description.strip()
            session.add(row)
        else:
            session.add(ThemeText(theme_id=theme.id, locale=locale, title=title.strip(), description=description.strip()))


def save_theme(*, session: Session, theme: Theme | None, data: ThemeInput, now: datetime) -> Theme:
    if data.status not in THEME_STATUSES:
        raise ValueError(data.status)
    theme = theme or Theme(slug=slug_for(data.title, session=session), title="", created_at=now)
    theme.title, theme.description, theme.lang, theme.status = data.title.strip(), data.description.strip(), data.lang, data.status
    theme.updated_at = now
    session.add(theme)
    session.flush()
    _set_tags(session, theme, data)
    _set_texts(session, theme, data.texts)
    return theme


def add_story(*, session: Session, theme: Theme, experience: Experience, now: datetime) -> bool:
    """Only a decided story joins a theme; False when it already belongs to it."""
    if experience.status not in DECIDED_STATUSES:
        raise ValueError("undecided")
    if session.get(ThemeStory, (theme.id, experience.id)):
        return False
    session.add(ThemeStory(theme_id=theme.id, experience_id=experience.id, added_at=now))
    return True


def remove_story(*, session: Session, theme: Theme, experience: Experience) -> None:
    session.execute(delete(ThemeStory).where(ThemeStory.theme_id == theme.id, ThemeStory.experience_id == experience.id))


def themes_of(*, session: Session, experience: Experience) -> list[Theme]:
    return list(session.exec(select(Theme).join(ThemeStory, ThemeStory.theme_id == Theme.id)
                             .where(ThemeStory.experience_id == experience.id).order_by(Theme.title)))


_WORD = re.compile(r"\w{4,}", re.UNICODE)


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "")}


@dataclass(frozen=True)
class Suggestion:
    theme: Theme
    similar: int  # stories in it with the same service and domain
    words: int  # words in common with those stories


def suggestions(*, session: Session, experience: Experience, limit: int = 5) -> list[Suggestion]:
    """Themes that similar stories already belong to (a service and a domain in common), the
    ones with most such stories and most words in common first; themes it is in are left out."""
    services = select(ExperienceService.service_id).where(ExperienceService.experience_id == experience.id)
    domains = select(ExperienceDomain.domain_id).where(ExperienceDomain.experience_id == experience.id)
    similar = (select(ExperienceService.experience_id).where(col(ExperienceService.service_id).in_(services))
               .intersect(select(ExperienceDomain.experience_id).where(col(ExperienceDomain.domain_id).in_(domains))))
    already = select(ThemeStory.theme_id).where(ThemeStory.experience_id == experience.id)
    rows = session.exec(
        select(ThemeStory.theme_id, Experience.published_story, Experience.story)
        .join(Experience, Experience.id == ThemeStory.experience_id)
        .where(col(ThemeStory.experience_id).in_(similar), ThemeStory.experience_id != experience.id,
               col(ThemeStory.theme_id).not_in(already))
    ).all()
    mine = _words(experience.published_story or experience.story)
    counts: Counter[int] = Counter()
    shared: Counter[int] = Counter()
    for theme_id, published, original in rows:
        counts[theme_id] += 1
        shared[theme_id] += len(mine & _words(published or original))
    if not counts:
        return []
    themes = {t.id: t for t in session.exec(select(Theme).where(col(Theme.id).in_(list(counts)),
                                                               Theme.status != "closed"))}
    ranked = sorted(themes, key=lambda i: (-counts[i], -shared[i], themes[i].title))
    return [Suggestion(themes[i], counts[i], shared[i]) for i in ranked[:limit]]


def all_themes(*, session: Session) -> list[Theme]:
    return list(session.exec(select(Theme).order_by(Theme.status == "closed", Theme.title)))


def get_by_id(*, session: Session, theme_id: str) -> Theme | None:
    """The theme with this id as typed in an address (None for anything that is not one)."""
    if not theme_id.isdecimal() or len(theme_id) > 9:
        return None
    return session.get(Theme, int(theme_id))


def themes_of_session(*, session: Session, session_id: int, min_count: int) -> list[tuple[Theme, Told]]:
    """The themes a co-creation session is about, with how many families told (as published)."""
    found = list(session.exec(select(Theme).join(ThemeSession, ThemeSession.theme_id == Theme.id)
                              .where(ThemeSession.session_id == session_id).order_by(Theme.title)))
    counts = decided_counts(session=session, theme_ids=[t.id for t in found])
    return [(t, told(counts.get(t.id, 0), min_count=min_count)) for t in found]


def get(*, session: Session, slug: str) -> Theme | None:
    return session.exec(select(Theme).where(Theme.slug == slug)).first()


def tags_of(*, session: Session, theme_ids: list[int]) -> dict[int, dict[str, list]]:
    """Services, areas and domains of many themes in one query per kind."""
    out: dict[int, dict[str, list]] = defaultdict(lambda: {"service": [], "area": [], "life_domain": []})
    if theme_ids:
        for kind, model in MODELS.items():
            for tag, item in session.exec(select(ThemeTag, model).join(model, model.id == ThemeTag.ref_id)
                                          .where(ThemeTag.kind == kind, col(ThemeTag.theme_id).in_(theme_ids))
                                          .order_by(model.position)):
                out[tag.theme_id][kind].append(item)
    return out


def texts_of(*, session: Session, theme_ids: list[int], locale: str) -> dict[int, ThemeText]:
    if not theme_ids:
        return {}
    return {t.theme_id: t for t in session.exec(select(ThemeText).where(col(ThemeText.theme_id).in_(theme_ids),
                                                                         ThemeText.locale == locale))}


def all_texts(*, session: Session, theme: Theme) -> dict[str, ThemeText]:
    return {t.locale: t for t in session.exec(select(ThemeText).where(ThemeText.theme_id == theme.id))}


# -- What the public sees ------------------------------------------------------------------

@dataclass(frozen=True)
class Told:
    """How many families told about a theme, as the public may read it."""

    count: int | None  # None: fewer than the threshold (never 1-4 shown)
    fewer_than: int


def told(count: int, *, min_count: int) -> Told:
    return Told(count if count == 0 or count >= min_count else None, min_count)


def decided_counts(*, session: Session, theme_ids: list[int]) -> dict[int, int]:
    """Decided stories (published or kept internal) in each theme: what families told."""
    if not theme_ids:
        return {}
    rows = session.exec(select(ThemeStory.theme_id, func.count()).join(Experience, Experience.id == ThemeStory.experience_id)
                        .where(col(ThemeStory.theme_id).in_(theme_ids), col(Experience.status).in_(DECIDED_STATUSES))
                        .group_by(ThemeStory.theme_id)).all()
    return dict(rows)


@dataclass
class PublicTheme:
    theme: Theme
    text: ThemeText | None
    tags: dict[str, list]
    told: Told


def public_list(*, session: Session, service: str | None, area: str | None, domain: str | None,
                min_count: int) -> list[PublicTheme]:
    """Every theme but the closed ones, narrowed to a service, area or domain (slugs)."""
    query = select(Theme).where(Theme.status != "closed")
    for kind, slug in (("service", service), ("area", area), ("life_domain", domain)):
        if slug:
            model = MODELS[kind]
            query = query.where(col(Theme.id).in_(
                select(ThemeTag.theme_id).join(model, model.id == ThemeTag.ref_id).where(ThemeTag.kind == kind, model.slug == slug)))
    themes = list(session.exec(query.order_by(Theme.title)))
    ids = [t.id for t in themes]
    tags = tags_of(session=session, theme_ids=ids)
    counts = decided_counts(session=session, theme_ids=ids)
    return [PublicTheme(t, None, tags[t.id], told(counts.get(t.id, 0), min_count=min_count)) for t in themes]


@dataclass
class ThemePage:
    theme: Theme
    tags: dict[str, list]
    told: Told
    stories: list[Listed]
    changes: list[tuple[ServiceAnswer, Service]]


def public_page(*, session: Session, theme: Theme, min_count: int) -> ThemePage:
    """The theme with what families told (a count, and the published stories in it), what the
    services answered, and the changes they planned or made."""
    stories = list(session.exec(published_query().join(ThemeStory, ThemeStory.experience_id == Experience.id)
                                .where(ThemeStory.theme_id == theme.id)
                                .order_by(col(Experience.decided_at).desc(), col(Experience.id).desc()).limit(50)))
    items = listed(session, stories, with_answers=True, checked_only=True)
    changes = [(answer, svc) for item in items for answer, svc in item.answers if answer.change_status != "none"]
    count = decided_counts(session=session, theme_ids=[theme.id]).get(theme.id, 0)
    return ThemePage(theme, tags_of(session=session, theme_ids=[theme.id])[theme.id], told(count, min_count=min_count),
                     items, changes)


def sessions_of(*, session: Session, theme: Theme):
    from ..cocreation.models import CoSession

    return list(session.exec(select(CoSession).join(ThemeSession, ThemeSession.session_id == CoSession.id)
                             .where(ThemeSession.theme_id == theme.id, col(CoSession.status).in_(("published", "cancelled")))
                             .order_by(col(CoSession.starts_at).desc())))


# -- Results back to the stories, and invitations through the code -------------------------

@dataclass
class ResultInput:
    service_id: int
    text: str
    lang: str
    change_status: str  # "planned" or "made"
    review_on: date | None = None
    session_id: int | None = None


def post_result(*, session: Session, theme: Theme, data: ResultInput, author_id: int | None, now: datetime) -> ThemeResult:
    """The result on the theme, and the same answer (with its review date) on every decided
    story in it, so each family reads it with its code; the theme's status follows."""
    if data.change_status not in ("planned", "made"):
        raise ValueError(data.change_status)
    story_ids = list(session.exec(select(ThemeStory.experience_id).join(Experience, Experience.id == ThemeStory.experience_id)
                                  .where(ThemeStory.theme_id == theme.id, col(Experience.status).in_(DECIDED_STATUSES))))
    result = ThemeResult(theme_id=theme.id, session_id=data.session_id, service_id=data.service_id, text=data.text.strip(),
                         lang=data.lang, change_status=data.change_status, review_on=data.review_on,
                         stories=len(story_ids), created_at=now, author_id=author_id)
    result.check_status = "waiting"  # a change claim: shown once another moderator has checked it
    session.add(result)
    session.flush()
    session.add_all(ServiceAnswer(experience_id=story_id, service_id=data.service_id, text=data.text.strip(), lang=data.lang,
                                  change_status=data.change_status, review_on=data.review_on, created_at=now,
                                  author_id=author_id, check_status="waiting", result_id=result.id) for story_id in story_ids)
    session.flush()
    return result


class CheckError(ValueError):
    """A check the rules do not allow (the message is a code for the page)."""


def check_result(*, session: Session, result: ThemeResult, moderator_id: int, now: datetime) -> int:
    """A moderator who did not post the result confirms its change claim: the result shows on the
    theme, its answer on every story, and the theme's status follows. Returns the answers shown."""
    if result.check_status != "waiting":
        raise CheckError("not_waiting")
    if result.author_id is not None and result.author_id == moderator_id:
        raise CheckError("own_answer")
    result.check_status, result.checked_by_id = "checked", moderator_id
    session.add(result)
    answers = list(session.exec(select(ServiceAnswer).where(ServiceAnswer.result_id == result.id,
                                                            ServiceAnswer.check_status == "waiting")))
    for answer in answers:
        answer.check_status, answer.checked_by_id, answer.checked_at = "checked", moderator_id, now
        session.add(answer)
    theme = session.get(Theme, result.theme_id)
    theme.status, theme.updated_at = result.change_status, now
    session.add(theme)
    return len(answers)


def waiting_results(*, session: Session) -> list[tuple[ThemeResult, Theme]]:
    return list(session.exec(select(ThemeResult, Theme).join(Theme, Theme.id == ThemeResult.theme_id)
                             .where(ThemeResult.check_status == "waiting").order_by(ThemeResult.created_at)))


def results_of(*, session: Session, theme: Theme, checked_only: bool = True) -> list[tuple[ThemeResult, Service]]:
    """The theme's results, newest first; for the public only the checked ones."""
    query = select(ThemeResult, Service).join(Service, Service.id == ThemeResult.service_id).where(ThemeResult.theme_id == theme.id)
    if checked_only:
        query = query.where(ThemeResult.check_status == "checked")
    return list(session.exec(query.order_by(col(ThemeResult.created_at).desc())))


def invitations(*, session: Session, experience: Experience, now: datetime):
    """Sessions still to come about a theme this story is in: (theme, session), soonest first.
    Read by the family with its code; the organiser never learns who saw it."""
    from ..cocreation.models import CoSession

    return list(session.exec(
        select(Theme, CoSession).join(ThemeStory, ThemeStory.theme_id == Theme.id)
        .join(ThemeSession, ThemeSession.theme_id == Theme.id).join(CoSession, CoSession.id == ThemeSession.session_id)
        .where(ThemeStory.experience_id == experience.id, CoSession.status == "published", CoSession.ends_at > now)
        .order_by(CoSession.starts_at)))


def family_words(*, session: Session, theme: Theme, limit: int = 20) -> list[ChangeFeedback]:
    """What families said about whether the change helped, as moderators published it, for
    stories in this theme (the family's story itself need not be public)."""
    return list(session.exec(
        select(ChangeFeedback).join(ThemeStory, ThemeStory.experience_id == ChangeFeedback.experience_id)
        .where(ThemeStory.theme_id == theme.id, ChangeFeedback.text_status == "published", ChangeFeedback.text != "")
        .order_by(col(ChangeFeedback.updated_at).desc()).limit(limit)))


def invite_by_email(*, session: Session, cosession, links) -> int:
    """When a session about themes is published: an e-mail to each family that asked for it,
    with a story in one of those themes, in the language it used (the organiser sees nothing
    of this). Returns how many were queued."""
    from ..experiences.models import ExperienceContact
    from ..mail.service import queue_mail

    rows = session.exec(
        select(ExperienceContact.email, Experience.page_lang, Theme.title).distinct()
        .join(Experience, Experience.id == ExperienceContact.experience_id)
        .join(ThemeStory, ThemeStory.experience_id == Experience.id)
        .join(ThemeSession, ThemeSession.theme_id == ThemeStory.theme_id)
        .join(Theme, Theme.id == ThemeSession.theme_id)
        .where(ThemeSession.session_id == cosession.id, ExperienceContact.invite_me == True,  # noqa: E712
               col(ExperienceContact.email).is_not(None))).all()
    told: dict[str, tuple[str, str]] = {}
    for email, lang, title in rows:
        told.setdefault(email, (lang, title))  # one e-mail per address, whatever the number of its stories
    for email, (lang, title) in told.items():
        queue_mail(session=session, to=email, template="session_invitation", locale=lang or "nb",
                   context={"title": cosession.title, "theme": title, "when": cosession.starts_at, "ends": cosession.ends_at,
                            "venue": cosession.venue, "link": links("cocreation.detail", public_id=cosession.public_id)})
    return len(told)
