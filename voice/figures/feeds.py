"""Downloads of the dashboard's figures: CSV, JSON and JSON-stat 2.0.

They carry exactly the protected figures of ``tables.Figures``: a suppressed
figure has no value, only a status ("..") and its reason. Nothing else (no
story text, no contact details) is ever in them.

* CSV and JSON: one record per figure (long format), the same in both.
  CSV is UTF-8 with a BOM (so spreadsheet programs show æøå), and text cells a
  spreadsheet would run as a formula are neutralised (SECURITY.md 23).
* JSON-stat 2.0 (the format Statistics Norway publishes in): one dataset per
  ``table`` (``experiences``, ``trend``, ``explained``, ``cocreation``). "status"
  is an object holding only the marked cells by their index: ".." for a suppressed
  cell, "." for a cell that does not apply (the official schema allows no null in
  a status array); the dataset's "note" says what the marks mean, and "extension"
  holds the disclosure rules in force.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import timezone

from flask_babel import gettext as _

from ..spreadsheet import neutralise
from . import charts, tables
from .disclosure import REASON_SMALL, Cell

FORMATS = ("csv", "json", "jsonstat")
JSONSTAT_TABLES = ("experiences", "trend", "explained", "cocreation", "themes")
SUPPRESSED = ".."
NOT_APPLICABLE = "."
COLUMNS = (
    "period_type", "period", "service", "area", "domain", "table", "dimension", "group", "group_label",
    "category", "category_label", "measure", "value", "status", "reason",
)
_MEASURES = (
    ("experiences", "count"),
    ("useful_percent", "share"),
    ("listened_percent", "share"),
    ("services_explained_median", "median"),
    ("answered_percent", "share"),
    ("change_percent", "share"),
    ("helped_percent", "share"),
    ("answered_in_time_percent", "share"),
    ("answer_days_median", "median"),
)
_THEME_MEASURES = (
    ("stories", "count", "stories"),
    ("answered_percent", "share", "answered"),
    ("change_planned", "count", "planned"),
    ("change_made", "count", "made"),
    ("helped_percent", "share", "helped"),
)


def _value(cell: Cell, kind: str):
    if kind == "share":
        return round(float(cell.value) * 100)  # whole per cent (voice/figures/tables.py, rule E)
    if kind == "median":
        return float(cell.value)
    return int(cell.value)


def _measure_labels() -> dict[str, str]:
    return {
        "experiences": _("Experiences"),
        "useful_percent": _("Found the help useful (per cent)"),
        "listened_percent": _("Felt listened to (per cent)"),
        "services_explained_median": _("Services explained to (median; 6 means 6 or more)"),
        "answered_percent": _("Published stories answered by the service (per cent)"),
        "change_percent": _("Answers with a change planned or made (per cent)"),
        "helped_percent": _("Changes that families say helped (per cent of those who answered)"),
        "answered_in_time_percent": _("Published stories answered within the service's target (per cent)"),
        "answer_days_median": _("Working days from publication to the service's answer (median)"),
        "stories": _("Stories told"),
        "change_planned": _("Stories with a change planned"),
        "change_made": _("Stories with a change made"),
        "sessions": _("Sessions held"),
        "signups": _("Sign-ups"),
        "attended_percent": _("Attended (per cent of sign-ups marked)"),
        "session_useful_percent": _("Found the session useful (per cent)"),
    }


def _notes(figures: tables.Figures) -> list[str]:
    policy = figures.policy
    return [
        _("Only stories that staff have read are counted (published or kept internal)."),
        _("A count from 1 to %(number)s is not shown; “..” marks every figure that is not shown.",
          number=str(policy.min_count - 1)),
        _("A share or median is shown only when at least %(number)s answered.", number=str(policy.min_answers)),
        _("Some other figures are hidden too, so that a hidden number cannot be worked out from the totals."),
        _("Periods are calendar months, quarters and years in Norwegian time (Europe/Oslo)."),
        _("“.” marks a figure that does not apply."),
    ]


# --------------------------------------------------------------------------
# The long format (CSV and JSON)
# --------------------------------------------------------------------------


def _row_measures(row: tables.Row):
    return zip((m for m, _ in _MEASURES), (k for _, k in _MEASURES), (
        row.experiences, row.useful, row.listened, row.explained_median, row.answered, row.changes, row.helped,
        row.in_time, row.answer_median))


def records(figures: tables.Figures) -> list[dict]:
    """Every published figure of the view as a flat record (suppressed: no value)."""
    base = {"period_type": figures.period.kind, "period": figures.period.key}
    for name in tables.DIMENSIONS:
        chosen = figures.chosen[name]
        base[name] = chosen.key if chosen else ""
    out: list[dict] = []

    def add(table, dimension, group, group_label, measure, cell, kind, category="", category_label=""):
        if cell is None:
            return  # not published in this view
        record = dict(base, table=table, dimension=dimension, group=group, group_label=group_label,
                      category=category, category_label=category_label, measure=measure)
        if cell.suppressed:
            record.update(value=None, status=SUPPRESSED, reason=cell.reason if cell.reason != REASON_SMALL
                          else f"{cell.reason}:<{cell.threshold}")
        else:
            record.update(value=_value(cell, kind), status="", reason="")
        out.append(record)

    summary = figures.summary
    for measure, kind, cell in _row_measures(summary):
        add("summary", "all", "all", summary.group.label, measure, cell, kind)
    for point in figures.trend:
        for measure, kind, cell in (("experiences", "count", point.experiences), ("useful_percent", "share", point.useful),
                                    ("listened_percent", "share", point.listened)):
            add("trend", "period", point.period.key, charts.period_label(point.period), measure, cell, kind)
    for dimension, rows in (("area", figures.by_area), ("service", figures.by_service), ("domain", figures.by_domain)):
        for row in rows:
            for measure, kind, cell in _row_measures(row):
                add(f"by_{dimension}", dimension, row.group.key, row.group.label, measure, cell, kind)
    labels = charts.explained_labels()
    if figures.distribution is not None:
        for key, label, cell in zip(tables.EXPLAINED_KEYS, labels, figures.distribution.cells):
            add("services_explained", "services_explained", key, label, "experiences", cell, "count")
        add("services_explained", "services_explained", "total", _("Total"), "experiences", figures.distribution.total, "count")
    shares = [("summary", figures.summary)] + [
        (f"by_{dimension}", row) for dimension, rows in (("area", figures.by_area), ("service", figures.by_service),
                                                         ("domain", figures.by_domain)) for row in rows]
    for table, row in shares:
        for key, label, cell in zip(tables.EXPLAINED_KEYS, labels, row.explained_shares):
            add("services_explained_shares", table.removeprefix("by_") if table != "summary" else "all", row.group.key,
                row.group.label, "answer_percent", cell, "share", key, label)
    for row in figures.themes:
        for measure, kind, name in _THEME_MEASURES:
            add("by_theme", "theme", row.key, row.label, measure, getattr(row, name), kind)
    co = figures.cocreation
    for measure, result in (("sessions", co.sessions), ("signups", co.signups)):
        table = f"cocreation_{measure}"
        for area, cells, total in zip(co.areas, result.cells, result.row_totals):
            for kind, cell in zip(co.kinds, cells):
                add(table, "area", area.key, area.label, measure, cell, "count", kind.key, kind.label)
            add(table, "area", area.key, area.label, measure, total, "count", "all", _("All"))
        for kind, cell in zip(co.kinds, result.col_totals):
            add(table, "area", "all", _("All"), measure, cell, "count", kind.key, kind.label)
        add(table, "area", "all", _("All"), measure, result.grand_total, "count", "all", _("All"))
    for dimension, rates in (("all", [co.total]), ("area", co.by_area), ("partner_kind", co.by_kind)):
        for rate in rates:
            add("cocreation_shares", dimension, rate.group.key, rate.group.label, "attended_percent", rate.attended, "share")
            add("cocreation_shares", dimension, rate.group.key, rate.group.label, "session_useful_percent", rate.useful, "share")
    return out


def to_csv(figures: tables.Figures) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for record in records(figures):
        writer.writerow([neutralise("" if record[c] is None else record[c]) for c in COLUMNS])
    return "\ufeff" + buffer.getvalue()


def _metadata(figures: tables.Figures, query: dict) -> dict:
    return {
        "period": {
            "type": figures.period.kind, "key": figures.period.key, "label": charts.period_label(figures.period),
            "first_day": figures.period.first_day.isoformat(), "last_day": figures.period.last_day.isoformat(),
            "time_zone": "Europe/Oslo", "complete": figures.complete,
        },
        "filters": {name: (group.key if group else None) for name, group in figures.chosen.items()},
        "disclosure": {"min_count": figures.policy.min_count, "min_answers": figures.policy.min_answers},
        "generated": figures.now.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "query": query,
    }


def to_json(figures: tables.Figures, query: dict) -> str:
    document = {
        "dataset": "voice-figures",
        **_metadata(figures, query),
        "notes": _notes(figures),
        "status": {SUPPRESSED: _("not shown, to protect the families")},
    }
    # One record per line: still easy to read, and written by json's C encoder (``indent`` would
    # make it fall back to the pure-Python one, some ten times slower on a download this long).
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in records(figures))
    return json.dumps(document, ensure_ascii=False)[:-1] + ', "records": [\n' + lines + "\n]}"


# --------------------------------------------------------------------------
# JSON-stat 2.0
# --------------------------------------------------------------------------


def _category(keys: list[str], labels: list[str]) -> dict:
    return {"index": {key: i for i, key in enumerate(keys)}, "label": dict(zip(keys, labels))}


def _dataset(figures: tables.Figures, *, table: str, label: str, dims: list[tuple[str, str, list[str], list[str]]],
             cells: dict[tuple, tuple[Cell | None, str]], units: dict | None = None) -> dict:
    """A JSON-stat 2.0 dataset. ``cells`` maps a tuple of category keys (one per
    dimension) to (cell, kind); missing keys are "does not apply"."""
    ids = [d[0] for d in dims]
    sizes = [len(d[2]) for d in dims]
    values: list = []
    status: dict[str, str] = {}  # only the marked cells, by their index (JSON-stat 2.0 allows an object)
    suppression = {}

    def walk(prefix: tuple, depth: int):
        if depth == len(dims):
            cell, kind = cells.get(prefix, (None, "count"))
            index = len(values)
            if cell is None:
                values.append(None)
                status[str(index)] = NOT_APPLICABLE
            elif cell.suppressed:
                values.append(None)
                status[str(index)] = SUPPRESSED
                suppression[str(index)] = cell.reason if cell.reason != REASON_SMALL else f"{cell.reason}:<{cell.threshold}"
            else:
                values.append(_value(cell, kind))
            return
        for key in dims[depth][2]:
            walk(prefix + (key,), depth + 1)

    walk((), 0)
    dimension = {}
    for name, dim_label, keys, labels in dims:
        dimension[name] = {"label": dim_label, "category": _category(keys, labels)}
    if units and "measure" in dimension:
        dimension["measure"]["category"]["unit"] = units
    roles = {"time": ["period"]} if "period" in ids else {}
    if "measure" in ids:
        roles["metric"] = ["measure"]
    meta = _metadata(figures, {})
    return {
        "version": "2.0",
        "class": "dataset",
        "label": label,
        "source": "Trondheim kommune – Voice",
        "updated": meta["generated"],
        "id": ids,
        "size": sizes,
        "role": roles,
        "dimension": dimension,
        "value": values,
        "status": status,
        "note": _notes(figures),
        "extension": {"table": table, "period": meta["period"], "filters": meta["filters"],
                      "disclosure": meta["disclosure"], "suppressed": suppression},
    }


def _units(keys: list[str]) -> dict:
    return {
        key: ({"label": _("per cent"), "decimals": 0} if key.endswith("_percent")
              else {"label": _("median"), "decimals": 1} if key.endswith("_median")
              else {"label": _("number"), "decimals": 0})
        for key in keys
    }


def to_jsonstat(figures: tables.Figures, table: str) -> str:
    measure_labels = _measure_labels()
    period = figures.period
    period_dim = ("period", _("Period"), [period.key], [charts.period_label(period)])
    if table == "experiences":
        groups = [("all", figures.summary)]
        groups += [(f"{d}:{row.group.key}", row) for d, rows in (("area", figures.by_area), ("service", figures.by_service),
                                                                   ("domain", figures.by_domain)) for row in rows]
        names = {"area": _("Area"), "service": _("Service"), "domain": _("Life domain")}
        group_labels = [row.group.label if key == "all" else f"{names[key.split(':')[0]]}: {row.group.label}"
                        for key, row in groups]
        measures = [m for m, _ in _MEASURES]
        cells = {(period.key, key, m): (cell, k) for key, row in groups for m, k, cell in _row_measures(row) if cell is not None}
        # Counts not published in this view are suppressed, not "does not apply".
        for key, row in groups:
            if row.experiences is None:
                cells[(period.key, key, "experiences")] = (Cell(None, True, "not_published"), "count")
        dims = [period_dim, ("group", _("Group"), [k for k, _ in groups], group_labels),
                ("measure", _("Measure"), measures, [measure_labels[m] for m in measures])]
        document = _dataset(figures, table=table, label=_("Experiences of families"), dims=dims, cells=cells,
                            units=_units(measures))
    elif table == "trend":
        measures = ["experiences", "useful_percent", "listened_percent"]
        cells = {}
        for point in figures.trend:
            for m, kind, cell in zip(measures, ("count", "share", "share"), (point.experiences, point.useful, point.listened)):
                cells[(point.period.key, m)] = (cell if cell is not None else Cell(None, True, "not_published"), kind)
        dims = [("period", _("Period"), [p.period.key for p in figures.trend], [charts.period_label(p.period) for p in figures.trend]),
                ("measure", _("Measure"), measures, [measure_labels[m] for m in measures])]
        document = _dataset(figures, table=table, label=_("Experiences per period"), dims=dims, cells=cells, units=_units(measures))
    elif table == "explained":
        keys = tables.EXPLAINED_KEYS + ["total"]
        labels = charts.explained_labels() + [_("Total")]
        names = {"area": _("Area"), "service": _("Service"), "domain": _("Life domain")}
        rows = [("all", figures.summary)] + [
            (f"{d}:{row.group.key}", row) for d, rows in (("area", figures.by_area), ("service", figures.by_service),
                                                          ("domain", figures.by_domain)) for row in rows]
        group_labels = [row.group.label if key == "all" else f"{names[key.split(':')[0]]}: {row.group.label}"
                        for key, row in rows]
        measures = ["experiences", "answer_percent"]
        cells = {}
        if figures.distribution is not None:
            for key, cell in zip(keys, figures.distribution.cells + [figures.distribution.total]):
                cells[(period.key, rows[0][0], key, "experiences")] = (cell, "count")
        for group, row in rows:
            for key, cell in zip(tables.EXPLAINED_KEYS, row.explained_shares):
                cells[(period.key, group, key, "answer_percent")] = (cell, "share")
        dims = [period_dim, ("group", _("Group"), [k for k, _ in rows], group_labels),
                ("services_explained", _("Services explained to"), keys, labels),
                ("measure", _("Measure"), measures, [_("Experiences"), _("Per cent of those who answered")])]
        document = _dataset(figures, table=table, label=_("How many services families had to explain their situation to"),
                            dims=dims, cells=cells, units=_units(measures))
    elif table == "themes":
        measures = [m for m, _k, _n in _THEME_MEASURES]
        cells = {(period.key, row.key, m): (getattr(row, name), kind)
                 for row in figures.themes for m, kind, name in _THEME_MEASURES}
        dims = [period_dim, ("theme", _("Theme"), [row.key for row in figures.themes], [row.label for row in figures.themes]),
                ("measure", _("Measure"), measures, [measure_labels[m] for m in measures])]
        document = _dataset(figures, table=table, label=_("Themes: what families told about, and what changed"),
                            dims=dims, cells=cells, units=_units(measures))
    else:  # cocreation
        co = figures.cocreation
        areas = [a.key for a in co.areas] + ["all"]
        kinds = [k.key for k in co.kinds] + ["all"]
        measures = ["sessions", "signups", "attended_percent", "session_useful_percent"]
        cells = {}
        for measure, result in (("sessions", co.sessions), ("signups", co.signups)):
            for area, row, total in zip(areas, result.cells, result.row_totals):
                for kind, cell in zip(kinds, row):
                    cells[(period.key, area, kind, measure)] = (cell, "count")
                cells[(period.key, area, "all", measure)] = (total, "count")
            for kind, cell in zip(kinds, result.col_totals):
                cells[(period.key, "all", kind, measure)] = (cell, "count")
            cells[(period.key, "all", "all", measure)] = (result.grand_total, "count")
        for rate in co.by_area:
            cells[(period.key, rate.group.key, "all", "attended_percent")] = (rate.attended, "share")
            cells[(period.key, rate.group.key, "all", "session_useful_percent")] = (rate.useful, "share")
        for rate in co.by_kind:
            cells[(period.key, "all", rate.group.key, "attended_percent")] = (rate.attended, "share")
            cells[(period.key, "all", rate.group.key, "session_useful_percent")] = (rate.useful, "share")
        cells[(period.key, "all", "all", "attended_percent")] = (co.total.attended, "share")
        cells[(period.key, "all", "all", "session_useful_percent")] = (co.total.useful, "share")
        dims = [period_dim,
                ("area", _("Area"), areas, [a.label for a in co.areas] + [_("All")]),
                ("partner_kind", _("Kind of partner"), kinds, [k.label for k in co.kinds] + [_("All")]),
                ("measure", _("Measure"), measures, [measure_labels[m] for m in measures])]
        document = _dataset(figures, table=table, label=_("Co-creation"), dims=dims, cells=cells, units=_units(measures))
    return json.dumps(document, ensure_ascii=False)  # compact: json's C encoder (see to_json)


def render(fmt: str, figures: tables.Figures, *, query: dict, table: str) -> tuple[str, str, str]:
    """(body, mimetype, file extension) of a download."""
    if fmt == "csv":
        return to_csv(figures), "text/csv", "csv"
    if fmt == "json":
        return to_json(figures, query), "application/json", "json"
    return to_jsonstat(figures, table), "application/json", "jsonstat.json"

