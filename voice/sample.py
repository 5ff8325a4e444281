"""Clearly marked SAMPLE data so a newcomer sees a living site.

Every sample story starts with "[SAMPLE]"; none of it is real. Later
capabilities add their own samples here (answers, sessions, figures).
"""
from __future__ import annotations

import secrets
from datetime import date, timedelta

from sqlmodel import Session

from .db import utcnow
from .experiences.models import ServiceAnswer
from .experiences.service import NewExperience, create_experience
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


def load_sample_data(*, session: Session) -> int:
    today = date.today()
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
            today=today,
            contact_retention_days=90,
        )
        experience.created_at = utcnow() - timedelta(days=3 * index + 1)
        if answer:
            service_slug, text, change = answer
            service = by_slugs(Service, [service_slug], session=session)[0]
            experience.status = "published" if consent else "internal"
            session.add(
                ServiceAnswer(
                    experience_id=experience.id, service_id=service.id, text=text, lang="en" if lang == "en" else "nb", change_status=change
                )
            )
    session.flush()
    return len(STORIES)
