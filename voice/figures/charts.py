"""Presentation of figures: numbers and labels in the page's language, and the
geometry of the SVG charts the templates draw.

No markup is built here: the templates turn these plain values into <svg>
elements (Jinja escapes every text). Charts are styled through classes in
static/css/app.css (its Figures section), never with style attributes (CSP: style-src 'self').
"""
from __future__ import annotations

import math
import textwrap
import unicodedata
from dataclasses import dataclass, field, replace

from flask_babel import format_date

from ..experiences.models import EXPLAINED_MAX
from ..web.i18n import format_decimal, format_percent
from ..web.i18n import gettext as _
from .answer_times import MAX_DAYS as MAX_ANSWER_DAYS
from .disclosure import REASON_PROTECTED, REASON_SECONDARY, REASON_SMALL, REASON_TOO_FEW_ANSWERS, Cell
from .service import Period

WIDTH = 340  # viewBox width: a phone's width in CSS pixels, so text keeps its size there
PAD = 6


# --------------------------------------------------------------------------
# Numbers and labels
# --------------------------------------------------------------------------


def count_text(cell: Cell | None) -> str:
    if cell is None:
        return ""
    if not cell.suppressed:
        return format_decimal(cell.value)
    if cell.reason == REASON_SMALL:
        return _("fewer than %(number)s", number=format_decimal(cell.threshold))
    return _("hidden")


def share_text(cell: Cell | None) -> str:
    if cell is None:
        return ""
    if not cell.suppressed:
        return format_percent(cell.value)
    if cell.reason == REASON_TOO_FEW_ANSWERS:
        return _("too few answers")
    return _("hidden")  # REASON_PROTECTED: one mark whatever hid it


def median_text(cell: Cell | None, *, top: int = EXPLAINED_MAX) -> str:
    """A median as people read it; ``top`` is the highest value counted ("6 or more" services)."""
    if cell is None:
        return ""
    if cell.suppressed:
        return share_text(cell)
    if cell.value >= top:
        return _("%(number)s or more", number=format_decimal(top))
    return format_decimal(cell.value, format="#,##0.#")


def days_text(cell: Cell | None) -> str:
    """The median working days to an answer (60 counts as "60 or more", voice/figures/answer_times.py)."""
    return median_text(cell, top=MAX_ANSWER_DAYS)


def marker(cell: Cell) -> str:
    """A short mark for a suppressed figure inside a chart (the caption explains it)."""
    if cell.reason == REASON_SMALL:
        return "<" + format_decimal(cell.threshold)
    return "…"


def reason_text(cell: Cell) -> str:
    return {
        REASON_SMALL: _("fewer than %(number)s", number=format_decimal(cell.threshold or 0)),
        REASON_SECONDARY: _("hidden, so that a small number cannot be worked out"),
        REASON_TOO_FEW_ANSWERS: _("too few answers"),
        REASON_PROTECTED: _("not shown, to protect the families"),
    }.get(cell.reason or "", "")


def explained_labels() -> list[str]:
    labels = [format_decimal(k) for k in range(EXPLAINED_MAX)]
    labels.append(_("%(number)s or more", number=format_decimal(EXPLAINED_MAX)))
    labels.append(_("No answer"))
    return labels


def period_label(period: Period) -> str:
    day = period.first_day
    if period.kind == "month":
        return format_date(day, "LLLL y")
    if period.kind == "quarter":
        return format_date(day, "QQQQ y")
    return format_date(day, "y")


def period_short(period: Period, *, first: bool = False, narrow: bool = False) -> list[str]:
    """One or two short lines for an axis: the month or quarter, and the year where it changes.
    ``narrow``: the month as one letter, for a year of months on a phone."""
    day = period.first_day
    if period.kind == "year":
        return [format_date(day, "y")]
    head = format_date(day, ("LLLLL" if narrow else "LLL") if period.kind == "month" else "QQQ")
    # The year under January, and under the first column unless January comes right after it.
    if period.number == 1 or (first and period.next().number != 1):
        return [head, format_date(day, "y")]
    return [head]


# --------------------------------------------------------------------------
# Chart geometry
# --------------------------------------------------------------------------


