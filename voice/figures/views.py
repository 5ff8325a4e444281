"""Figures for everyone: the dashboard, its downloads and the monitoring feed.

Thin views: read the query, let ``tables`` build the protected figures, render.
Every view takes the same query parameters (period_type, period, service, area,
domain), so a download is always exactly what the dashboard showed.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _

from ..extensions import limiter
from ..reference.models import Area, LifeDomain, Service
from ..web.context import clock, reference_choices, reference_names, setting
from ..web.db import get_session
from ..web.downloads import download as file_download
from . import charts, feeds, monitoring, service, tables
from .service import PERIOD_TYPES, Filters, Period

bp = Blueprint("figures", __name__, url_prefix="/figures")

DEFAULT_PERIOD_TYPE = "quarter"
_MAX_ARG = 64


@dataclass
class Query:
    period_type: str
    period: Period
    slugs: dict[str, str | None]
    filters: Filters

    def args(self, **changes) -> dict[str, str]:
        """The query parameters of this view (for links), without empty ones."""
        args = {"period_type": self.period_type, "period": self.period.key, **self.slugs}
        args.update(changes)
        return {key: value for key, value in args.items() if value}


def _coerce(kind: str, key: str) -> Period | None:
    """A period key of another type (after the period type was changed without
    JavaScript, or an old link to a month): the period of ``kind`` in which it starts."""
    for other in PERIOD_TYPES:
        period = Period.parse(other, key)
        if period is not None:
            return Period.containing(kind, period.first_day)
    return None


def read_query(db, now, latest: Period | None = None) -> Query:
    """The view asked for; anything not on the server's own lists is refused (400)."""
    args = request.args
    if any(len(value) > _MAX_ARG for value in args.values()):
        abort(400)
    period_type = args.get("period_type") or DEFAULT_PERIOD_TYPE
    if period_type == "month":
        period_type = "quarter"  # months are not published (voice/figures/tables.py, rule B)
    if period_type not in tables.PUBLISHED_KINDS:
        abort(400)
    current = Period.containing(period_type, now)
    key = (args.get("period") or "").strip()
    period = (Period.parse(period_type, key) or _coerce(period_type, key)) if key else latest
    if key and period is None:
        abort(400)
    period = period or current
    period = min(period, current)  # no figures from the future
    slugs = {name: (args.get(name) or "").strip() or None for name in tables.DIMENSIONS}
    try:
        filters = tables.resolve_filters(session=db, slugs=slugs)
    except LookupError:
        abort(400)
    return Query(period_type, period, slugs, filters)


def _policy():
    return current_app.extensions["voice_disclosure_policy"]


def _latest(published: set[Period], kind: str) -> Period | None:
    options = tables.period_options(kind, published=published)
    return options[0] if options else None


def _figures():
    """Publish what is due (once), then the figures of the view asked for."""
    db = get_session()
    now = clock().now()
    settle = setting("FIGURES_SETTLE_DAYS")
    service.publish_due(session=db, now=now, settle_days=settle)
    published = service.published_quarters(session=db)
    kind = request.args.get("period_type") or DEFAULT_PERIOD_TYPE
    query = read_query(db, now, _latest(published, kind if kind in tables.PUBLISHED_KINDS else DEFAULT_PERIOD_TYPE))
    figures = tables.build(session=db, period=query.period, filters=query.filters, policy=_policy(), now=now,
                           names=reference_names(), settle_days=settle)
    return db, query, figures, published


