"""Statistical disclosure control for the figures Voice publishes.

Hand-written on purpose: we found no maintained Python library that does
small-count suppression with secondary (complementary) suppression simply.
The established tools for this are tau-Argus (Java) and sdcTable (R). This
module is pure Python on purpose: no Flask, no database, no third-party
imports. It works only on numbers.

Rules (see ``DisclosurePolicy``; a policy may be stricter, never looser):

1. A count from 1 to ``min_count - 1`` is never shown. It is shown as "fewer
   than ``min_count``" (reason ``"small"``). 0 is shown as 0.
2. A rate, share or median is shown only when at least ``min_answers``
   answers stand behind it (reason ``"too_few_answers"``).
3. In a table with totals, more cells are hidden (reason ``"secondary"``)
   until no hidden value can be worked out from what is published.
4. The same input always gives the same output.

What a reader is assumed to know (the "attacker model" behind rule 3). The
reader knows every published number, and that each row, column and margin adds
up, with the row totals and column totals adding up to the grand total. The
reader knows counts are whole numbers and never negative. The reader also knows
these rules. So a cell marked "fewer than 5" is between 1 and 4. Zeros are
never hidden and 1-4 are always marked "small", so a "secondary" cell is at
least 5.

A hidden entry is *safe* when at least two different values for it are
consistent with everything the reader knows. The module checks this exactly.
The table (cells, row totals, column totals, grand total) is a network, and
every way to change hidden values without changing anything published is a
sum of cycles, each adding and subtracting the same amount in turn. The
constraints are totally unimodular, so a hidden entry can take another value
if and only if some cycle through it can move by 1 with every entry on the
cycle staying within the range the reader knows for it. That is one
reachability search per hidden entry.

When an entry is not safe, the cheapest cycle through it is found: an
entry's cost is its value, and totals cost more than inner cells. Every entry
on that cycle is hidden, and the check runs again. Hiding more never makes
another entry unsafe, so the loop ends. In the rare case where even hiding
every non-zero entry would not protect the table (for example, four cells of
1 whose total is 4), every non-zero entry is hidden and all are marked
"secondary" with no "fewer than" label. A reader then only knows each is at
least 1, and that is always safe.

Not covered: readers who combine *several* published tables that share cells
(for example the same families cut two ways). If two tables share a margin,
build them from one table or check them together. Shares are suppressed only
on their number of answers (rule 2). If the number of answers is also
published, the share times that number gives the count back, so the count
must also be protected through ``suppress_count``.
"""

from __future__ import annotations

import heapq
import operator
from dataclasses import dataclass
from numbers import Real
from typing import Sequence

__all__ = [
    "Cell",
    "DEFAULT_POLICY",
    "DisclosurePolicy",
    "REASON_PROTECTED",
    "REASON_SECONDARY",
    "REASON_SMALL",
    "REASON_TOO_FEW_ANSWERS",
    "TwoWayResult",
    "suppress_count",
    "suppress_median",
    "suppress_one_way",
    "suppress_rate",
    "suppress_two_way",
]

REASON_SMALL = "small"
REASON_SECONDARY = "secondary"
REASON_TOO_FEW_ANSWERS = "too_few_answers"
# A share not shown, whatever the reason (too few answers, a count of 1-4 behind it, or so
# that another cannot be worked out): one mark for all, so the mark itself tells nothing.
REASON_PROTECTED = "protected"

#: The floors below which no policy may go.
MIN_COUNT_FLOOR = 5
MIN_ANSWERS_FLOOR = 10


