"""The feed for monitoring systems: OpenMetrics / Prometheus text at /figures/metrics.

Two kinds of series:

* the app's own health, counted by request hooks: requests by endpoint and
  status class, unhandled exceptions, and a latency histogram;
* the published experience figures of the latest published quarter and year
  (or only ``?period_type=...``), computed at scrape time from the same
  protected ``tables.Figures`` as the dashboard. A suppressed figure is left
  out, never sent as a number.

Each app has its own ``CollectorRegistry`` in ``app.extensions`` (never the
global default registry: the test suite creates many apps in one process).
With several worker processes (gunicorn), set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory before start: prometheus-client then keeps the counters in
files shared by the workers, and any worker answers for all of them.
"""
from __future__ import annotations

import hmac
import os
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, has_request_context, request
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

from ..web.context import clock, reference_names
from ..web.db import get_session
from . import service, tables
from .disclosure import Cell
from .service import Filters

EXTENSION = "voice_metrics"
POLICY_EXTENSION = "voice_disclosure_policy"


@dataclass
class AppMetrics:
    registry: CollectorRegistry
    requests: Counter
    exceptions: Counter
    latency: Histogram


def init_app(app: Flask) -> None:
    # Fail at start-up, not at the first request, when the thresholds are set below 5/10.
    app.extensions[POLICY_EXTENSION] = tables.policy_from_config(app.config)

    registry = CollectorRegistry()
    shared = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    own = None if shared else registry  # shared: the values live in files, read by MultiProcessCollector
    state = AppMetrics(
        registry=registry,
        requests=Counter("voice_http_requests", "HTTP requests handled, by endpoint and status class.",
                         ["endpoint", "status_class"], registry=own),
        exceptions=Counter("voice_http_exceptions", "Requests that ended in an unhandled exception.",
                           ["endpoint"], registry=own),
        latency=Histogram("voice_http_request_duration_seconds", "Time to handle a request, in seconds.",
                          ["endpoint"], registry=own),
    )
    if shared:
        multiprocess.MultiProcessCollector(registry)
    registry.register(FiguresCollector())
    registry.register(JobsCollector())
    app.extensions[EXTENSION] = state

    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _note_status(response):
        g.metrics_status = response.status_code
        return response

    @app.teardown_request
    def _record(exc):
        started = g.get("metrics_started")
        status = g.get("metrics_status")
        if started is None:
            return
        endpoint = request.endpoint or "unmatched"
        if status is None or exc is not None:
            status = 500
        state.requests.labels(endpoint, f"{status // 100}xx").inc()
        state.latency.labels(endpoint).observe(time.perf_counter() - started)
        if exc is not None:
            state.exceptions.labels(endpoint).inc()


def authorised(header: str, token: str) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def exposition(accept: str) -> tuple[bytes, str]:
    encoder, content_type = choose_encoder(accept)
    return encoder(current_app.extensions[EXTENSION].registry), content_type


class JobsCollector:
    """The job worker's health at scrape time: tasks on the queue, mail and exports that
    wait, the age of the oldest, and how long ago the worker was last seen. Alert on the
    last two (e.g. the worker unseen for more than 5 minutes)."""

    def describe(self):
        return []

    def collect(self):
        if not has_request_context() or request.endpoint != "figures.monitoring_feed":
            return
        from ..jobs import tasks
        from ..jobs.service import worker_state

        now = clock().now()
        state = worker_state(session=get_session())
        queued = tasks.queue_length(tasks.storage_choice_of(current_app.config))
        if queued is not None:
            yield GaugeMetricFamily("voice_jobs_queued", "Tasks on the job queue, not yet taken by a worker.", value=queued)
        waiting = GaugeMetricFamily("voice_jobs_waiting", "Work not done yet, by kind (mail, export).", labels=["kind"])
        waiting.add_metric(["mail"], state.mail_waiting)
        waiting.add_metric(["export"], state.exports_waiting)
        yield waiting
        oldest = (now - state.oldest_waiting).total_seconds() if state.oldest_waiting else 0.0
        yield GaugeMetricFamily("voice_jobs_oldest_waiting_age_seconds",
                                "Age of the oldest mail or export not done yet (0 when none waits).", value=oldest)
        if state.last_seen is not None:
            yield GaugeMetricFamily("voice_worker_last_seen_age_seconds", "Seconds since the job worker was last seen.",
                                    value=(now - state.last_seen).total_seconds())


# --------------------------------------------------------------------------
# The experience figures
# --------------------------------------------------------------------------


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def _add(family: GaugeMetricFamily, labels: list[str], cell: Cell | None) -> None:
    if cell is not None and not cell.suppressed:
        family.add_metric(labels, float(cell.value))


