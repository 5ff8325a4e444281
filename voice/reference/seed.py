"""The reference data Voice starts with (DOMAIN.md). Seeding only adds what is
missing by slug, so an admin's later edits are never overwritten.

Names are English source strings marked for extraction; the catalogs translate
them (nb is the site's default language).
"""
from __future__ import annotations

from ..locales import N_

SERVICES = [
    ("nav", N_("NAV (labour and welfare)")),
    ("child-welfare", N_("Child welfare service (barnevernet)")),
    ("health-welfare-office", N_("Health and welfare office")),
    ("refugee-unit", N_("Refugee unit")),
    ("ppt", N_("Educational-psychological service (PPT)")),
    ("kindergarten", N_("Kindergarten")),
    ("school", N_("School")),
    ("health-clinic", N_("Child health clinic and school health service")),
    ("trondheimshjelpa", N_("Trondheimshjelpa")),
    ("other-service", N_("Another service")),
]

AREAS = [
    ("kattem", N_("Kattem"), True),
    ("saupstad", N_("Saupstad"), True),
    ("romolslia-hallset", N_("Romolslia/Hallset"), True),
    ("tempe-sorgenfri-oya-elgseter", N_("Tempe/Sorgenfri and Øya/Elgseter"), True),
    ("ila-midtbyen", N_("Ila/Midtbyen"), True),
    ("lademoen-mollenberg", N_("Lademoen/Møllenberg"), True),
    ("elsewhere", N_("Elsewhere in Trondheim"), False),
    ("rather-not-say", N_("I would rather not say"), False),
]

LIFE_DOMAINS = [
    ("economy", N_("Money and household economy")),
    ("housing", N_("Housing: a stable, safe home")),
    ("work-education", N_("Work and education")),
    ("basic-skills", N_("Children's reading, writing and arithmetic")),
    ("health", N_("Health, mental and physical")),
    ("leisure", N_("Leisure and taking part")),
    ("family", N_("Family relationships and conflict")),
    ("network", N_("Loneliness and network")),
]
