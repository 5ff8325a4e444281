"""Shares and year figures under the disclosure rules of ``voice.figures.tables`` (rules C and E),
shared by the experience tables and the loop's (``loop_tables``). Numbers only: no database."""
from __future__ import annotations

from .disclosure import REASON_PROTECTED, REASON_SECONDARY, REASON_SMALL, Cell, DisclosurePolicy, suppress_one_way


def protected() -> Cell:
    return Cell(None, True, REASON_PROTECTED)


def share(k: int, n: int, policy: DisclosurePolicy) -> Cell:
    """A share ``k / n`` (rule E): shown, to whole per cent, only when ``n >= min_answers`` and
    at least ``min_count`` answered each way. So 0% and 100% are never shown either: they
    would tell every family's answer."""
    if n < policy.min_answers or k < policy.min_count or n - k < policy.min_count:
        return protected()
    return Cell(round(k / n, 2), False, None)


def protect_shares(parts: list[tuple[int, int]], total_shown: bool, policy: DisclosurePolicy) -> list[Cell]:
    """Shares of a breakdown that splits a total (rule E): each on its own and, when the total's
    share is shown, the hidden ones (those with answers) are never one alone, and never all
    "everyone yes" or all "everyone no" together: either would let the total minus the others
    tell them. Then the shown part with the fewest answers is hidden too (a shown part always
    has answers both ways, so one more is enough)."""
    cells = [share(k, n, policy) for k, n in parts]

    def exposed() -> bool:
        hidden = [i for i, cell in enumerate(cells) if cell.suppressed and parts[i][1] > 0]
        if not hidden:
            return False
        yes, answers = sum(parts[i][0] for i in hidden), sum(parts[i][1] for i in hidden)
        return len(hidden) == 1 or yes in (0, answers)

    while total_shown and exposed():
        shown = [i for i, cell in enumerate(cells) if not cell.suppressed]
        if not shown:
            break
        cells[min(shown, key=lambda i: (parts[i][1], i))] = protected()
    return cells


def protect_with_total(counts: list[int], total: Cell, policy: DisclosurePolicy) -> list[Cell]:
    """A breakdown of a total that is published elsewhere as ``total`` (rule D1).

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


# A year: the sum of its four quarters, shown only where it adds nothing (rule C).


def year_count(cells: list[Cell | None], values: list[int], policy: DisclosurePolicy) -> Cell | None:
    if any(cell is None for cell in cells):
        return None
    value = sum(values)
    if all(not cell.suppressed for cell in cells):
        return Cell(value, False, None)
    if 0 < value < policy.min_count:
        return Cell(None, True, REASON_SMALL, policy.min_count)
    return Cell(None, True, REASON_SECONDARY)


def year_share(cells: list[Cell], parts: list[tuple[int, int]], policy: DisclosurePolicy) -> Cell:
    """Shown when every quarter with answers shows its share (then it is the share of their sums)."""
    k = sum(p[0] for p in parts)
    n = sum(p[1] for p in parts)
    if any(cell.suppressed and part[1] > 0 for cell, part in zip(cells, parts)):
        return protected()
    cell = share(k, n, policy)
    return cell