class FiguresCollector:
    """Collects the published figures at scrape time (only inside the scrape request)."""

    def describe(self):
        return []  # registering must not run the queries

    def collect(self):
        if not has_request_context() or request.endpoint != "figures.monitoring_feed":
            return
        wanted = [kind for kind in request.args.getlist("period_type") if kind in tables.PUBLISHED_KINDS] \
            or list(tables.PUBLISHED_KINDS)
        now = clock().now()
        session = get_session()
        settle = current_app.config["FIGURES_SETTLE_DAYS"]
        service.publish_due(session=session, now=now, settle_days=settle)
        published = service.published_quarters(session=session)
        names = reference_names()
        policy = current_app.extensions[POLICY_EXTENSION]
        group_labels = ["period_type", "period", "dimension", "group"]
        families = {
            "experiences": _gauge("voice_experiences", "Moderated experiences told in the period (suppressed values left out).", group_labels),
            "useful": _gauge("voice_experience_useful_ratio", "Share who found the help useful (4 or 5 of 5), of those who answered.", group_labels),
            "listened": _gauge("voice_experience_listened_ratio", "Share who felt listened to, of those who answered.", group_labels),
            "median": _gauge("voice_experience_services_explained_median", "Median number of services families had to explain their situation to (6 means 6 or more).", group_labels),
            "answered": _gauge("voice_story_answered_ratio", "Share of published stories answered by the service.", group_labels),
            "changes": _gauge("voice_answer_change_ratio", "Share of answers marking a change as planned or made.", group_labels),
            "in_time": _gauge("voice_story_answered_in_time_ratio", "Share of published stories answered within the service's target, of those whose deadline passed.", group_labels),
            "answer_days": _gauge("voice_story_answer_working_days_median", "Median working days from a story's publication to the service's answer.", group_labels),
            "helped": _gauge("voice_change_helped_ratio", "Share of families who say a change made helped, of those who answered yes, partly or no.", group_labels),
            "theme_stories": _gauge("voice_theme_stories", "Moderated stories told in the period, per theme (suppressed values left out).", ["period_type", "period", "theme"]),
            "theme_answered": _gauge("voice_theme_answered_ratio", "Share of a theme's published stories answered by the service.", ["period_type", "period", "theme"]),
            "theme_changes": _gauge("voice_theme_changes", "A theme's stories with a change planned or made (the strongest mark of each story).", ["period_type", "period", "theme", "change"]),
            "theme_helped": _gauge("voice_theme_helped_ratio", "Share of families who say a change on the theme helped, of those who answered yes, partly or no.", ["period_type", "period", "theme"]),
            "explained": _gauge("voice_experience_services_explained", "Experiences by how many services families had to explain their situation to.", ["period_type", "period", "services_explained"]),
            "sessions": _gauge("voice_cocreation_sessions_held", "Co-creation sessions held (published and ended).", ["period_type", "period", "area", "partner_kind"]),
            "signups": _gauge("voice_cocreation_signups", "Confirmed sign-ups to co-creation sessions held.", ["period_type", "period", "area", "partner_kind"]),
            "attended": _gauge("voice_cocreation_attended_ratio", "Share of confirmed sign-ups who attended, of those whose attendance was marked.", group_labels),
            "co_useful": _gauge("voice_cocreation_useful_ratio", "Share who found the session useful (4 or 5 of 5), of those who rated it.", group_labels),
        }
        for kind in wanted:  # the latest published quarter and year
            options = tables.period_options(kind, published=published)
            if not options:
                continue
            period = options[0]
            figures = tables.build(session=session, period=period, filters=Filters(), policy=policy, now=now, names=names,
                                   settle_days=settle)
            self._experiences(families, figures, [kind, period.key])
            self._cocreation(families, figures, [kind, period.key])
            self._themes(families, figures, [kind, period.key])
        yield from families.values()

    @staticmethod
    def _experiences(families, figures: tables.Figures, at: list[str]) -> None:
        rows = [("all", figures.summary)] + [
            (dimension, row)
            for dimension, rows in (("area", figures.by_area), ("service", figures.by_service), ("domain", figures.by_domain))
            for row in rows
        ]
        for dimension, row in rows:
            labels = [*at, dimension, row.group.key]
            _add(families["experiences"], labels, row.experiences)
            _add(families["useful"], labels, row.useful)
            _add(families["listened"], labels, row.listened)
            _add(families["median"], labels, row.explained_median)
            _add(families["answered"], labels, row.answered)
            _add(families["changes"], labels, row.changes)
            _add(families["helped"], labels, row.helped)
            _add(families["in_time"], labels, row.in_time)
            _add(families["answer_days"], labels, row.answer_median)
        if figures.distribution is not None:
            for key, cell in zip(tables.EXPLAINED_KEYS, figures.distribution.cells):
                _add(families["explained"], [*at, key], cell)

    @staticmethod
    def _themes(families, figures: tables.Figures, at: list[str]) -> None:
        for row in figures.themes:
            _add(families["theme_stories"], [*at, row.key], row.stories)
            _add(families["theme_answered"], [*at, row.key], row.answered)
            _add(families["theme_changes"], [*at, row.key, "planned"], row.planned)
            _add(families["theme_changes"], [*at, row.key, "made"], row.made)
            _add(families["theme_helped"], [*at, row.key], row.helped)

    @staticmethod
    def _cocreation(families, figures: tables.Figures, at: list[str]) -> None:
        co = figures.cocreation
        for name in ("sessions", "signups"):
            result = getattr(co, name)
            for area, cells, row_total in zip(co.areas, result.cells, result.row_totals):
                for kind, cell in zip(co.kinds, cells):
                    _add(families[name], [*at, area.key, kind.key], cell)
                _add(families[name], [*at, area.key, "all"], row_total)
            for kind, cell in zip(co.kinds, result.col_totals):
                _add(families[name], [*at, "all", kind.key], cell)
            _add(families[name], [*at, "all", "all"], result.grand_total)
        for dimension, rates in (("all", [co.total]), ("area", co.by_area), ("partner_kind", co.by_kind)):
            for rate in rates:
                _add(families["attended"], [*at, dimension, rate.group.key], rate.attended)
                _add(families["co_useful"], [*at, dimension, rate.group.key], rate.useful)
