"""What Voice may publish of the loop (``voice.figures.loop``): per theme, and "changes that
families say helped" per service, from the frozen quarters, with the rules of
``voice.figures.tables``.

Per theme and quarter:
* stories told: a count ("fewer than 5" for 1-4);
* its stories split into "change made", "change planned" and the rest, with the stories count held
  fixed (rule D1, ``protect_with_total``): the two marks are published, and whatever would let a
  hidden one be worked out from the count is hidden too (secondary suppression);
* answered: a share of its published stories (rule E);
* did it help: the share saying "yes" of the "did it help?" answers (rule E: at least 10 answers
  and at least 5 each way, so no figure from fewer than 10 answers and no count 1-4 behind it).
Themes overlap (a story can be in several), so their counts have no published sum.

Per service: "did it help?" answers are each about one service's change, so the services split
the total: the total's share and the services' shares are protected together (``protect_shares``).
A year shows a figure only where its four quarters show theirs (rule C).

Not covered: a theme's page shows how many families told about it in all (live, with "fewer than
5"); once every story of a theme lies in published quarters, that count minus the theme's shown
quarters gives the sum of its hidden ones (each known to be 1-4 already, or hidden with others).
"""
from __future__ import annotations

from dataclasses import dataclass

from .answer_times import AnswerTimes
from .disclosure import Cell, DisclosurePolicy, suppress_count, suppress_median
from .loop import SERVICE, THEME, LoopTally
from .protect import protect_shares, protect_with_total, share, year_count, year_share
from .service import median_of_counts


@dataclass
class ThemeRow:
    key: str  # the theme's slug
    label: str
    stories: Cell
    answered: Cell
    planned: Cell
    made: Cell
    helped: Cell
    tally: LoopTally


@dataclass
class Helped:
    """"Did it help?": the share saying yes, in all and per service id."""

    total: Cell
    by_service: dict[int, Cell]
    tallies: dict[int, LoopTally]


def _theme_quarter(key: str, label: str, tally: LoopTally, policy: DisclosurePolicy) -> ThemeRow:
    stories = suppress_count(tally.stories, policy)
    made, planned, _rest = protect_with_total(
        [tally.made, tally.planned, tally.stories - tally.made - tally.planned], stories, policy)
    return ThemeRow(key, label, stories, share(tally.answered, tally.published, policy), planned, made,
                    share(tally.helped, tally.verdicts, policy), tally)


def _theme_year(rows: list[ThemeRow], policy: DisclosurePolicy) -> ThemeRow:
    t = [r.tally for r in rows]

    def count(name: str) -> Cell:
        return year_count([getattr(r, name) for r in rows], [getattr(x, name) for x in t], policy)

    return ThemeRow(
        rows[0].key, rows[0].label, count("stories"),
        year_share([r.answered for r in rows], [(x.answered, x.published) for x in t], policy),
        count("planned"), count("made"),
        year_share([r.helped for r in rows], [(x.helped, x.verdicts) for x in t], policy),
        sum(t, LoopTally()))


def themes(quarters: list[dict[tuple[str, int], LoopTally]], listed: list[tuple[int, str, str]],
           policy: DisclosurePolicy) -> list[ThemeRow]:
    """One row per listed theme (id, slug, label) for a quarter (one dict) or a year (four)."""
    rows = []
    for theme_id, slug, label in listed:
        per = [_theme_quarter(slug, label, q.get((THEME, theme_id), LoopTally()), policy) for q in quarters]
        rows.append(per[0] if len(per) == 1 else _theme_year(per, policy))
    return rows


def _helped_quarter(quarter: dict[tuple[str, int], LoopTally], service_ids: list[int],
                    policy: DisclosurePolicy) -> Helped:
    tallies = {sid: quarter.get((SERVICE, sid), LoopTally()) for sid in service_ids}
    everything = sum(tallies.values(), LoopTally())
    total = share(everything.helped, everything.verdicts, policy)
    cells = protect_shares([(t.helped, t.verdicts) for t in tallies.values()], not total.suppressed, policy)
    return Helped(total, dict(zip(tallies, cells)), tallies)


def helped(quarters: list[dict[tuple[str, int], LoopTally]], service_ids: list[int],
           policy: DisclosurePolicy) -> Helped:
    """"Changes that families say helped" for a quarter (one dict) or a year (four). ``service_ids``
    must hold every service with answers in those quarters (so the parts add up to the total)."""
    per = [_helped_quarter(q, service_ids, policy) for q in quarters]
    if len(per) == 1:
        return per[0]

    def parts(sid: int | None) -> list[tuple[int, int]]:
        picked = [p.tallies.values() if sid is None else [p.tallies[sid]] for p in per]
        return [(sum(t.helped for t in ts), sum(t.verdicts for t in ts)) for ts in picked]

    total = year_share([p.total for p in per], parts(None), policy)
    by = {sid: year_share([p.by_service[sid] for p in per], parts(sid), policy) for sid in service_ids}
    tallies = {sid: sum((p.tallies[sid] for p in per), LoopTally()) for sid in service_ids}
    return Helped(total, by, tallies)


@dataclass
class AnswerSpeed:
    """How fast the services answered: the share within their target and the median working
    days, in all (``None`` key) and per service id."""

    in_time: dict[int | None, Cell]
    median: dict[int | None, Cell]


def _median(times: AnswerTimes, policy: DisclosurePolicy) -> Cell:
    return suppress_median(times.answered, median_of_counts(times.median_counts()), policy)


def answer_speed(quarters: list[dict[int, AnswerTimes]], service_ids: list[int], policy: DisclosurePolicy) -> AnswerSpeed:
    """For a quarter (one dict) or a year (four). The services split the total (each story and
    service it names counts once), so their shares are protected together with it (rule E);
    a year shows a share only where its quarters show theirs (rule C). A median is shown from
    ``min_answers`` answers (it tells no count)."""
    def of(q: dict[int, AnswerTimes], sid: int | None) -> AnswerTimes:
        return sum(q.values(), AnswerTimes()) if sid is None else q.get(sid, AnswerTimes())

    def quarter_shares(q: dict[int, AnswerTimes]) -> dict[int | None, Cell]:
        everything = of(q, None)
        total = share(everything.in_time, everything.due, policy)
        cells = protect_shares([(of(q, sid).in_time, of(q, sid).due) for sid in service_ids], not total.suppressed, policy)
        return {None: total, **dict(zip(service_ids, cells))}

    per = [quarter_shares(q) for q in quarters]
    keys: list[int | None] = [None, *service_ids]
    if len(per) == 1:
        in_time = per[0]
    else:
        in_time = {sid: year_share([p[sid] for p in per], [(of(q, sid).in_time, of(q, sid).due) for q in quarters],
                                   policy) for sid in keys}
    median = {sid: _median(sum((of(q, sid) for q in quarters), AnswerTimes()), policy) for sid in keys}
    return AnswerSpeed(in_time, median)
