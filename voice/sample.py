"""Clearly marked SAMPLE data so a newcomer sees a living site.

Every sample story starts with "[SAMPLE]"; none of it is real. Later
capabilities add their own samples here (answers, sessions, figures).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from .clock import oslo_date
from .experiences.models import ChangeFeedback, ServiceAnswer
from .experiences.service import NewExperience, create_experience
from .experiences.service import listed as experiences_listed
from .figures.sample import add_sample_figures
from .hashing import SecretHasher
from .reference.models import Service
from .reference.service import by_slugs

SAMPLE_MARK = "[SAMPLE]"

# (services, area, domains, usefulness, listened, explained, language, story, consent, answer)
STORIES = [
    (["nav"], "kattem", ["economy"], 4, "yes", 2, "nb",
     "Saksbehandleren på NAV tok seg tid og forklarte hva vi hadde rett på. Det hjalp å få en fast person å ringe til.", True,
     ("nav", "Takk for at du forteller. Vi jobber for at alle familier skal ha én fast kontaktperson.", "made")),
    (["child-welfare", "school"], "saupstad", ["family", "basic-skills"], 2, "partly", 5, "ar",
     "كان علينا أن نشرح وضعنا لمكاتب كثيرة. كنا نتمنى لو كان هناك شخص واحد يساعدنا.", True,
     ("child-welfare", "Takk. Vi ser på hvordan familier kan slippe å fortelle det samme flere ganger.", "planned")),
    (["health-clinic"], "romolslia-hallset", ["health"], 5, "yes", 1, "so",
     "Kalkaalinta caafimaadka carruurta ayaa si fiican noo caawisay. Waxay na siiyeen turjubaan.", True, None),
    (["refugee-unit", "nav"], "lademoen-mollenberg", ["work-education", "economy"], 3, "partly", 4, "ti",
     "ብዙሕ ግዜ ክንጽበ ነይሩና። ግን ኣብ መወዳእታ ሓገዝ ረኺብና።", False, None),
    (["kindergarten"], "ila-midtbyen", ["leisure"], None, None, None, "uk",
     "Дитячий садок допоміг нашій дитині знайти друзів. Але ми не знали, куди звернутися по допомогу з грошима.", True, None),
    (["health-welfare-office"], "tempe-sorgenfri-oya-elgseter", ["housing"], 1, "no", 6, "pl",
     "Szukaliśmy mieszkania przez rok. Nikt nie odpowiadał na nasze pytania.", True, None),
    (["trondheimshjelpa"], "elsewhere", ["network"], 5, "yes", 0, "en",
     "Trondheimshjelpa helped us with winter clothes for the children and told us about the family café.", True,
     ("trondheimshjelpa", "Thank you for telling us. The family café is open every Wednesday.", "none")),
    (["school", "ppt"], "rather-not-say", ["basic-skills"], 2, "no", 3, "fa",
     "مدرسه و پی‌پی‌تی هر کدام چیز متفاوتی گفتند. ما نمی‌دانستیم باید به چه کسی گوش کنیم.", False, None),
]


SESSIONS = [
    # (days from today, start, end, title, kind, area, capacity, languages, interpreter, childcare, organiser kind, outcome)
    (5, "17:00", "19:00", "[SAMPLE] Familiekafé på Saupstad", "meeting-place", "saupstad", 30, "nb,ar,so", True, True, "nonprofit", ""),
    (9, "10:00", "13:00", "[SAMPLE] Samskaping: Hvordan kan NAV bli enklere å kontakte?", "workshop", "kattem", 20, "nb,en,ti", True, True, "service", ""),
    (12, "18:00", "20:00", "[SAMPLE] Leksehjelp og spill for barn", "family-activity", "lademoen-mollenberg", 15, "nb,uk,pl", False, False, "volunteer", ""),
    (20, "12:00", "15:00", "[SAMPLE] Jobbtrening: CV og intervju", "job-training", "ila-midtbyen", 12, "nb,fa,ar", True, False, "business", ""),
    (-14, "17:00", "19:00", "[SAMPLE] Samskaping: Én kontaktperson for familien", "workshop", "romolslia-hallset", 25, "nb,ar", True, True, "service",
     "<p>Familiene ønsker én fast kontaktperson. Neste steg: en prøveordning på Kattem fra våren.</p>"),
]


def load_sample_sessions(*, session: Session, now: datetime) -> int:
    from .cocreation.models import CoSession, Signup
    from .cocreation.service import oslo_to_utc
    from .reference.models import Area

    areas = {a.slug: a.id for a in session.exec(select(Area))}
    for days, start, end, title, kind, area, capacity, langs, interpreter, childcare, org_kind, outcome in SESSIONS:
        day = oslo_date(now) + timedelta(days=days)
        cosession = CoSession(
            public_id=secrets.token_urlsafe(9), title=title, kind=kind, area_id=areas.get(area),
            description="<p>[SAMPLE] Velkommen! Vi snakker sammen om hva som hjelper familier. Gratis, med mat.</p>",
            venue="[SAMPLE] Bydelshuset", starts_at=oslo_to_utc(day, start), ends_at=oslo_to_utc(day, end),
            capacity=capacity, languages=langs, interpreter=interpreter, childcare=childcare, status="published",
            organiser_kind=org_kind, outcome=outcome,
        )
        session.add(cosession)
        session.flush()
        if days < 0:
            for n in range(12):
                session.add(Signup(session_id=cosession.id, form_token=secrets.token_hex(16), token_hash=secrets.token_hex(32),
                                   name="", adults=1, children=n % 3, attended=n % 4 != 0, usefulness=[5, 4, 4, 3, 5, 2][n % 6],
                                   rated_at=now, created_at=now - timedelta(days=20)))
                cosession.seats_taken += 1 + n % 3
        session.add(cosession)
    return len(SESSIONS)


def load_sample_data(*, session: Session, now: datetime, hasher: SecretHasher) -> int:
    for index, (services, area, domains, useful, listened, explained, lang, story, consent, answer) in enumerate(STORIES):
        experience, _code = create_experience(
            session=session,
            data=NewExperience(
                service_slugs=services,
                usefulness=useful,
                form_token=f"sample-{secrets.token_hex(8)}",
                story=f"{SAMPLE_MARK} {story}",
                story_lang=lang,
                page_lang=lang if lang in ("nb", "en") else "nb",
                area_slug=area,
                domain_slugs=domains,
                listened=listened,
                services_explained=explained,
                consent_publish=consent,
            ),
            now=now - timedelta(days=3 * index + 1),
            contact_retention_days=90,
            hasher=hasher,
        )
        session.flush()
        if answer:
            service_slug, text, change = answer
            service = by_slugs(Service, [service_slug], session=session)[0]
            experience.status = "published" if consent else "internal"
            experience.published_story = experience.story
            experience.decided_at = now
            session.add(
                ServiceAnswer(
                    experience_id=experience.id, service_id=service.id, text=text, lang="en" if lang == "en" else "nb", change_status=change
                )
            )
    session.flush()  # moderated ones count in the figures (the experiences' write hook)
    load_sample_sessions(session=session, now=now)
    load_sample_themes(session=session, now=now)
    added = add_sample_figures(session=session, now=now)
    add_sample_loop(session=session, now=now)
    return len(STORIES) + added


# (title, description, status, services, domains, texts, the sample session about it)
THEMES = [
    ("[SAMPLE] Én fast person å snakke med", "Familier forteller at de må forklare det samme til mange kontorer.", "cocreation",
     ["nav", "child-welfare"], ["economy", "family"],
     {"ar": ("[SAMPLE] شخص واحد ثابت نتحدث معه", "تقول العائلات إنها تضطر إلى شرح الأمر نفسه لمكاتب كثيرة.")},
     "[SAMPLE] Samskaping: Én kontaktperson for familien"),
    ("[SAMPLE] Klær og utstyr til barna om vinteren", "Familier forteller hva som hjalp dem gjennom vinteren.", "open",
     ["trondheimshjelpa"], ["network"], {}, "[SAMPLE] Familiekafé på Saupstad"),
]


def load_sample_themes(*, session: Session, now: datetime) -> int:
    """Two themes with the decided sample stories that fit them, each with a session about it."""
    from .cocreation.models import CoSession
    from .experiences.models import DECIDED_STATUSES, Experience
    from .themes import service as themes
    from .themes.models import ThemeSession

    decided = list(session.exec(select(Experience).where(Experience.story.startswith(SAMPLE_MARK),
                                                         Experience.status.in_(DECIDED_STATUSES))))
    listed = {item.experience.id: item for item in experiences_listed(session, decided)}
    for title, description, status, services, domains, texts, session_title in THEMES:
        theme = themes.save_theme(session=session, theme=None, now=now, data=themes.ThemeInput(
            title=title, description=description, status=status, services=services, domains=domains, texts=texts))
        for experience in decided:
            item = listed[experience.id]
            if {s.slug for s in item.services} & set(services) and {d.slug for d in item.domains} & set(domains):
                themes.add_story(session=session, theme=theme, experience=experience, now=now)
        about = session.exec(select(CoSession).where(CoSession.title == session_title)).first()
        if about is not None:
            session.add(ThemeSession(theme_id=theme.id, session_id=about.id))
        if about is not None and about.outcome:  # the loop closed: the result back, and a family's answer
            session.flush()
            nav = session.exec(select(Service).where(Service.slug == "nav")).one()
            result = themes.post_result(session=session, theme=theme, author_id=None, now=now, data=themes.ResultInput(
                service_id=nav.id, lang="nb", change_status="made", review_on=oslo_date(now) + timedelta(days=90),
                session_id=about.id, text="[SAMPLE] Etter samlingen får hver familie på Kattem én fast kontaktperson."))
            themes.check_result(session=session, result=result, moderator_id=None, now=now)  # as a second moderator would
            answers = session.exec(select(ServiceAnswer).where(ServiceAnswer.text.startswith("[SAMPLE] Etter"))).all()
            for answer, (verdict, words) in zip(answers, [("yes", "[SAMPLE] Nå vet vi hvem vi skal ringe."), ("too_early", "")]):
                session.add(ChangeFeedback(experience_id=answer.experience_id, answer_id=answer.id, verdict=verdict, text=words,
                                           text_status="published" if words else "internal", created_at=now, updated_at=now))
    session.flush()
    return len(THEMES)


# How families answer "did it help?" in the sample (weights).
_VERDICTS = (("yes", 50), ("partly", 20), ("no", 22), ("too_early", 8))


def add_sample_loop(*, session: Session, now: datetime, seed: int = 2027) -> int:
    """So the figures show the loop: some of the figures' sample stories join the sample themes
    they fit, and the families behind the sample answers marked "change made" answer "did it
    help?", most of them in the quarter of 120 days ago (published by now). Returns the answers."""
    import random

    from .experiences.models import Experience, ExperienceDomain, ExperienceService
    from .figures.periods import Period
    from .reference.models import LifeDomain
    from .themes.models import Theme, ThemeStory

    rnd = random.Random(seed)
    figures_sample = select(Experience.id).where(Experience.receipt_locator == "SAMPLE00")
    services = {}
    for experience_id, slug in session.exec(select(ExperienceService.experience_id, Service.slug)
                                            .join(Service, Service.id == ExperienceService.service_id)
                                            .where(ExperienceService.experience_id.in_(figures_sample))):
        services.setdefault(experience_id, set()).add(slug)
    domains = {}
    for experience_id, slug in session.exec(select(ExperienceDomain.experience_id, LifeDomain.slug)
                                            .join(LifeDomain, LifeDomain.id == ExperienceDomain.domain_id)
                                            .where(ExperienceDomain.experience_id.in_(figures_sample))):
        domains.setdefault(experience_id, set()).add(slug)
    for title, _description, _status, theme_services, theme_domains, _texts, _session_title in THEMES:
        theme = session.exec(select(Theme).where(Theme.title == title)).one()
        for experience_id in sorted(services):
            fits = services[experience_id] & set(theme_services) and (domains.get(experience_id, set()) & set(theme_domains)
                                                                      or rnd.random() < 0.3)
            if fits and rnd.random() < 0.8:
                session.add(ThemeStory(theme_id=theme.id, experience_id=experience_id, added_at=now))
    quarter = Period.containing("quarter", now - timedelta(days=120))
    answers = session.exec(select(ServiceAnswer).where(ServiceAnswer.change_status == "made",
                                                       ServiceAnswer.experience_id.in_(figures_sample))
                           .order_by(ServiceAnswer.id)).all()
    for answer in answers:
        start = max(answer.created_at + timedelta(days=1), quarter.start_utc)
        end = max(start + timedelta(days=1), quarter.end_utc)
        given = min(now, start + (end - start) * rnd.random())
        verdict = rnd.choices(*zip(*_VERDICTS))[0]
        session.add(ChangeFeedback(experience_id=answer.experience_id, answer_id=answer.id, verdict=verdict,
                                   text_status="internal", created_at=given, updated_at=given))
    session.flush()
    return len(answers)
