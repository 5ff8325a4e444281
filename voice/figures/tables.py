"""What Voice may publish: the raw tallies of ``service`` put through disclosure control.

Every figure leaves here as a ``Cell`` of ``voice.figures.disclosure`` (a value, or
suppressed with a reason). Dashboard, downloads and the monitoring feed all read
the same ``Figures``, so they always agree.

How the tables are protected, and why this way
----------------------------------------------
The disclosure module protects one table at a time against its own totals. A
dashboard with filters publishes many tables that share cells; protecting each
on its own could let a reader subtract one from another. So:

1. The total number of experiences of a period is published as a single count.
   Every breakdown that adds up to it (by area, with "area not given"; by how
   many services families explained to, with "no answer") is protected as a
   one-way table *with that total held fixed*: the module's secondary
   suppression, and where even that would need to hide the total, every
   non-zero cell is hidden instead (``protect_with_total``). Two such tables
   share nothing but the published total, so they cannot be combined.
2. Services are a multiple choice: the service counts add up to at least the
   total. They are protected as a one-way table whose sum is never published,
   with the same fallback; domains (a story may have none) need only the
   "fewer than 5" rule.
3. A view filtered on one area, service or domain shows that group's count
   from the period's unfiltered table, and its trend shows the same count from
   every period's table. So a count has one protection, however one looks.
4. No other counts are published: not for a combination of filters, not inside
   a breakdown that a filter narrows, not per group and "services explained to".
   Any of those could be subtracted from published counts to reveal a small
   number. Shares and medians are published there, each only from at least
   ``min_answers`` answers; a share with an unpublished base reveals no count.
5. Co-creation: sessions held and sign-ups, each a two-way table area x
   partner kind with all margins (``suppress_two_way``); attendance and
   usefulness as shares only (publishing "attended" beside "signed up" would
   publish "did not attend" by subtraction).

Not covered, as the module docstring says: relations between tables beyond
these (e.g. the same families cut by two dimensions in different periods).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from ..accounts.models import PARTNER_KIND_NAMES, PARTNER_KINDS
from ..experiences.models import EXPLAINED_MAX
from ..reference.models import Area, LifeDomain, Service
from ..reference.service import Names, all_rows
from . import service
from .disclosure import (
    REASON_SECONDARY,
    Cell,
    DisclosurePolicy,
    TwoWayResult,
    suppress_count,
    suppress_median,
    suppress_one_way,
    suppress_rate,
    suppress_two_way,
)
from .service import Filters, Period, Tally

TREND_LENGTH = {"month": 12, "quarter": 8, "year": 5}
MAX_PERIOD_OPTIONS = 240
DIMENSIONS = ("area", "service", "domain")
# Columns of the "services explained to" tables: 0, 1, ..., 5, "6 or more", no answer.
EXPLAINED_KEYS = [str(k) for k in range(EXPLAINED_MAX)] + [f"{EXPLAINED_MAX}+", "no-answer"]
NO_AREA = "none"
_MODELS = {"area": Area, "service": Service, "domain": LifeDomain}


def policy_from_config(config) -> DisclosurePolicy:
    """The app's thresholds (DISCLOSURE_MIN_COUNT, DISCLOSURE_MIN_ANSWERS); lower than 5/10 raises."""
    return DisclosurePolicy(
        min_count=int(config.get("DISCLOSURE_MIN_COUNT", 5)),
        min_answers=int(config.get("DISCLOSURE_MIN_ANSWERS", 10)),
    )


@dataclass(frozen=True)
class Group:
    key: str  # the slug; "none" for "area not given"
    label: str
    id: int | None = None


@dataclass
class Row:
    """The figures of one group (or of the whole view, for the summary)."""

    group: Group
    experiences: Cell | None  # None: counts are not published in this view (rule 3)
    useful: Cell
    listened: Cell
    explained_median: Cell
    explained_shares: list[Cell] = field(default_factory=list)  # share answering 0..6+, of those who answered
    answered: Cell | None = None  # share of published stories answered (summary and services)
    changes: Cell | None = None  # share of answers marked "change planned" or "change made"
    chosen: bool = False


@dataclass
class Distribution:
    """Experiences by how many services families explained to (unfiltered views only)."""

    cells: list[Cell]  # one per EXPLAINED_KEYS
    total: Cell


@dataclass
class TrendPoint:
    period: Period
    experiences: Cell | None
    useful: Cell
    listened: Cell
    complete: bool


@dataclass
class CoRates:
    group: Group
    attended: Cell  # share of confirmed sign-ups marked as attended, of those marked
    useful: Cell  # share rating the session 4 or 5, of those who rated