@dataclass
class Text:
    x: float
    y: float
    lines: list[str]
    anchor: str = "start"  # SVG text-anchor
    direction: str = "ltr"
    line_height: float = 17


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    chosen: bool = False


@dataclass
class Item:
    label: Text
    value: Text
    bar: Bar | None  # None when the figure is suppressed
    suppressed: bool
    title: str = ""  # the full name of the column, shown on hover (<title>); the table has it too


@dataclass
class Gridline:
    x1: float
    y1: float
    x2: float
    y2: float
    label: Text | None = None


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    items: list[Item] = field(default_factory=list)
    grid: list[Gridline] = field(default_factory=list)
    baseline: Gridline | None = None

    @property
    def title_id(self) -> str:
        return f"{self.id}-title"

    @property
    def desc_id(self) -> str:
        return f"{self.id}-desc"


def wrap(label: str, width: int = 34, lines: int = 3) -> list[str]:
    wrapped = textwrap.wrap(label, width=width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: max(0, width - 1)].rstrip() + "…"
    return wrapped


def bars(
    chart_id: str, title: str, desc: str, rows: list[tuple[str, Cell, bool]], *, rtl: bool, share: bool = True
) -> Chart:
    """Horizontal bars, one per row, the label above its bar: shares (0 to 100 %) or counts.

    In right-to-left languages the bars grow from the right and labels are right-aligned.
    """
    value_room = 60
    plot = WIDTH - 2 * PAD - value_room
    label_line, bar_height, gap = 17, 16, 12
    shown = [float(cell.value) for _, cell, _ in rows if not cell.suppressed]
    scale_max = 1.0 if share else _nice_max(max(shown, default=0))
    items, y = [], 4
    direction = "rtl" if rtl else "ltr"
    for label, cell, chosen in rows:
        lines = wrap(label)
        label_y = y + 13
        bar_y = y + len(lines) * label_line + 2
        text_x = WIDTH - PAD - 4 if rtl else PAD + 4
        label_text = Text(text_x, label_y, lines, "start", direction)
        if cell.suppressed:
            text = share_text(cell) if share else count_text(cell)
            value = Text(text_x, bar_y + 12, [text], "start", direction)
            items.append(Item(label_text, value, None, True))
        else:
            length = max(1.0, plot * float(cell.value) / scale_max) if cell.value else 0.0
            x = WIDTH - PAD - length if rtl else PAD
            value_x = x - 6 if rtl else x + length + 6
            text = format_percent(cell.value) if share else format_decimal(cell.value)
            value = Text(value_x, bar_y + 12, [text], "end" if rtl else "start", "ltr")
            items.append(Item(label_text, value, Bar(x, bar_y, length, bar_height, chosen), False))
        y = bar_y + bar_height + gap
    height = max(int(y), 24)
    axis_x = WIDTH - PAD if rtl else PAD
    return Chart(chart_id, title, desc, WIDTH, height, items, [], Gridline(axis_x, 0, axis_x, height))


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def columns(
    chart_id: str, title: str, desc: str, columns: list[tuple[list[str], Cell, bool]], *, share: bool = False
) -> Chart:
    """Vertical bars (a trend, a distribution), left to right in every language: counts, or shares."""
    top, plot_height, axis_room = 22, 150, 40
    n = max(1, len(columns))
    shown = [float(cell.value) for _, cell, _ in columns if not cell.suppressed]
    scale_max = 1.0 if share else _nice_max(max(shown, default=0))
    number = format_percent if share else format_decimal
    ticks = [(fraction, number(scale_max * fraction)) for fraction in (0.5, 1.0)]
    left = PAD + 7 * max(len(text) for _, text in ticks) + 4  # room for the scale, outside the bars
    slot = (WIDTH - PAD - left) / n
    base = top + plot_height
    grid = []
    for fraction, text in ticks:
        y = base - plot_height * fraction
        grid.append(Gridline(left, y, WIDTH - PAD, y, Text(left - 4, y + 4, [text], "end", "ltr", 12)))
    items = []
    for i, (label_lines, cell, chosen) in enumerate(columns):
        centre = left + slot * (i + 0.5)
        label = Text(centre, base + 16, label_lines, "middle", "ltr", 14)
        if cell.suppressed:
            value = Text(centre, base - 6, [marker(cell)], "middle", "ltr", 12)
            items.append(Item(label, value, None, True))
            continue
        height = plot_height * float(cell.value) / scale_max
        width = slot * 0.62
        text = number(cell.value)
        fits = len(text) * 8 <= slot - 2  # else the table beside the chart gives the number
        value = Text(centre, base - height - 5, [text] if fits else [], "middle", "ltr", 12)
        items.append(Item(label, value, Bar(centre - width / 2, base - height, width, height, chosen), False))
    height = int(base + axis_room)
    return Chart(chart_id, title, desc, WIDTH, height, items, grid, Gridline(left, base, WIDTH - PAD, base))


