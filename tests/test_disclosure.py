"""Tests for voice.figures.disclosure (statistical disclosure control).

The property tests use an *independent* attacker written here. It shares no
code with the module, and it uses a different method: bounded integer search
with interval propagation, where the module uses cycles in a network. For
every hidden entry, the attacker has to produce a whole second table. That
table must match every published number, every row/column/margin sum, and
what the labels reveal ("fewer than 5" means 1..4, etc.), and it must give the
hidden entry a different value. That second table is then checked on its own by
``_consistent``. So a hidden entry counts as safe only when a real alternative
exists. A search that is too weak would make tests fail; it could not make
them pass falsely.

Tests of the attacker itself prove it is honest. It catches subtraction from a
published total, chains through a row and a column, a combination of rows and
columns where every line has two or more hidden cells, and the "fewer than 5"
bound attack.
"""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice.figures.disclosure import (
    DEFAULT_POLICY,
    Cell,
    DisclosurePolicy,
    TwoWayResult,
    suppress_count,
    suppress_median,
    suppress_one_way,
    suppress_rate,
    suppress_two_way,
)

BIG = 10**9  # "no upper bound" for the propagation-based attacker

# ---------------------------------------------------------------------------
# The attacker's view of a publication
# ---------------------------------------------------------------------------
#
# A publication is a grid of Cells. For a two-way table with r rows and c
# columns, the grid is (r+1) x (c+1). The last column holds the row totals,
# the last row the column totals, and the corner the grand total. A one-way
# table is a 1 x (n+1) grid: the n cells, then the total. ``lines`` lists the
# additive relations: (positions of the parts, position of their sum).


def grid_of_two_way(res: TwoWayResult) -> list[list[Cell]]:
    return [row + [rt] for row, rt in zip(res.cells, res.row_totals)] + [res.col_totals + [res.grand_total]]


def grid_of_one_way(cells: list[Cell], total: Cell) -> list[list[Cell]]:
    return [cells + [total]]


def truth_two_way(table: list[list[int]]) -> list[list[int]]:
    cols = [sum(col) for col in zip(*table)]
    return [row + [sum(row)] for row in table] + [cols + [sum(cols)]]


def truth_one_way(counts: list[int]) -> list[list[int]]:
    return [counts + [sum(counts)]]


def lines_two_way(r: int, c: int) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    lines = []
    for i in range(r + 1):  # every row, and the row of column totals
        lines.append(([(i, j) for j in range(c)], (i, c)))
    for j in range(c + 1):  # every column, and the column of row totals
        lines.append(([(i, j) for i in range(r)], (r, j)))
    return lines


def lines_one_way(n: int):
    return [([(0, j) for j in range(n)], (0, n))]


def attacker_domain(cell: Cell, grid: list[list[Cell]], m: int, model: str) -> tuple[int, int]:
    """What a reader knows about one hidden entry: an integer interval.

    model="labels": what the published labels and the documented rules
    reveal. "fewer than m" means 1..m-1. Zeros are never hidden and small
    values are always labelled, so a secondary entry is >= m. The exception is
    the documented fallback, where nothing is labelled small: there a hidden
    entry is only known to be >= 1.
    model="brief": only non-negativity (the weakest reader).
    """
    if model == "brief":
        return 0, BIG
    if cell.reason == "small":
        assert cell.below == m
        return 1, m - 1
    assert cell.reason == "secondary", cell
    any_small = any(x.reason == "small" for row in grid for x in row)
    return (m if any_small else 1), BIG


def _hidden_positions(grid):
    return [(i, j) for i, row in enumerate(grid) for j, cell in enumerate(row) if cell.suppressed]


def _equations(grid, lines, hidden):
    """Each line as (terms [(var, +1/-1)], rhs): sum coef * var == rhs."""
    index = {pos: n for n, pos in enumerate(hidden)}
    eqs = []
    for parts, total in lines:
        terms, rhs = [], 0
        for pos, coef in [(p, 1) for p in parts] + [(total, -1)]:
            cell = grid[pos[0]][pos[1]]
            if cell.suppressed:
                terms.append((index[pos], coef))
            else:
                rhs -= coef * cell.value
        eqs.append((terms, rhs))
    return eqs