@dataclass
class CoCreation:
    areas: list[Group]
    kinds: list[Group]
    sessions: TwoWayResult
    signups: TwoWayResult
    by_area: list[CoRates]
    by_kind: list[CoRates]
    total: CoRates


@dataclass
class Figures:
    period: Period
    periods: list[Period]
    now: datetime
    policy: DisclosurePolicy
    chosen: dict[str, Group | None]
    counts_shown: bool
    summary: Row
    distribution: Distribution | None
    trend: list[TrendPoint]
    by_area: list[Row]
    by_service: list[Row]
    by_domain: list[Row]
    cocreation: CoCreation | None = None
    first_at: datetime | None = None  # when the first moderated experience was told

    @property
    def complete(self) -> bool:
        return self.period.is_complete(self.now)

    @property
    def filtered(self) -> bool:
        return any(self.chosen.values())

    def breakdown_counts_shown(self, dimension: str) -> bool:
        """A breakdown shows counts only when no *other* dimension is filtered (rule 3)."""
        return all(group is None for name, group in self.chosen.items() if name != dimension)


# --------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------


def trend_periods(period: Period, first: datetime | None) -> list[Period]:
    """The chosen period and those before it, back to the first moderated experience."""
    start = period.shifted(-(TREND_LENGTH[period.kind] - 1))
    if first is not None:
        start = max(start, min(Period.containing(period.kind, first), period))
    else:
        start = period
    return service.periods_between(start, period)


def period_options(kind: str, *, first: datetime | None, now: datetime) -> list[Period]:
    """Periods one can choose, newest first: from the first moderated experience to now."""
    last = Period.containing(kind, now)
    start = Period.containing(kind, first) if first and first < now else last
    start = max(start, last.shifted(-(MAX_PERIOD_OPTIONS - 1)))
    return list(reversed(service.periods_between(start, last)))


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------


def protect_with_total(counts: list[int], total: Cell, policy: DisclosurePolicy) -> list[Cell]:
    """A breakdown of a total that is published elsewhere as ``total`` (rule 1).

    With the total hidden, every cell is hidden. With the total shown, the one-way
    secondary suppression applies; if that would have to hide the total too, every
    non-zero cell is hidden without a "fewer than" label, so a reader knows only
    that each is at least 1 (and, if all of them are 1, the zeros are hidden too,
    so that nothing can be worked out from the total).
    """
    if total.suppressed:
        return [Cell(None, True, REASON_SECONDARY) for _ in counts]
    cells, own_total = suppress_one_way(counts, policy)
    if not own_total.suppressed:
        return cells
    all_ones = all(value in (0, 1) for value in counts)
    return [
        Cell(None, True, REASON_SECONDARY) if value or all_ones else Cell(0, False, None)
        for value in counts
    ]


def _active_or_used(groups: list[Group], used: set, inactive: set) -> list[Group]:
    return [g for g in groups if g.id not in inactive or g.id in used]


def _explained_counts(tally: Tally | None) -> list[int]:
    tally = tally or Tally()
    return [*tally.explained, tally.experiences - tally.explained_answers]


def _explained_shares(tally: Tally | None, policy: DisclosurePolicy) -> list[Cell]:
    """Share of each answer 0..6+ among those who answered (each from >= min_answers answers)."""
    tally = tally or Tally()
    return [suppress_rate(count, tally.explained_answers, policy) for count in tally.explained]


def _shares(group: Group, tally: Tally | None, experiences: Cell | None, policy: DisclosurePolicy, **extra) -> Row:
    tally = tally or Tally()
    return Row(
        group=group,
        experiences=experiences,
        useful=suppress_rate(tally.useful, tally.useful_answers, policy),
        listened=suppress_rate(tally.listened, tally.listened_answers, policy),
        explained_median=suppress_median(tally.explained_answers, tally.explained_median, policy),
        explained_shares=_explained_shares(tally, policy),
        **extra,
    )


def _answer_shares(tally: Tally | None, policy: DisclosurePolicy) -> dict:
    tally = tally or Tally()
    return {
        "answered": suppress_rate(tally.answered, tally.published, policy),
        "changes": suppress_rate(tally.changes, tally.answers, policy),
    }


def _sum(tallies) -> Tally:
    total = Tally()
    for tally in tallies:
        total = total + tally
    return total


def _in_period(tallies: dict, index: int) -> dict:
    return {key: tally for (i, key), tally in tallies.items() if i == index}


def _key(group: Group):
    return None if group.key == NO_AREA else group.id


