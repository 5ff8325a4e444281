"""What Voice may publish: the frozen tallies of published quarters, put through
disclosure control.

Every figure leaves here as a ``Cell`` of ``voice.figures.disclosure`` (a value, or
hidden with a reason). Dashboard, downloads and the monitoring feed all read the
same ``Figures``, so they always agree.

How the figures are protected, and why this way
-----------------------------------------------
A reader is assumed to know every figure that is or was ever published, in every
view, and, for every group, how many answered each question (published counts and
shares can give that away). So:

A. **A quarter is published once, and never changes.** It is published when it has
   ended and ``settle_days`` have passed (time for the stories to be read); its
   tally is then frozen in a snapshot (``service.publish_due``). Until then it shows
   nothing at all, so no decision can be seen as a difference between two reads; a
   decision about an older story, a family deleting its story, or a re-tag later
   never change what was published.
B. **Quarters are the finest period.** Months are not published: a quarter is the sum
   of its months, and published months would let a hidden quarter cell be worked out
   (or the other way round).
C. **A year shows a figure only where it adds nothing:** a year's count (or share) of
   a group is shown only when that group's count (or share) is shown in all four of
   its quarters, so it is their sum (or the share of their sums), which any reader
   could work out already. Otherwise it is hidden.
D. Within a quarter, counts are protected as before (the module ``disclosure``):
   1. The total of experiences is a single count. Every breakdown that adds up to it
      (by area, with "area not given"; by how many services families explained to,
      with "no answer") is protected as a one-way table *with that total held fixed*
      (``protect_with_total``).
   2. Services are a multiple choice: their counts are protected as a one-way table
      whose sum is never published. Domains (a story may have none) only need the
      "fewer than 5" rule.
   3. A view filtered on one group shows that group's count from the quarter's
      unfiltered table, and its trend the same from every quarter's table.
   4. No other counts are published: not for a combination of filters, not inside a
      breakdown that a filter narrows.
E. **Shares give away the counts behind them**, since a reader may know how many
   answered. A share ``k / n`` is shown only when at least ``min_answers`` answered
   and both ``k`` and ``n - k`` are at least ``min_count`` (so the two counts it
   reveals could be published themselves); to whole per cent. In a breakdown that
   splits a shown total (the areas of a view; a group's answers by how many
   services they explained to; co-creation by area and by partner kind) at least two
   shares are hidden when any is, so that no hidden numerator is the total minus
   the others: with two or more hidden, each can still take two values or more,
   except the extremes 0 and ``n``, which reveal no count one could not publish.
   Every hidden share carries the same mark, whatever hid it.
F. Co-creation: sessions held and sign-ups are two-way tables area x partner kind
   with all margins (``suppress_two_way``) per quarter; shares as in E.

The property tests in tests/test_figures_attacks.py play the reader: every
subtraction across quarters, years, filters and shares, over random data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from ..accounts.models import PARTNER_KIND_NAMES, PARTNER_KINDS
from ..experiences.models import EXPLAINED_MAX
from ..locales import N_
from ..reference.models import Area, LifeDomain, Service
from ..reference.service import Names, all_rows
from . import answer_times, loop, loop_tables, service
from .disclosure import Cell, DisclosurePolicy, TwoWayResult, suppress_count, suppress_median, suppress_two_way
from .loop import theme_labels
from .protect import protect_shares, protect_with_total, share, year_count, year_share
from .service import Filters, Period, Tally

TREND_LENGTH = {"quarter": 8, "year": 5}
PUBLISHED_KINDS = ("quarter", "year")
MAX_PERIOD_OPTIONS = 240
DIMENSIONS = ("area", "service", "domain")
# Columns of the "services explained to" tables: 0, 1, ..., 5, "6 or more", no answer.
EXPLAINED_KEYS = [str(k) for k in range(EXPLAINED_MAX)] + [f"{EXPLAINED_MAX}+", "no-answer"]
NO_AREA = "none"
_MODELS = {"area": Area, "service": Service, "domain": LifeDomain}




AREA_NOT_GIVEN = N_("Area not given")
ALL = N_("All")


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
    experiences: Cell | None  # None: counts are not published in this view (rule D4)
    useful: Cell
    listened: Cell
    explained_median: Cell
    explained_shares: list[Cell] = field(default_factory=list)  # share answering 0..6+, of those who answered
    answered: Cell | None = None  # share of published stories answered (summary and services)
    changes: Cell | None = None  # share of answers marked "change planned" or "change made"
    helped: Cell | None = None  # share of "did it help?" answers saying yes (summary and services; loop_tables)
    in_time: Cell | None = None  # share of published stories answered within the service's target (same)
    answer_median: Cell | None = None  # median working days from publication to the answer (same)
    chosen: bool = False
    tally: Tally = field(default_factory=Tally, repr=False)  # the raw numbers; never published


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
    complete: bool = True  # published periods are always complete


@dataclass
class CoRates:
    group: Group
    attended: Cell  # share of confirmed sign-ups marked as attended, of those marked
    useful: Cell  # share rating the session 4 or 5, of those who rated
    raw: tuple[tuple[int, int], tuple[int, int]] = field(default=((0, 0), (0, 0)), repr=False)


@dataclass
class CoCreation:
    areas: list[Group]
    kinds: list[Group]
    sessions: TwoWayResult
    signups: TwoWayResult
    by_area: list[CoRates]
    by_kind: list[CoRates]
    total: CoRates
    raw: dict = field(default_factory=dict, repr=False)  # (area id, kind) -> CoTally


@dataclass
class Figures:
    period: Period
    periods: list[Period]
    now: datetime
    policy: DisclosurePolicy
    chosen: dict[str, Group | None]
    counts_shown: bool
    summary: Row | None
    distribution: Distribution | None
    trend: list[TrendPoint]
    by_area: list[Row]
    by_service: list[Row]
    by_domain: list[Row]
    cocreation: CoCreation | None = None
    themes: list[loop_tables.ThemeRow] = field(default_factory=list)
    first_at: datetime | None = None  # start of the first published quarter
    published: bool = True
    publishes_on: date | None = None  # for a period not published yet
    last_published: Period | None = None

    @property
    def complete(self) -> bool:
        return self.published

    @property
    def filtered(self) -> bool:
        return any(self.chosen.values())

    @property
    def helped_shown(self) -> bool:
        """"Did it help?" is published for all and per service, never for an area or a life domain."""
        return self.published and self.chosen["area"] is None and self.chosen["domain"] is None

    def breakdown_counts_shown(self, dimension: str) -> bool:
        """A breakdown shows counts only when no *other* dimension is filtered (rule D4)."""
        return all(group is None for name, group in self.chosen.items() if name != dimension)


# --------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------


def period_options(kind: str, *, published: set[Period]) -> list[Period]:
    """Published periods of this kind, newest first (a year when all its quarters are)."""
    if kind == "quarter":
        options = sorted(published, reverse=True)
    else:
        years = {q.year for q in published}
        options = [Period("year", y) for y in sorted(years, reverse=True)
                   if all(Period("quarter", y, n) in published for n in range(1, 5))]
    return options[:MAX_PERIOD_OPTIONS]


def is_published(period: Period, published: set[Period]) -> bool:
    return all(q in published for q in quarters_of(period))


def quarters_of(period: Period) -> list[Period]:
    if period.kind == "quarter":
        return [period]
    return [Period("quarter", period.year, n) for n in range(1, 5)]


def trend_periods(period: Period, published: set[Period]) -> list[Period]:
    """The chosen period and up to the few before it that are published, oldest first."""
    result = [period]
    candidate = period.previous()
    while len(result) < TREND_LENGTH[period.kind] and is_published(candidate, published):
        result.append(candidate)
        candidate = candidate.previous()
    return list(reversed(result))


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------


def _explained_counts(tally: Tally) -> list[int]:
    return [*tally.explained, tally.experiences - tally.explained_answers]


def _explained_shares(tally: Tally, policy: DisclosurePolicy) -> list[Cell]:
    """Share of each answer 0..6+ among those who answered: a breakdown of that number (rule E)."""
    n = tally.explained_answers
    return protect_shares([(count, n) for count in tally.explained], n > 0, policy)


# What each share is a share of: (numerator, denominator) in a tally.
SHARES = {
    "useful": lambda t: (t.useful, t.useful_answers),
    "listened": lambda t: (t.listened, t.listened_answers),
    "answered": lambda t: (t.answered, t.published),
    "changes": lambda t: (t.changes, t.answers),
}


def _row(group: Group, tally: Tally, experiences: Cell | None, policy: DisclosurePolicy, *,
         useful: Cell | None = None, listened: Cell | None = None, with_answers: bool = False, chosen: bool = False) -> Row:
    return Row(
        group=group,
        experiences=experiences,
        useful=useful if useful is not None else share(*SHARES["useful"](tally), policy),
        listened=listened if listened is not None else share(*SHARES["listened"](tally), policy),
        explained_median=suppress_median(tally.explained_answers, tally.explained_median, policy),
        explained_shares=_explained_shares(tally, policy),
        answered=share(*SHARES["answered"](tally), policy) if with_answers else None,
        changes=share(*SHARES["changes"](tally), policy) if with_answers else None,
        chosen=chosen,
        tally=tally,
    )


def _sum(tallies) -> Tally:
    total = Tally()
    for tally in tallies:
        total = total + tally
    return total


def _key(group: Group):
    return None if group.key == NO_AREA else group.id


# --------------------------------------------------------------------------
# One quarter: everything a view publishes of it
# --------------------------------------------------------------------------


@dataclass
class _Quarter:
    summary: Row
    by: dict[str, list[Row]]
    distribution: Distribution | None
    themes: list[loop_tables.ThemeRow] = field(default_factory=list)


def _quarter(groups: dict[str, list[Group]], at: dict[str, dict], chosen: dict[str, Group | None],
             policy: DisclosurePolicy) -> _Quarter:
    """The figures of one quarter for the chosen filters. ``at``: the quarter's tallies per
    group for each dimension, with the *other* dimensions' filters applied. Depends only
    on the frozen numbers, so a quarter shows the same figures in every view and at
    every time."""
    filtered = [name for name in DIMENSIONS if chosen[name] is not None]
    single = filtered[0] if len(filtered) == 1 else None
    counts_shown = len(filtered) <= 1

    def tally_of(name: str, group: Group) -> Tally:
        return at[name].get(_key(group)) or Tally()

    areas = [tally_of("area", g) for g in groups["area"]]
    parent = _sum(areas)  # every area under the other filters

    # Counts (rule D).
    total = suppress_count(parent.experiences, policy) if not (chosen["service"] or chosen["domain"]) else None
    area_counts = protect_with_total([t.experiences for t in areas], total, policy) if total is not None else None
    services = [tally_of("service", g) for g in groups["service"]]
    service_counts = protect_with_total([t.experiences for t in services], Cell(1, False, None), policy)
    domains = [tally_of("domain", g) for g in groups["domain"]]
    domain_counts = [suppress_count(t.experiences, policy) for t in domains]

    def count_of(name: str, index: int) -> Cell | None:
        if name == "area":
            return area_counts[index] if area_counts is not None else None
        return (service_counts if name == "service" else domain_counts)[index]

    # Shares of the area breakdown: a split of the parent (rule E).
    parent_shares = {name: share(*SHARES[name](parent), policy) for name in ("useful", "listened")}
    area_shares = {name: protect_shares([SHARES[name](t) for t in areas], not parent_shares[name].suppressed, policy)
                   for name in ("useful", "listened")}

    def chosen_index(name: str) -> int | None:
        group = chosen[name]
        return next((i for i, g in enumerate(groups[name]) if g.id == group.id), None) if group else None

    by = {}
    for name, tallies in (("area", areas), ("service", services), ("domain", domains)):
        with_counts = all(chosen[other] is None for other in DIMENSIONS if other != name)
        rows = []
        for i, (group, tally) in enumerate(zip(groups[name], tallies)):
            extra = {"useful": area_shares["useful"][i], "listened": area_shares["listened"][i]} if name == "area" else {}
            rows.append(_row(group, tally, count_of(name, i) if with_counts else None, policy,
                             with_answers=name == "service", chosen=chosen[name] is not None and group.id == chosen[name].id,
                             **extra))
        by[name] = rows

    if chosen["area"] is not None:
        i = chosen_index("area")
        base = by["area"][i]
        summary = _row(chosen["area"], base.tally, base.experiences if counts_shown else None, policy,
                       useful=base.useful, listened=base.listened, with_answers=True)
    elif single in ("service", "domain"):
        base = by[single][chosen_index(single)]
        summary = _row(chosen[single], base.tally, base.experiences, policy, with_answers=True)
    elif filtered:  # service and domain together: shares only
        both = at["service"].get(chosen["service"].id) or Tally()
        summary = _row(chosen["service"], both, None, policy, with_answers=True)
    else:
        summary = _row(Group("all", ""), parent, total, policy, useful=parent_shares["useful"],
                       listened=parent_shares["listened"], with_answers=True)

    distribution = None
    if not filtered:
        distribution = Distribution(protect_with_total(_explained_counts(parent), total, policy), total)
    return _Quarter(summary, by, distribution)


# --------------------------------------------------------------------------
# A year: the sum of its four quarters, shown only where it adds nothing (rule C)
# --------------------------------------------------------------------------


def _year_row(rows: list[Row], group: Group, policy: DisclosurePolicy, *, with_answers: bool, chosen: bool) -> Row:
    tally = _sum(row.tally for row in rows)
    result = Row(
        group=group,
        experiences=year_count([r.experiences for r in rows], [r.tally.experiences for r in rows], policy),
        useful=year_share([r.useful for r in rows], [SHARES["useful"](r.tally) for r in rows], policy),
        listened=year_share([r.listened for r in rows], [SHARES["listened"](r.tally) for r in rows], policy),
        explained_median=suppress_median(tally.explained_answers, tally.explained_median, policy),
        explained_shares=[
            year_share([r.explained_shares[j] for r in rows], [(r.tally.explained[j], r.tally.explained_answers) for r in rows],
                        policy)
            for j in range(EXPLAINED_MAX + 1)
        ],
        chosen=chosen,
        tally=tally,
    )
    if with_answers:
        result.answered = year_share([r.answered for r in rows], [SHARES["answered"](r.tally) for r in rows], policy)
        result.changes = year_share([r.changes for r in rows], [SHARES["changes"](r.tally) for r in rows], policy)
    return result


def _year(quarters: list[_Quarter], policy: DisclosurePolicy) -> _Quarter:
    first = quarters[0]
    summary = _year_row([q.summary for q in quarters], first.summary.group, policy, with_answers=True, chosen=False)
    by = {
        name: [_year_row([q.by[name][i] for q in quarters], row.group, policy, with_answers=name == "service", chosen=row.chosen)
               for i, row in enumerate(first.by[name])]
        for name in DIMENSIONS
    }
    distribution = None
    if first.distribution is not None:
        cells = [year_count([q.distribution.cells[j] for q in quarters],
                             [_explained_counts(q.summary.tally)[j] for q in quarters], policy)
                 for j in range(len(EXPLAINED_KEYS))]
        distribution = Distribution(cells, summary.experiences)
    return _Quarter(summary, by, distribution)


# --------------------------------------------------------------------------
# Co-creation
# --------------------------------------------------------------------------


def _co_shares(groups: list[Group], tallies: list[service.CoTally], total_rates: tuple[Cell, Cell],
               policy: DisclosurePolicy) -> list[CoRates]:
    attended = protect_shares([(t.attended, t.attendance_recorded) for t in tallies], not total_rates[0].suppressed, policy)
    useful = protect_shares([(t.useful, t.rated) for t in tallies], not total_rates[1].suppressed, policy)
    return [CoRates(g, a, u, ((t.attended, t.attendance_recorded), (t.useful, t.rated)))
            for g, a, u, t in zip(groups, attended, useful, tallies)]


def _co_quarter(raw: dict, area_groups: list[Group], kind_groups: list[Group], policy: DisclosurePolicy) -> CoCreation:
    ids = [_key(g) for g in area_groups]
    kinds = [g.key for g in kind_groups]

    def cell(area_id, kind) -> service.CoTally:
        return raw.get((area_id, kind), service.CoTally())

    everything = sum(raw.values(), service.CoTally())
    total_rates = (share(everything.attended, everything.attendance_recorded, policy),
                   share(everything.useful, everything.rated, policy))
    area_tallies = [sum((cell(a, k) for k in kinds), service.CoTally()) for a in ids]
    kind_tallies = [sum((cell(a, k) for a in ids), service.CoTally()) for k in kinds]
    total = CoRates(Group("all", ""), *total_rates,
                    ((everything.attended, everything.attendance_recorded), (everything.useful, everything.rated)))
    return CoCreation(
        area_groups, kind_groups,
        suppress_two_way([[cell(a, k).sessions for k in kinds] for a in ids], policy),
        suppress_two_way([[cell(a, k).signups for k in kinds] for a in ids], policy),
        _co_shares(area_groups, area_tallies, total_rates, policy),
        _co_shares(kind_groups, kind_tallies, total_rates, policy),
        total, raw,
    )


def _co_year(quarters: list[CoCreation], policy: DisclosurePolicy) -> CoCreation:
    first = quarters[0]
    ids = [_key(g) for g in first.areas]
    kinds = [g.key for g in first.kinds]

    def two_way(name: str) -> TwoWayResult:
        def values(q: CoCreation, i: int | None, j: int | None) -> int:
            rows = [a for n, a in enumerate(ids) if i is None or n == i]
            cols = [k for n, k in enumerate(kinds) if j is None or n == j]
            return sum(getattr(q.raw.get((a, k), service.CoTally()), name) for a in rows for k in cols)

        results = [getattr(q, name) for q in quarters]
        return TwoWayResult(
            cells=[[year_count([r.cells[i][j] for r in results], [values(q, i, j) for q in quarters], policy)
                    for j in range(len(kinds))] for i in range(len(ids))],
            row_totals=[year_count([r.row_totals[i] for r in results], [values(q, i, None) for q in quarters], policy)
                        for i in range(len(ids))],
            col_totals=[year_count([r.col_totals[j] for r in results], [values(q, None, j) for q in quarters], policy)
                        for j in range(len(kinds))],
            grand_total=year_count([r.grand_total for r in results], [values(q, None, None) for q in quarters], policy),
        )

    def rates(picks: list[CoRates], group: Group) -> CoRates:
        attended = year_share([p.attended for p in picks], [p.raw[0] for p in picks], policy)
        useful = year_share([p.useful for p in picks], [p.raw[1] for p in picks], policy)
        raw = tuple(tuple(map(sum, zip(*[p.raw[m] for p in picks]))) for m in (0, 1))
        return CoRates(group, attended, useful, raw)

    return CoCreation(
        first.areas, first.kinds, two_way("sessions"), two_way("signups"),
        [rates([q.by_area[i] for q in quarters], g) for i, g in enumerate(first.areas)],
        [rates([q.by_kind[i] for q in quarters], g) for i, g in enumerate(first.kinds)],
        rates([q.total for q in quarters], first.total.group),
    )


# --------------------------------------------------------------------------
# The whole view
# --------------------------------------------------------------------------


def _groups(session: Session, names: Names) -> tuple[dict[str, list[Group]], dict[str, set]]:
    rows = {name: all_rows(model, session=session) for name, model in _MODELS.items()}
    groups = {name: [Group(row.slug, names(row), row.id) for row in rows[name]] for name in DIMENSIONS}
    inactive = {name: {row.id for row in rows[name] if not row.is_active} for name in DIMENSIONS}
    return groups, inactive


def build(*, session: Session, period: Period, filters: Filters, policy: DisclosurePolicy, now: datetime,
          names: Names, settle_days: int) -> Figures:
    """All figures of one view: a published quarter or year and the chosen filters, with groups
    named by ``names`` (the reader's language). A period not published yet shows nothing."""
    words = names.translator
    published = service.published_quarters(session=session)
    groups, inactive = _groups(session, names)
    chosen_ids = {"area": filters.area_id, "service": filters.service_id, "domain": filters.domain_id}
    chosen = {name: next((g for g in groups[name] if g.id == chosen_ids[name]), None) for name in DIMENSIONS}
    counts_shown = sum(1 for g in chosen.values() if g is not None) <= 1
    first = min(published) if published else None
    last = max(published) if published else None
    base = dict(period=period, now=now, policy=policy, chosen=chosen, counts_shown=counts_shown,
                first_at=first.start_utc if first else None, last_published=last)
    if not is_published(period, published):
        day = max(service.publication_day(q, settle_days) for q in quarters_of(period))
        return Figures(periods=[], summary=None, distribution=None, trend=[], by_area=[], by_service=[], by_domain=[],
                       published=False, publishes_on=day, **base)

    trend = trend_periods(period, published)
    quarters = [q for p in trend for q in quarters_of(p)]
    raw = {name: service.tallies(session=session, periods=quarters, by=name, filters=filters, table=service.SNAPSHOT)
           for name in DIMENSIONS}

    # Every group that is active or has experiences in these quarters: the same rows in
    # every quarter, so a year can add them up (groups without data change no protection).
    used = {name: {key for _i, key in raw[name]} for name in DIMENSIONS}
    listed = {name: [g for g in groups[name] if g.id not in inactive[name] or g.id in used[name] or g.id == chosen_ids[name]]
              for name in DIMENSIONS}
    listed["area"] = listed["area"] + [Group(NO_AREA, words.gettext(AREA_NOT_GIVEN))]

    def at(index: int) -> dict[str, dict]:
        return {name: {key: tally for (i, key), tally in raw[name].items() if i == index} for name in DIMENSIONS}

    computed = [_quarter(listed, at(i), chosen, policy) for i in range(len(quarters))]
    per_period = computed if period.kind == "quarter" else [_year(computed[i:i + 4], policy) for i in range(0, len(computed), 4)]
    view = per_period[-1]
    label = chosen[next(n for n in DIMENSIONS if chosen[n])].label if any(chosen.values()) else words.gettext(ALL)
    view.summary.group = Group(view.summary.group.key, label, view.summary.group.id)

    # Co-creation (not filtered): the frozen figures of the period's quarters.
    kinds = list(PARTNER_KINDS)
    co_quarters = []
    for quarter in quarters_of(period):
        co_raw = service.cocreation_published(session=session, quarters=[quarter])
        kinds += sorted({kind for _a, kind in co_raw} - set(kinds))
        co_quarters.append(co_raw)
    kind_groups = [Group(k, words.gettext(PARTNER_KIND_NAMES[k]) if k in PARTNER_KIND_NAMES else k) for k in kinds]
    used_areas = {a for co_raw in co_quarters for a, _k in co_raw}
    area_groups = [g for g in groups["area"] if g.id not in inactive["area"] or g.id in used_areas]
    if None in used_areas or not area_groups:
        area_groups.append(Group(NO_AREA, words.gettext(AREA_NOT_GIVEN)))
    co = [_co_quarter(co_raw, area_groups, kind_groups, policy) for co_raw in co_quarters]
    cocreation = co[0] if period.kind == "quarter" else _co_year(co, policy)
    cocreation.total.group = Group("all", words.gettext(ALL))

    _add_loop(session, period, view, chosen, names, policy)

    return Figures(
        periods=trend, summary=view.summary, distribution=view.distribution,
        trend=[TrendPoint(p, v.summary.experiences if counts_shown else None, v.summary.useful, v.summary.listened)
               for p, v in zip(trend, per_period)],
        by_area=view.by["area"], by_service=view.by["service"], by_domain=view.by["domain"], cocreation=cocreation,
        themes=view.themes, **base,
    )


def _add_loop(session: Session, period: Period, view: _Quarter, chosen: dict[str, Group | None], names: Names,
              policy: DisclosurePolicy) -> None:
    """The loop's figures of the period (loop_tables): "did it help?" and how fast the services
    answered, on the summary and the service rows (not for an area or a life domain: not
    published that finely), and the themes (whatever the filters, like co-creation)."""
    keys = [service.quarter_key(q) for q in quarters_of(period)]
    frozen = loop.published(session=session, keys=keys)
    quarters = [frozen[key] for key in keys]
    used = {ref for q in quarters for kind, ref in q if kind == loop.SERVICE}
    service_ids = sorted(used | {row.group.id for row in view.by["service"]})
    helped = loop_tables.helped(quarters, service_ids, policy)
    if chosen["area"] is None and chosen["domain"] is None:
        for row in view.by["service"]:
            row.helped = helped.by_service.get(row.group.id)
        view.summary.helped = helped.by_service.get(chosen["service"].id) if chosen["service"] else helped.total
    times = answer_times.published(session=session, keys=keys)
    timed = [times[key] for key in keys]
    timed_ids = sorted({sid for q in timed for sid in q} | {row.group.id for row in view.by["service"]})
    speed = loop_tables.answer_speed(timed, timed_ids, policy)
    if chosen["area"] is None and chosen["domain"] is None:
        for row in view.by["service"]:
            row.in_time, row.answer_median = speed.in_time.get(row.group.id), speed.median.get(row.group.id)
        pick = chosen["service"].id if chosen["service"] else None
        view.summary.in_time, view.summary.answer_median = speed.in_time.get(pick), speed.median.get(pick)
    theme_ids = sorted({ref for q in quarters for kind, ref in q if kind == loop.THEME})
    view.themes = loop_tables.themes(quarters, theme_labels(session=session, theme_ids=theme_ids,
                                                           locale=names.translator.code), policy)


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