def _propagate(eqs, dom) -> bool:
    """Interval propagation to a fixpoint. Returns False if infeasible."""
    changed = True
    while changed:
        changed = False
        for terms, rhs in eqs:
            lo_sum = sum(dom[v][0] if a > 0 else -dom[v][1] for v, a in terms)
            hi_sum = sum(dom[v][1] if a > 0 else -dom[v][0] for v, a in terms)
            if lo_sum > rhs or hi_sum < rhs:
                return False
            for v, a in terms:
                lo_v = dom[v][0] if a > 0 else -dom[v][1]
                hi_v = dom[v][1] if a > 0 else -dom[v][0]
                # a*x = rhs - (sum of the others)
                lo_ax = rhs - (hi_sum - hi_v)
                hi_ax = rhs - (lo_sum - lo_v)
                new_lo, new_hi = (lo_ax, hi_ax) if a > 0 else (-hi_ax, -lo_ax)
                new = (max(dom[v][0], new_lo), min(dom[v][1], new_hi))
                if new[0] > new[1]:
                    return False
                if new != dom[v]:
                    dom[v] = new
                    changed = True
    return True


def _search(eqs, dom):
    """Depth-first integer search with propagation. Returns a solution or None."""
    dom = list(dom)
    if not _propagate(eqs, dom):
        return None
    free = [v for v, (lo, hi) in enumerate(dom) if lo < hi]
    if not free:
        values = [lo for lo, _ in dom]
        if all(sum(a * values[v] for v, a in terms) == rhs for terms, rhs in eqs):
            return values
        return None
    v = min(free, key=lambda v: (dom[v][1] - dom[v][0], v))
    for value in range(dom[v][0], dom[v][1] + 1):
        trial = list(dom)
        trial[v] = (value, value)
        found = _search(eqs, trial)
        if found is not None:
            return found
    return None


def _consistent(grid, lines, candidate, m, model) -> bool:
    """Is a full table `candidate` consistent with everything published?"""
    for i, row in enumerate(grid):
        for j, cell in enumerate(row):
            x = candidate[i][j]
            if not isinstance(x, int) or x < 0:
                return False
            if cell.suppressed:
                lo, hi = attacker_domain(cell, grid, m, model)
                if not lo <= x <= hi:
                    return False
            elif x != cell.value:
                return False
    return all(sum(candidate[i][j] for i, j in parts) == candidate[total[0]][total[1]] for parts, total in lines)


def exposed_entries(grid, lines, truth, m, model="labels", window=2):
    """Hidden entries for which no second consistent table exists.

    The true table is one consistent table. That is asserted, because the
    module's own documented rules must hold for it. For every hidden entry, we
    search for another consistent table where that entry differs. Other entries
    may move up to `window` from the truth (a unit move around a cycle always
    suffices for these constraints; the window of 2 is slack). Every table
    found is re-checked by `_consistent` before it counts.
    """
    assert _consistent(grid, lines, truth, m, model), "the truth contradicts the publication"
    hidden = _hidden_positions(grid)
    eqs = _equations(grid, lines, hidden)
    exposed = []
    for n, (i, j) in enumerate(hidden):
        base = []
        for (a, b) in hidden:
            lo, hi = attacker_domain(grid[a][b], grid, m, model)
            t = truth[a][b]
            base.append((max(lo, t - window), min(hi, t + window)))
        t = truth[i][j]
        found = None
        for target in ((t + 1, base[n][1]), (base[n][0], t - 1)):
            if target[0] > target[1]:
                continue
            dom = list(base)
            dom[n] = target
            solution = _search(eqs, dom)
            if solution is not None:
                candidate = [list(row) for row in truth]
                for (a, b), x in zip(hidden, solution):
                    candidate[a][b] = x
                assert candidate[i][j] != t
                if _consistent(grid, lines, candidate, m, model):
                    found = candidate
                    break
        if found is None:
            exposed.append((i, j))
    return exposed