class _Counts:
    """The published counts of one period (rules 1 to 3)."""

    def __init__(self, listed: dict[str, list[Group]], tallies: dict[str, dict], policy: DisclosurePolicy,
                 total: int | None):
        self.total = suppress_count(total, policy) if total is not None else None
        self.by = {}
        if total is not None:
            areas = [(tallies["area"].get(_key(g)) or Tally()).experiences for g in listed["area"]]
            self.by["area"] = protect_with_total(areas, self.total, policy)
        services = [(tallies["service"].get(g.id) or Tally()).experiences for g in listed["service"]]
        self.by["service"] = protect_with_total(services, Cell(sum(services), False, None), policy)
        self.by["domain"] = [suppress_count((tallies["domain"].get(g.id) or Tally()).experiences, policy)
                             for g in listed["domain"]]

    def of(self, dimension: str, position: int) -> Cell:
        return self.by[dimension][position]


# --------------------------------------------------------------------------
# Co-creation
# --------------------------------------------------------------------------


def N_(message: str) -> str:  # gettext_noop: marked for extraction, translated by ``names.translator``
    return message


AREA_NOT_GIVEN = N_("Area not given")
ALL = N_("All")


def _cocreation(raw: dict, areas: list[Group], active_areas: set, policy: DisclosurePolicy, words) -> CoCreation:
    kinds = list(PARTNER_KINDS) + sorted({kind for _, kind in raw} - set(PARTNER_KINDS))
    kind_groups = [Group(kind, words.gettext(PARTNER_KIND_NAMES[kind]) if kind in PARTNER_KIND_NAMES else kind) for kind in kinds]
    used_areas = {area for area, _ in raw}
    area_groups = [g for g in areas if g.id in active_areas or g.id in used_areas]
    if None in used_areas or not area_groups:
        area_groups.append(Group(NO_AREA, words.gettext(AREA_NOT_GIVEN)))
    ids = [_key(g) for g in area_groups]

    def cell(area_id, kind) -> service.CoTally:
        return raw.get((area_id, kind), service.CoTally())

    def rates(group: Group, tally: service.CoTally) -> CoRates:
        return CoRates(
            group,
            suppress_rate(tally.attended, tally.attendance_recorded, policy),
            suppress_rate(tally.useful, tally.rated, policy),
        )

    sessions = suppress_two_way([[cell(a, k).sessions for k in kinds] for a in ids], policy)
    signups = suppress_two_way([[cell(a, k).signups for k in kinds] for a in ids], policy)
    by_area = [rates(g, sum((cell(a, k) for k in kinds), service.CoTally())) for g, a in zip(area_groups, ids)]
    by_kind = [rates(g, sum((cell(a, g.key) for a in ids), service.CoTally())) for g in kind_groups]
    total = rates(Group("all", words.gettext(ALL)), sum(raw.values(), service.CoTally()))
    return CoCreation(area_groups, kind_groups, sessions, signups, by_area, by_kind, total)


# --------------------------------------------------------------------------
# The whole view
# --------------------------------------------------------------------------