# --------------------------------------------------------------------------
# Time axis: labels under the columns of a trend that never run together
# --------------------------------------------------------------------------

LABEL_SIZE = 14  # px: the font size of .chart-label (static/css/app.css), and the height of one line
LABEL_GAP = 4  # px of space at least between two labels on the same line
LABEL_DESCENT = 5  # px under the last baseline for descenders and Arabic dots


def _char_em(char: str) -> float:
    """A conservative width of one character, in em (its widest case, so an estimate is never short).

    Set by hand from widths measured in Chromium at 14 px with Noto Sans, Noto Sans Arabic and
    Noto Sans Ethiopic: digits 0.57 em, the widest Latin and Cyrillic letters 0.95 (W, M, Щ),
    Ethiopic syllables 1.1, and Arabic letters up to 1.21 where they stand alone (س); joined
    they are much narrower, so Arabic labels are overestimated, never underestimated.
    """
    category = unicodedata.category(char)
    if category in ("Mn", "Me", "Cf"):  # combining marks and joiners (the ZWNJ of Persian) take no room
        return 0.0
    if category[0] in "ZP":  # spaces and punctuation
        return 0.4
    if "0" <= char <= "9":
        return 0.65
    if "\u1200" <= char <= "\u139f" or "\u2d80" <= char <= "\u2ddf":  # Ethiopic
        return 1.15
    if "\u0600" <= char <= "\u077f" or "\ufb50" <= char <= "\ufefc":  # Arabic script, Persian digits too
        return 1.25
    return 0.95


def text_width(text: str, size: float = LABEL_SIZE) -> float:
    """How wide ``text`` may be at most, in px (an estimate: SVG text cannot be measured on the server)."""
    return size * sum(_char_em(char) for char in text)


@dataclass
class AxisLabels:
    form: str  # "regular", "short", "staggered" or "every n" (only every n-th label shown)
    step: int  # 1, or n when only every n-th label is shown
    labels: list[Text]  # one per column; without lines where a label is left out
    titles: list[str]  # the full name of every column
    bottom: float  # nothing of the labels is drawn below this y


def _heads(periods: list[Period], *, short: bool) -> list[str]:
    """The first line of each label: as CLDR abbreviates the quarter or month ("K1", "الربع الأول"),
    or short: the number of the quarter ("1"), the first letter of the month."""
    patterns = {"quarter": "Q" if short else "QQQ", "month": "LLLLL" if short else "LLL", "year": "y"}
    return [format_date(p.first_day, patterns[p.kind]) for p in periods]


def _label_lines(periods: list[Period], heads: list[str], shown: list[int]) -> list[list[str]]:
    """The lines of each label (none where not ``shown``): its head, and the year under the first
    label shown and wherever the year changes. Not under the first when the next label, right after
    it, starts a new year: two years would stand side by side (the rule of period_short)."""
    lines: list[list[str]] = [[] for _ in periods]
    previous = None
    for k, i in enumerate(shown):
        lines[i] = [heads[i]]
        period = periods[i]
        if period.kind == "year":
            continue
        year = period.first_day.year
        if previous is None:
            after = shown[k + 1] if k + 1 < len(shown) else None
            with_year = not (after == i + 1 and periods[after].first_day.year != year)
        else:
            with_year = year != previous
        if with_year:
            lines[i].append(format_date(period.first_day, "y"))
        previous = year
    return lines