def derive_by_equations(grid, lines) -> dict[tuple[int, int], Fraction]:
    """Hidden entries that the additive relations alone pin down.

    Uses exact Gaussian elimination, so it catches subtraction and any chain
    or combination of rows and columns.
    """
    hidden = _hidden_positions(grid)
    eqs = _equations(grid, lines, hidden)
    n = len(hidden)
    rows = []
    for terms, rhs in eqs:
        row = [Fraction(0)] * (n + 1)
        for v, a in terms:
            row[v] += a
        row[n] = Fraction(rhs)
        rows.append(row)
    pivots = []
    r = 0
    for col in range(n):
        p = next((k for k in range(r, len(rows)) if rows[k][col] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        rows[r] = [x / rows[r][col] for x in rows[r]]
        for k in range(len(rows)):
            if k != r and rows[k][col] != 0:
                f = rows[k][col]
                rows[k] = [x - f * y for x, y in zip(rows[k], rows[r])]
        pivots.append((r, col))
        r += 1
    derived = {}
    for r, col in pivots:
        if all(rows[r][k] == 0 for k in range(n) if k != col):
            derived[hidden[col]] = rows[r][n]
    return derived


def derive_by_bounds(grid, lines, m, model="labels") -> dict[tuple[int, int], int]:
    """Hidden entries pinned by propagating the reader's bounds through the sums."""
    hidden = _hidden_positions(grid)
    eqs = _equations(grid, lines, hidden)
    dom = [attacker_domain(grid[a][b], grid, m, model) for a, b in hidden]
    assert _propagate(eqs, dom)
    return {pos: lo for pos, (lo, hi) in zip(hidden, dom) if lo == hi}


def publish(values: list[list[int]], hide: dict[tuple[int, int], str], m: int = 5) -> list[list[Cell]]:
    """Hand-build a publication: hide the given positions with the given reasons."""
    grid = []
    for i, row in enumerate(values):
        out = []
        for j, v in enumerate(row):
            if (i, j) in hide:
                reason = hide[(i, j)]
                out.append(Cell(None, True, reason, m if reason == "small" else None))
            else:
                out.append(Cell(v, False, None))
        grid.append(out)
    return grid


# ---------------------------------------------------------------------------
# Unit cases
# ---------------------------------------------------------------------------


def test_zero_is_shown():
    assert suppress_count(0) == Cell(0, False, None)
    assert suppress_count(0).below is None


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_one_to_four_is_fewer_than_five(n):
    cell = suppress_count(n)
    assert cell.suppressed and cell.value is None
    assert cell.reason == "small"
    assert cell.below == 5


@pytest.mark.parametrize("n", [5, 6, 40, 1000])
def test_five_and_more_is_shown(n):
    cell = suppress_count(n)
    assert cell == Cell(n, False, None)
    assert cell.below is None


def test_stricter_policy_raises_the_threshold():
    strict = DisclosurePolicy(min_count=10, min_answers=20)
    assert suppress_count(9, strict).below == 10
    assert suppress_count(10, strict).value == 10
    assert suppress_rate(5, 19, strict).suppressed
    assert suppress_rate(5, 20, strict).value == 0.25


@pytest.mark.parametrize("bad", [-1, 1.0, "3", True, None])
def test_count_rejects_bad_input(bad):
    with pytest.raises((ValueError, TypeError)):
        suppress_count(bad)


def test_rate_needs_ten_answers():
    nine = suppress_rate(3, 9)
    assert nine.suppressed and nine.value is None and nine.reason == "too_few_answers"
    assert nine.below is None
    ten = suppress_rate(3, 10)
    assert ten == Cell(0.3, False, None)
    assert suppress_rate(0, 0).reason == "too_few_answers"
    with pytest.raises(ValueError):
        suppress_rate(11, 10)


def test_median_needs_ten_answers():
    assert suppress_median(9, 4.5) == Cell(None, True, "too_few_answers")
    assert suppress_median(10, 4.5) == Cell(4.5, False, None)
    assert suppress_median(0, None).reason == "too_few_answers"
    with pytest.raises(ValueError):
        suppress_median(10, None)


@pytest.mark.parametrize(
    "kwargs", [{"min_count": 4}, {"min_answers": 9}, {"min_count": 0, "min_answers": 0}, {"min_count": 1}]
)
def test_policy_below_defaults_raises(kwargs):
    with pytest.raises(ValueError):
        DisclosurePolicy(**kwargs)


def test_policy_defaults():
    assert DisclosurePolicy() == DEFAULT_POLICY == DisclosurePolicy(5, 10)
    DisclosurePolicy(min_count=5, min_answers=10)  # the floor itself is allowed


def test_one_way_one_small_cell_forces_a_second_suppression():
    cells, total = suppress_one_way([3, 12, 7, 20, 0])
    assert [c.reason for c in cells] == ["small", None, "secondary", None, None]
    assert [c.value for c in cells] == [None, 12, None, 20, 0]
    assert total == Cell(42, False, None)  # the total stays published
    # Without the second suppression, 42 - 12 - 7 - 20 - 0 would give the 3 away.


def test_one_way_hiding_a_five_would_not_help():
    # Four cells "fewer than 5" plus a published 5, total 9. Each small cell is
    # >= 1 and the four add up to 4, so each is 1. Hiding the 5 would not help,
    # because readers know a secondary cell is >= 5. So the total is hidden.
    cells, total = suppress_one_way([1, 1, 1, 1, 5])
    assert [c.reason for c in cells] == ["small"] * 4 + [None]
    assert cells[4].value == 5
    assert total == Cell(None, True, "secondary")


def test_one_way_without_small_cells_is_untouched():
    cells, total = suppress_one_way([0, 5, 17])
    assert [c.value for c in cells] == [0, 5, 17] and total.value == 22
    assert suppress_one_way([]) == ([], Cell(0, False, None))


def test_small_total_is_suppressed():
    cells, total = suppress_one_way([0, 3, 0])
    assert total.reason == "small"
    assert [c.value for c in cells] == [0, None, 0]


def test_fallback_when_labels_alone_would_give_values_away():
    # Four cells of 1 with total 4: "four cells of fewer than 5, total fewer
    # than 5" would show that every cell is 1. Nothing is labelled small, then.
    cells, total = suppress_one_way([1, 1, 1, 1])
    assert all(c == Cell(None, True, "secondary") for c in cells + [total])
    res = suppress_two_way([[1, 1], [1, 1]])
    assert all(c.reason == "secondary" for c in sum(grid_of_two_way(res), []))
    assert exposed_entries(grid_of_two_way(res), lines_two_way(2, 2), truth_two_way([[1, 1], [1, 1]]), 5) == []


def test_same_input_gives_identical_output():
    # Full of ties (equal values, equally cheap rectangles): ties are broken by position.
    table = [[3, 10, 10, 1], [10, 10, 10, 0], [10, 10, 10, 7], [2, 5, 5, 5]]
    first = suppress_two_way(table)
    assert all(suppress_two_way([tuple(row) for row in table]) == first for _ in range(20))
    cells, total = suppress_one_way([3, 9, 9, 20])
    assert [c.reason for c in cells] == ["small", "secondary", None, None]  # the first 9
    assert all(suppress_one_way((3, 9, 9, 20)) == (cells, total) for _ in range(20))


def test_two_way_worked_by_hand():
    #            A    B    C  | total
    #   row 0    3   12   20  |  35
    #   row 1    8    9   25  |  42
    #   row 2   15   30   40  |  85
    #   total   26   51   85  | 162
    #
    # 3 is small. Row 0 (35 - 12 - 20) and column A (26 - 8 - 15) would each
    # give it away. Every fix is a rectangle through the 3. The cheapest is
    # 3-12-9-8 (12 + 9 + 8 = 29), against 3-12-30-15 (57) and 3-20-25-8 (53).
    # Along it, +1/-1 in turn keeps every total: 4,11,10,7 or 2,13,8,9. So
    # 12, 9 and 8 are hidden, and every total stays published.
    res = suppress_two_way([[3, 12, 20], [8, 9, 25], [15, 30, 40]])
    reasons = [[c.reason for c in row] for row in res.cells]
    assert reasons == [["small", "secondary", None], ["secondary", "secondary", None], [None, None, None]]
    assert [[c.value for c in row] for row in res.cells] == [[None, None, 20], [None, None, 25], [15, 30, 40]]
    assert [c.value for c in res.row_totals] == [35, 42, 85]
    assert [c.value for c in res.col_totals] == [26, 51, 85]
    assert res.grand_total.value == 162
    assert res.cells[0][0].below == 5


def test_two_way_small_cell_alone_in_its_row_and_column_hides_totals():
    # The 3 is the only non-zero entry of row 0 and of column B. The cycle has to
    # go through the margins. The row and column totals are small, so they
    # are hidden anyway. Then column A (7), cell 7 and row total 16 are hidden too.
    res = suppress_two_way([[0, 3, 0], [0, 0, 0], [7, 0, 9]])
    grid = grid_of_two_way(res)
    shown = [[c.value if not c.suppressed else c.reason[:3] for c in row] for row in grid]
    assert shown == [
        [0, "sma", 0, "sma"],
        [0, 0, 0, 0],
        ["sec", 0, 9, "sec"],
        ["sec", "sma", 9, 19],
    ]
    assert exposed_entries(grid, lines_two_way(3, 3), truth_two_way([[0, 3, 0], [0, 0, 0], [7, 0, 9]]), 5) == []


def test_two_way_rejects_ragged_or_empty_tables():
    with pytest.raises(ValueError):
        suppress_two_way([[1, 2], [3]])
    with pytest.raises(ValueError):
        suppress_two_way([])
    with pytest.raises(ValueError):
        suppress_two_way([[1, -2]])


# ---------------------------------------------------------------------------
# The attacker is honest: it catches the classic attacks
# ---------------------------------------------------------------------------


def test_attacker_catches_subtraction_from_a_published_total():
    truth = truth_one_way([3, 12, 7])
    grid = publish(truth, {(0, 0): "small"})  # only the 3 hidden, total 22 shown
    lines = lines_one_way(3)
    assert exposed_entries(grid, lines, truth, 5) == [(0, 0)]
    assert exposed_entries(grid, lines, truth, 5, model="brief") == [(0, 0)]
    assert derive_by_equations(grid, lines) == {(0, 0): 3}


def test_attacker_catches_a_row_then_a_column():
    # Row 0 has two hidden cells, but column A has only one. Column A gives the
    # 3, and then row 0 gives the 7.
    table = [[3, 7], [6, 9]]
    truth = truth_two_way(table)
    grid = publish(truth, {(0, 0): "small", (0, 1): "secondary"})
    lines = lines_two_way(2, 2)
    assert exposed_entries(grid, lines, truth, 5, model="brief") == [(0, 0), (0, 1)]
    assert derive_by_equations(grid, lines) == {(0, 0): 3, (0, 1): 7}


def test_attacker_catches_rows_and_columns_combined():
    # Every row and column holds 0 or at least 2 hidden cells, so a check that
    # looks at one line at a time is fooled. But the hidden cells form two
    # rectangles joined by one cell, (1, 2). Adding rows 0-1 and taking away
    # columns 0-1 gives that cell exactly.
    table = [
        [3, 8, 10, 11],
        [9, 12, 4, 13],
        [10, 10, 20, 30],
        [11, 10, 40, 50],
    ]
    hide = {(0, 0): "small", (0, 1): "secondary", (1, 0): "secondary", (1, 1): "secondary"}
    hide |= {(1, 2): "small", (2, 2): "secondary", (2, 3): "secondary", (3, 2): "secondary", (3, 3): "secondary"}
    truth = truth_two_way(table)
    grid = publish(truth, hide)
    for i in range(4):
        assert sum(1 for j in range(4) if (i, j) in hide) in (0, 2, 3)
        assert sum(1 for k in range(4) if (k, i) in hide) in (0, 2, 3)
    lines = lines_two_way(4, 4)
    assert (1, 2) in exposed_entries(grid, lines, truth, 5, model="brief")
    assert derive_by_equations(grid, lines)[(1, 2)] == 4
    assert not any(pos in derive_by_equations(grid, lines) for pos in [(0, 0), (2, 2)])


def test_attacker_uses_the_fewer_than_five_labels():
    # Published: four times "fewer than 5", a hidden 5 and a total of 9. From
    # sums alone, nothing is determined. But each small cell is >= 1 and a
    # secondary cell is >= 5, so every small cell is 1.
    truth = truth_one_way([1, 1, 1, 1, 5])
    grid = publish(truth, {(0, 0): "small", (0, 1): "small", (0, 2): "small", (0, 3): "small", (0, 4): "secondary"})
    lines = lines_one_way(5)
    assert derive_by_equations(grid, lines) == {}
    assert exposed_entries(grid, lines, truth, 5, model="brief") == []
    assert exposed_entries(grid, lines, truth, 5) == [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4)]
    assert derive_by_bounds(grid, lines, 5) == {(0, 0): 1, (0, 1): 1, (0, 2): 1, (0, 3): 1, (0, 4): 5}


def test_attacker_accepts_a_safe_publication():
    table = [[3, 12, 20], [8, 9, 25], [15, 30, 40]]
    res = suppress_two_way(table)
    grid, lines, truth = grid_of_two_way(res), lines_two_way(3, 3), truth_two_way(table)
    assert exposed_entries(grid, lines, truth, 5) == []
    assert derive_by_equations(grid, lines) == {}
    assert derive_by_bounds(grid, lines, 5) == {}


# ---------------------------------------------------------------------------
# Properties over random tables
# ---------------------------------------------------------------------------

values = st.one_of(st.integers(0, 4), st.integers(0, 40))  # about half of them 0..4
policies = st.sampled_from([DEFAULT_POLICY, DisclosurePolicy(min_count=7, min_answers=12)])
one_way_tables = st.lists(values, min_size=1, max_size=6)
two_way_tables = st.integers(1, 6).flatmap(
    lambda c: st.lists(st.lists(values, min_size=c, max_size=c), min_size=1, max_size=6)
)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_published_values(grid, truth, m):
    """(a) A published number is the true value. Every 1..m-1 is hidden and
    labelled small, unless the table fell back to all-secondary. Zeros are
    shown."""
    fallback = any(c.suppressed for row in grid for c in row) and not any(
        c.reason == "small" for row in grid for c in row
    )
    for row, true_row in zip(grid, truth):
        for cell, t in zip(row, true_row):
            assert cell.suppressed == (cell.value is None)
            if not cell.suppressed:
                assert cell.value == t and cell.reason is None and cell.below is None
                assert t == 0 or t >= m
            if 0 < t < m:
                assert cell.suppressed
                assert (cell.reason, cell.below) == (("secondary", None) if fallback else ("small", m))
            if t == 0:
                assert cell == Cell(0, False, None)
            if cell.reason == "secondary":
                assert t >= (1 if fallback else m)


@settings(max_examples=400, **SETTINGS)
@given(one_way_tables, policies)
def test_property_one_way(counts, policy):
    m = policy.min_count
    cells, total = suppress_one_way(counts, policy)
    grid, truth, lines = grid_of_one_way(cells, total), truth_one_way(counts), lines_one_way(len(counts))
    check_published_values(grid, truth, m)  # (a)
    assert exposed_entries(grid, lines, truth, m) == []  # (b) with label knowledge
    assert exposed_entries(grid, lines, truth, m, model="brief") == []  # (b) non-negativity only
    assert suppress_one_way(list(counts), policy) == (cells, total)  # (c)


@settings(max_examples=300, **SETTINGS)
@given(two_way_tables, policies)
def test_property_two_way(table, policy):
    m = policy.min_count
    res = suppress_two_way(table, policy)
    r, c = len(table), len(table[0])
    grid, truth, lines = grid_of_two_way(res), truth_two_way(table), lines_two_way(r, c)
    check_published_values(grid, truth, m)  # (a)
    assert exposed_entries(grid, lines, truth, m) == []  # (b)
    assert derive_by_equations(grid, lines) == {}  # (b) no linear combination pins anything
    assert suppress_two_way([list(row) for row in table], policy) == res  # (c)


@settings(max_examples=120, **SETTINGS)
@given(two_way_tables)
def test_property_two_way_many_small_values_stay_fast(table):
    # A table of almost only small values is the hard case. The module must stay quick.
    table = [[v % 5 for v in row] for row in table]
    start = time.perf_counter()
    res = suppress_two_way(table)
    assert time.perf_counter() - start < 2.0  # typically a few milliseconds
    grid = grid_of_two_way(res)
    check_published_values(grid, truth_two_way(table), 5)
    assert exposed_entries(grid, lines_two_way(len(table), len(table[0])), truth_two_way(table), 5) == []