def build(*, session: Session, period: Period, filters: Filters, policy: DisclosurePolicy, now: datetime,
          names: Names) -> Figures:
    """All figures of one view: a period and the chosen filters, with groups named by
    ``names`` (the reader's language)."""
    words = names.translator
    rows = {name: all_rows(model, session=session) for name, model in _MODELS.items()}
    groups = {name: [Group(row.slug, names(row), row.id) for row in rows[name]] for name in DIMENSIONS}
    inactive = {name: {row.id for row in rows[name] if not row.is_active} for name in DIMENSIONS}
    chosen_ids = {"area": filters.area_id, "service": filters.service_id, "domain": filters.domain_id}
    chosen = {name: next((g for g in groups[name] if g.id == chosen_ids[name]), None) for name in DIMENSIONS}
    filtered = [name for name in DIMENSIONS if chosen_ids[name] is not None]
    single = filtered[0] if len(filtered) == 1 else None
    counts_shown = len(filtered) <= 1

    first_at = service.first_moderated_at(session=session)
    periods = trend_periods(period, first_at)
    last = len(periods) - 1
    unfiltered = Filters()

    def at_last(raw: dict) -> dict:
        return {(last, key): tally for (_, key), tally in raw.items()}

    # Per area, every period. With an area filter (or none) the counts come from
    # here; with a service or domain filter this is what that filter narrows.
    if single in ("service", "domain"):  # the trend follows that dimension's own table
        area_raw = at_last(service.tallies(session=session, periods=[period], by="area", filters=filters))
    else:
        area_raw = service.tallies(session=session, periods=periods, by="area", filters=filters)
    # Per service and per domain: every period for the filtered one (its trend's
    # counts come from its table), the chosen period otherwise.
    link_raw = {}
    for name in ("service", "domain"):
        if single == name:
            link_raw[name] = service.tallies(session=session, periods=periods, by=name, filters=unfiltered)
        else:
            link_raw[name] = at_last(service.tallies(session=session, periods=[period], by=name, filters=filters))

    used = {"area": {key for _, key in area_raw}, "service": {k for _, k in link_raw["service"]},
            "domain": {k for _, k in link_raw["domain"]}}
    for name in DIMENSIONS:
        used[name].add(chosen_ids[name])  # the chosen group is always listed, even if inactive
    listed = {name: _active_or_used(groups[name], used[name], inactive[name]) for name in DIMENSIONS}
    listed["area"] = listed["area"] + [Group(NO_AREA, words.gettext(AREA_NOT_GIVEN))]

    def tallies_at(index: int) -> dict[str, dict]:
        return {"area": _in_period(area_raw, index), "service": _in_period(link_raw["service"], index),
                "domain": _in_period(link_raw["domain"], index)}

    def position(name: str) -> int:
        return next(i for i, g in enumerate(listed[name]) if g.id == chosen_ids[name])

    def slice_tally(index: int) -> Tally:
        at = tallies_at(index)
        if single in ("service", "domain"):
            return at[single].get(chosen_ids[single]) or Tally()
        if filters.area_id is not None:
            return at["area"].get(filters.area_id) or Tally()
        return _sum(at["area"].values())

    def slice_count(index: int) -> Cell | None:
        if not counts_shown:
            return None
        at = tallies_at(index)
        if single in (None, "area"):
            counts = _Counts(listed, at, policy, _sum(at["area"].values()).experiences)
            return counts.total if single is None else counts.of("area", position("area"))
        return _Counts(listed, at, policy, None).of(single, position(single))

    trend = []
    for index, p in enumerate(periods):
        tally = slice_tally(index)
        trend.append(TrendPoint(
            p, slice_count(index),
            suppress_rate(tally.useful, tally.useful_answers, policy),
            suppress_rate(tally.listened, tally.listened_answers, policy),
            p.is_complete(now),
        ))

    # The chosen period.
    at = tallies_at(last)
    summary_tally = slice_tally(last)
    summary_group = chosen[single] if single else Group("all", words.gettext(ALL))
    summary = _shares(summary_group, summary_tally, trend[-1].experiences, policy,
                      **_answer_shares(summary_tally, policy))
    distribution = None
    if not filtered:
        total = summary.experiences
        distribution = Distribution(protect_with_total(_explained_counts(summary_tally), total, policy), total)

    link_filtered = filters.service_id is not None or filters.domain_id is not None
    counts = _Counts(listed, at, policy, _sum(at["area"].values()).experiences if not link_filtered else None)
    breakdowns = {}
    for name in DIMENSIONS:
        # Counts in a breakdown only when no *other* dimension is filtered (rule 4).
        with_counts = all(chosen_ids[other] is None for other in DIMENSIONS if other != name)
        rows = []
        for i, group in enumerate(listed[name]):
            tally = at[name].get(_key(group))
            extra = {"chosen": chosen_ids[name] is not None and group.id == chosen_ids[name]}
            if name == "service":
                extra.update(_answer_shares(tally, policy))
            rows.append(_shares(group, tally, counts.of(name, i) if with_counts else None, policy, **extra))
        breakdowns[name] = rows

    active_areas = {g.id for g in groups["area"]} - inactive["area"]
    cocreation = _cocreation(service.cocreation(session=session, period=period, now=now), groups["area"], active_areas, policy,
                             words)
    return Figures(
        period=period, periods=periods, now=now, policy=policy, chosen=chosen, counts_shown=counts_shown,
        summary=summary, distribution=distribution, trend=trend, by_area=breakdowns["area"],
        by_service=breakdowns["service"], by_domain=breakdowns["domain"], cocreation=cocreation, first_at=first_at,
    )


def resolve_filters(*, session: Session, slugs: dict[str, str | None]) -> Filters:
    """Turn the slugs of a request into ids; an unknown slug raises LookupError."""
    ids = {}
    for name, model in _MODELS.items():
        slug = slugs.get(name)
        if not slug:
            ids[name] = None
            continue
        row = next((r for r in all_rows(model, session=session) if r.slug == slug), None)
        if row is None:
            raise LookupError(name)
        ids[name] = row.id
    return Filters(service_id=ids["service"], area_id=ids["area"], domain_id=ids["domain"])