@dataclass(frozen=True)
class DisclosurePolicy:
    """Thresholds for publication. They may be raised, never lowered."""

    min_count: int = MIN_COUNT_FLOOR
    min_answers: int = MIN_ANSWERS_FLOOR

    def __post_init__(self) -> None:
        for name, floor in (("min_count", MIN_COUNT_FLOOR), ("min_answers", MIN_ANSWERS_FLOOR)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, got {value!r}")
            if value < floor:
                raise ValueError(f"{name} may not be lower than {floor}, got {value}")


DEFAULT_POLICY = DisclosurePolicy()


@dataclass(frozen=True)
class Cell:
    """One published figure.

    ``value`` is None when suppressed. ``threshold`` is set only for small
    counts. Templates should use ``below``, e.g. "fewer than {{ cell.below }}".
    """

    value: int | float | None
    suppressed: bool
    reason: str | None
    threshold: int | None = None

    @property
    def below(self) -> int | None:
        """For a small count, the number it is "fewer than". Otherwise None."""
        return self.threshold if self.reason == REASON_SMALL else None


@dataclass(frozen=True)
class TwoWayResult:
    cells: list[list[Cell]]
    row_totals: list[Cell]
    col_totals: list[Cell]
    grand_total: Cell


# --------------------------------------------------------------------------
# Single figures
# --------------------------------------------------------------------------


def _count(n: object, what: str = "count") -> int:
    if isinstance(n, bool):
        raise TypeError(f"{what} must be an integer, got {n!r}")
    try:
        value = operator.index(n)
    except TypeError:
        raise TypeError(f"{what} must be an integer, got {n!r}") from None
    if value < 0:
        raise ValueError(f"{what} may not be negative, got {value}")
    return value


def _shown(value: int | float) -> Cell:
    return Cell(value, False, None)


def _small(policy: DisclosurePolicy) -> Cell:
    return Cell(None, True, REASON_SMALL, policy.min_count)


def _too_few_answers() -> Cell:
    return Cell(None, True, REASON_TOO_FEW_ANSWERS)


def suppress_count(n: int, policy: DisclosurePolicy = DEFAULT_POLICY) -> Cell:
    """A single count: 0 is shown, 1..min_count-1 is "fewer than min_count"."""
    n = _count(n)
    if 0 < n < policy.min_count:
        return _small(policy)
    return _shown(n)


def suppress_rate(numerator: int, denominator: int, policy: DisclosurePolicy = DEFAULT_POLICY) -> Cell:
    """A share (0..1): shown only if ``denominator >= min_answers``."""
    numerator = _count(numerator, "numerator")
    denominator = _count(denominator, "denominator")
    if numerator > denominator:
        raise ValueError(f"numerator {numerator} is larger than denominator {denominator}")
    if denominator < policy.min_answers:
        return _too_few_answers()
    return _shown(numerator / denominator)


def suppress_median(values_count: int, median: float | None, policy: DisclosurePolicy = DEFAULT_POLICY) -> Cell:
    """A median: shown only if at least ``min_answers`` values stand behind it."""
    values_count = _count(values_count, "values_count")
    if values_count < policy.min_answers:
        return _too_few_answers()
    if median is None or isinstance(median, bool) or not isinstance(median, Real):
        raise ValueError(f"a median of {values_count} values must be a number, got {median!r}")
    return _shown(median)


# --------------------------------------------------------------------------
# Tables: primary and secondary suppression
# --------------------------------------------------------------------------

_PUBLISHED, _SMALL, _SECONDARY = 0, 1, 2


class _Network:
    """A table with its totals as a signed bipartite network.

    Every entry (inner cell or total) is an edge between a "left" node and a
    "right" node, with a sign. Every node stands for one equation: the sum
    of ``sign * value`` over its edges is 0. For a two-way table, the left
    nodes are the rows plus the row of column totals, and the right nodes are
    the columns plus the column of row totals. Inner cells and the grand
    total have sign +1. Row and column totals have sign -1. A one-way table
    is one left node and one right node with parallel edges.

    Changing hidden values by +1/-1 in turn around a directed cycle keeps
    every equation true. An edge can go "forward" (tail -> head) when its
    signed value may rise by 1, and "backward" when it may fall by 1.
    """

    def __init__(self, policy: DisclosurePolicy) -> None:
        self.m = policy.min_count
        self.policy = policy
        self.n_nodes = 0
        self.tail: list[int] = []
        self.head: list[int] = []
        self.sign: list[int] = []
        self.value: list[int] = []
        self.rank: list[int] = []  # 0 inner cell, 1 row/column total, 2 grand total
        self.state: list[int] = []
        self.fallback = False
        self._safe: set[int] = set()

    def node(self) -> int:
        self.n_nodes += 1
        return self.n_nodes - 1

    def add(self, tail: int, head: int, sign: int, value: int, rank: int) -> int:
        self.tail.append(tail)
        self.head.append(head)
        self.sign.append(sign)
        self.value.append(value)
        self.rank.append(rank)
        self.state.append(_SMALL if 0 < value < self.m else _PUBLISHED)
        return len(self.value) - 1

    # -- what a reader knows about an entry that is (or would be) hidden --

    def _bounds(self, k: int) -> tuple[int, int | None]:
        if self.fallback:
            return 1, None
        if self.state[k] == _SMALL:
            return 1, self.m - 1
        return self.m, None  # secondary (or a candidate for it): never 0, never small

    def _moves(self, k: int) -> tuple[bool, bool]:
        """(can go forward, can go backward) if entry k is hidden."""
        lo, hi = self._bounds(k)
        v = self.value[k]
        up = hi is None or v + 1 <= hi
        down = v - 1 >= lo
        return (up, down) if self.sign[k] > 0 else (down, up)

    def _arcs(self, with_candidates: bool) -> list[list[tuple[int, int]]]:
        adj: list[list[tuple[int, int]]] = [[] for _ in range(self.n_nodes)]
        for k, state in enumerate(self.state):
            if state == _PUBLISHED and not (with_candidates and self.value[k] > 0):
                continue
            forward, backward = self._moves(k)
            if forward:
                adj[self.tail[k]].append((self.head[k], k))
            if backward:
                adj[self.head[k]].append((self.tail[k], k))
        return adj

    def _reachable(self, adj: list[list[tuple[int, int]]], src: int, dst: int, avoid: int) -> bool:
        seen = {src}
        stack = [src]
        while stack:
            node = stack.pop()
            if node == dst:
                return True
            for nxt, k in adj[node]:
                if k != avoid and nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    def _is_safe(self, k: int, adj: list[list[tuple[int, int]]]) -> bool:
        forward, backward = self._moves(k)
        return (forward and self._reachable(adj, self.head[k], self.tail[k], k)) or (
            backward and self._reachable(adj, self.tail[k], self.head[k], k)
        )

    def _cost(self, k: int) -> tuple[int, int, int, int]:
        if self.state[k] != _PUBLISHED:
            return (0, 0, 0, 0)
        rank = self.rank[k]
        return (int(rank == 2), int(rank == 1), self.value[k], 1)

    def _cheapest_path(self, adj, src: int, dst: int, avoid: int):
        zero = (0, 0, 0, 0)
        dist = {src: zero}
        pred: dict[int, tuple[int, int]] = {}
        heap = [(zero, src)]
        while heap:
            d, node = heapq.heappop(heap)
            if d != dist[node]:
                continue
            if node == dst:
                break
            for nxt, k in adj[node]:
                if k == avoid:
                    continue
                c = self._cost(k)
                nd = (d[0] + c[0], d[1] + c[1], d[2] + c[2], d[3] + c[3])
                if nxt not in dist or nd < dist[nxt]:
                    dist[nxt] = nd
                    pred[nxt] = (node, k)
                    heapq.heappush(heap, (nd, nxt))
        if dst not in dist:
            return None
        edges = []
        node = dst
        while node != src:
            node, k = pred[node]
            edges.append(k)
        return dist[dst], edges

    def _cheapest_cycle(self, k: int) -> list[int] | None:
        """Published entries to hide so that hidden entry k gets a cycle."""
        adj = self._arcs(with_candidates=True)
        forward, backward = self._moves(k)
        options = []
        if forward:
            options.append(self._cheapest_path(adj, self.head[k], self.tail[k], k))
        if backward:
            options.append(self._cheapest_path(adj, self.tail[k], self.head[k], k))
        options = [o for o in options if o is not None]
        if not options:
            return None
        _, edges = min(options, key=lambda o: o[0])  # stable: forward wins ties
        return [e for e in edges if self.state[e] == _PUBLISHED]

    def _unsafe(self) -> int | None:
        adj = self._arcs(with_candidates=False)
        for k, state in enumerate(self.state):
            if state != _PUBLISHED and k not in self._safe:
                if self._is_safe(k, adj):
                    self._safe.add(k)  # hiding more later never undoes this
                else:
                    return k
        return None

    def solve(self) -> None:
        while (k := self._unsafe()) is not None:
            to_hide = self._cheapest_cycle(k)
            if not to_hide:
                self._fall_back()
                return
            for e in to_hide:
                self.state[e] = _SECONDARY

    def _fall_back(self) -> None:
        self.fallback = True
        self._safe = set()
        for k, v in enumerate(self.value):
            self.state[k] = _SECONDARY if v > 0 else _PUBLISHED
        if self._unsafe() is not None:  # cannot happen: see the module docstring
            raise AssertionError("disclosure control could not protect the table")

    def cell(self, k: int) -> Cell:
        state = self.state[k]
        if state == _PUBLISHED:
            return _shown(self.value[k])
        if state == _SMALL:
            return _small(self.policy)
        return Cell(None, True, REASON_SECONDARY)


def suppress_one_way(counts: Sequence[int], policy: DisclosurePolicy = DEFAULT_POLICY) -> tuple[list[Cell], Cell]:
    """Counts with their total, e.g. one figure per district. Returns (cells, total)."""
    values = [_count(c) for c in counts]
    net = _Network(policy)
    line, ground = net.node(), net.node()
    cells = [net.add(line, ground, +1, v, 0) for v in values]
    total = net.add(line, ground, -1, sum(values), 2)
    net.solve()
    return [net.cell(k) for k in cells], net.cell(total)


def suppress_two_way(table: Sequence[Sequence[int]], policy: DisclosurePolicy = DEFAULT_POLICY) -> TwoWayResult:
    """A cross-table with row totals, column totals and the grand total."""
    rows = [[_count(c) for c in row] for row in table]
    if not rows or not rows[0]:
        raise ValueError("a two-way table needs at least one row and one column")
    n_cols = len(rows[0])
    if any(len(row) != n_cols for row in rows):
        raise ValueError("all rows of a two-way table must have the same length")

    net = _Network(policy)
    row_nodes = [net.node() for _ in rows]
    margin_row = net.node()  # equation: column totals add up to the grand total
    col_nodes = [net.node() for _ in range(n_cols)]
    margin_col = net.node()  # equation: row totals add up to the grand total

    cells = [[net.add(row_nodes[i], col_nodes[j], +1, v, 0) for j, v in enumerate(row)] for i, row in enumerate(rows)]
    row_totals = [net.add(row_nodes[i], margin_col, -1, sum(row), 1) for i, row in enumerate(rows)]
    col_totals = [
        net.add(margin_row, col_nodes[j], -1, sum(row[j] for row in rows), 1) for j in range(n_cols)
    ]
    grand = net.add(margin_row, margin_col, +1, sum(map(sum, rows)), 2)
    net.solve()
    return TwoWayResult(
        cells=[[net.cell(k) for k in row] for row in cells],
        row_totals=[net.cell(k) for k in row_totals],
        col_totals=[net.cell(k) for k in col_totals],
        grand_total=net.cell(grand),
    )