def _chart_set(figures: tables.Figures) -> dict[str, charts.Chart]:
    rtl = g.locale.is_rtl
    result = {}
    narrow = len(figures.trend) > 8
    labels = [charts.period_short(p.period, first=i == 0, narrow=narrow) for i, p in enumerate(figures.trend)]
    names = [charts.period_label(p.period) for p in figures.trend]
    periods = [p.period for p in figures.trend]
    if figures.counts_shown:
        points = [(label, point.experiences, point.period == figures.period) for label, point in zip(labels, figures.trend)]
        result["trend"] = charts.time_axis(charts.columns(
            "chart-trend", _("Experiences per period"),
            charts.describe([(n, p.experiences) for n, p in zip(names, figures.trend)], share=False), points), periods)
    # Over-time charts: axis labels laid out so that they never run together (charts.time_axis).
    result["trend_useful"] = charts.time_axis(charts.columns(
        "chart-trend-useful", _("Share who found the help useful, per period"),
        charts.describe([(n, p.useful) for n, p in zip(names, figures.trend)], share=True),
        [(label, point.useful, point.period == figures.period) for label, point in zip(labels, figures.trend)],
        share=True), periods)
    for name, rows, title in (
        ("service", figures.by_service, _("Share who found the help useful, by service")),
        ("area", figures.by_area, _("Share who found the help useful, by area")),
        ("domain", figures.by_domain, _("Share who found the help useful, by life domain")),
    ):
        result[name] = charts.bars(
            f"chart-{name}", title, charts.describe([(r.group.label, r.useful) for r in rows], share=True),
            [(r.group.label, r.useful, r.chosen) for r in rows], rtl=rtl)
    labels = charts.explained_labels()[:-1]  # the chart leaves out "no answer"
    counts = figures.distribution is not None
    cells = figures.distribution.cells[:-1] if counts else figures.summary.explained_shares
    result["explained"] = charts.columns(
        "chart-explained", _("How many services families had to explain their situation to"),
        charts.describe(list(zip(labels, cells)), share=not counts),
        [([label], cell, False) for label, cell in zip(labels, cells)], share=not counts)
    co = figures.cocreation
    result["signups"] = charts.bars(
        "chart-signups", _("Sign-ups to co-creation sessions, by area"),
        charts.describe([(a.label, c) for a, c in zip(co.areas, co.signups.row_totals)], share=False),
        [(a.label, c, False) for a, c in zip(co.areas, co.signups.row_totals)], rtl=rtl, share=False)
    return result


def _links(query: Query, figures: tables.Figures, period_keys: set[str]) -> dict:
    """Where the page's links lead: the period before and after, every group of the
    breakdowns (the same view narrowed to it), and back to all experiences."""
    def view(**changes) -> str:
        return url_for("figures.dashboard", **query.args(**changes))

    before, after = query.period.previous(), query.period.next()
    rows = {"area": figures.by_area, "service": figures.by_service, "domain": figures.by_domain}
    return {
        "previous": (before, view(period=before.key)) if before.key in period_keys else None,
        "next": (after, view(period=after.key)) if after.key in period_keys else None,
        "all": url_for("figures.dashboard", period_type=query.period_type, period=query.period.key) if figures.filtered else None,
        "groups": {name: {row.group.key: view(**{name: row.group.key}) for row in group_rows if row.group.key != tables.NO_AREA}
                   for name, group_rows in rows.items()},
        "themes": {row.key: url_for("themes.detail", slug=row.key) for row in figures.themes},
    }


@bp.route("/")
def dashboard():
    db, query, figures, published = _figures()
    options = {
        "period_type": [("quarter", _("Quarter")), ("year", _("Year"))],
        "period": [(p.key, charts.period_label(p)) for p in tables.period_options(query.period_type, published=published)],
        "service": reference_choices(Service),
        "area": reference_choices(Area),
        "domain": reference_choices(LifeDomain),
    }
    period_keys = {key for key, _label in options["period"]}
    if query.period.key not in period_keys:
        options["period"].insert(0, (query.period.key, charts.period_label(query.period)))
    downloads = {fmt: url_for("figures.download", fmt=fmt, **query.args()) for fmt in feeds.FORMATS}
    jsonstat_tables = {
        table: url_for("figures.download", fmt="jsonstat", table=table, **query.args()) for table in feeds.JSONSTAT_TABLES
    }
    links = _links(query, figures, period_keys)
    return render_template(
        "figures/dashboard.html", figures=figures, query=query, options=options,
        charts=_chart_set(figures) if figures.published else {},
        fmt=charts, downloads=downloads, jsonstat_tables=jsonstat_tables, links=links,
    )


@bp.route("/download.<fmt>")
@limiter.limit("60 per minute")
def download(fmt: str):
    if fmt not in feeds.FORMATS:
        abort(404)
    table = request.args.get("table") or feeds.JSONSTAT_TABLES[0]
    if fmt == "jsonstat" and table not in feeds.JSONSTAT_TABLES:
        abort(400)
    _db, query, figures, _published = _figures()
    if not figures.published:
        abort(404)
    body, mimetype, extension = feeds.render(fmt, figures, query=query.args(), table=table)
    name = f"voice-figures-{query.period.key}" + ("" if fmt != "jsonstat" else f"-{table}")
    return file_download(body, mimetype=mimetype, filename=f"{name}.{extension}")


@bp.route("/metrics")
@limiter.limit("120 per minute")
def monitoring_feed():
    """OpenMetrics / Prometheus text for monitoring systems, behind a bearer token."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        abort(404)
    if not monitoring.authorised(request.headers.get("Authorization", ""), token):
        return Response("Unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="voice-metrics"'}, mimetype="text/plain")
    body, content_type = monitoring.exposition(request.headers.get("Accept", ""))
    return Response(body, content_type=content_type)