def _fits(lines: list[list[str]], centres: list[float], rows: list[int]) -> bool:
    """True when every line stays inside the chart and no two lines on the same row come
    closer than LABEL_GAP (labels are centred under their column)."""
    spans: dict[int, list[tuple[float, float]]] = {}
    for label, x, row in zip(lines, centres, rows):
        for k, line in enumerate(label):
            half = text_width(line) / 2
            if x - half < 0 or x + half > WIDTH:
                return False
            spans.setdefault(row + k, []).append((x - half, x + half))
    for row_spans in spans.values():
        row_spans.sort()
        if any(right[0] - left[1] < LABEL_GAP for left, right in zip(row_spans, row_spans[1:])):
            return False
    return True


def axis_labels(periods: list[Period], centres: list[float], *, y: float) -> AxisLabels:
    """Labels for a time axis (the first baseline at ``y``, one column per period centred at ``centres``):
    the first of these forms whose labels all fit side by side.

    1. regular: the abbreviated quarter or month, the year under the first and under each new year;
    2. short: the number of the quarter, the first letter of the month (years stay as they are);
    3. staggered: the short labels, every second one a row lower;
    4. every n: the short labels of every n-th column only, counted back from the last (the newest).

    The full name of every period is in ``titles`` (each column's <title>) and in the table below the chart.
    """
    n = len(periods)
    every = list(range(n))
    regular, short = _heads(periods, short=False), _heads(periods, short=True)
    candidates = [("regular", 1, regular, every, False), ("short", 1, short, every, False),
                  ("staggered", 1, short, every, True)]
    candidates += [(f"every {step}", step, short, every[(n - 1) % step::step], False) for step in range(2, n + 1)]
    for form, step, heads, shown, staggered in candidates:
        lines = _label_lines(periods, heads, shown)
        depth = max((len(label) for label in lines), default=1)
        rows = [depth * (i % 2) if staggered else 0 for i in range(n)]
        if _fits(lines, centres, rows):
            break  # else the last candidate, one label only, is used
    labels = [Text(x, y + row * LABEL_SIZE, label, "middle", "ltr", LABEL_SIZE) for x, row, label in zip(centres, rows, lines)]
    last_row = max((row + len(label) - 1 for row, label in zip(rows, lines) if label), default=0)
    return AxisLabels(form, step, labels, [period_label(p) for p in periods], y + last_row * LABEL_SIZE + LABEL_DESCENT)


def time_axis(chart: Chart, periods: list[Period]) -> Chart:
    """``chart`` (from columns(), one column per period, oldest first) with labels from axis_labels
    and the full name of each period as the title of its column; taller if the labels need it."""
    if len(periods) != len(chart.items):
        raise ValueError("one period per column")
    if not periods:
        return chart
    layout = axis_labels(periods, [item.label.x for item in chart.items], y=chart.items[0].label.y)
    items = [replace(item, label=label, title=title) for item, label, title in zip(chart.items, layout.labels, layout.titles)]
    return replace(chart, items=items, height=max(chart.height, math.ceil(layout.bottom)))


def describe(rows: list[tuple[str, Cell]], *, share: bool) -> str:
    """A short text alternative: the highest and lowest published figure, and how many are hidden."""
    number = format_percent if share else format_decimal
    shown = [(label, cell.value) for label, cell in rows if not cell.suppressed]
    hidden = len(rows) - len(shown)
    parts = []
    if shown:
        high = max(shown, key=lambda item: item[1])
        low = min(shown, key=lambda item: item[1])
        parts.append(_("Highest: %(label)s, %(value)s.", label=high[0], value=number(high[1])))
        if low is not high and low[1] != high[1]:
            parts.append(_("Lowest: %(label)s, %(value)s.", label=low[0], value=number(low[1])))
    else:
        parts.append(_("No figure can be shown."))
    if hidden and shown:
        parts.append(_("Figures not shown: %(count)s.", count=format_decimal(hidden)))
    parts.append(_("The table below has every figure."))
    return " ".join(parts)
