"""Voice: families' experiences of municipal services, and co-creation.

create_app is the only place that wires the application together.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ROOT, check, from_environment, receipt_key, trusted_hosts


def create_app(config: dict | None = None) -> Flask:
    instance_path = Path(os.environ.get("VOICE_INSTANCE_PATH", ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(from_environment(instance_path))
    if config:
        app.config.update(config)
    check(app.config)
    if not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    if app.config["RATELIMIT_STORAGE_URI"].startswith("voice+sql"):
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"database_url": app.config["DATABASE_URL"],
                                                   "lock_timeout_ms": app.config.get("DB_LOCK_TIMEOUT_MS", 5000)}
    proxies = int(os.environ.get("VOICE_TRUSTED_PROXIES", "0"))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    logging.basicConfig(level=logging.INFO)

    from . import cli, models, ratelimit  # noqa: F401  (models: every table is mapped; ratelimit: the voice+sql:// storage)
    from .clock import Clock
    from .core import errors
    from .experiences import service as experiences  # noqa: F401  (installs the figures' write hook)
    from .extensions import csrf, htmx, limiter
    from .figures import monitoring
    from .hashing import HashParams, SecretHasher
    from .links import Links
    from .web import db, i18n, jobs, login, page_cache, security, templating
    from .web.routing import IdConverter

    app.extensions["voice_clock"] = app.config.get("VOICE_CLOCK") or Clock()
    app.extensions["voice_hasher"] = SecretHasher(HashParams(
        time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_COST"],
        parallelism=app.config["ARGON2_PARALLELISM"],
    ), key=receipt_key(app.config))
    db.init_app(app)
    jobs.init_app(app)
    login.init_app(app)
    security.init_shared_pages(app)
    page_cache.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    monitoring.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    app.url_map.converters["id"] = IdConverter
    from .accounts import oidc_views
    from .accounts.admin_views import bp as admin_bp
    from .accounts.views import bp as accounts_bp
    from .cocreation.organise_views import bp as organise_bp
    from .cocreation.views import bp as cocreation_bp
    from .core.views import bp as core_bp
    from .experiences.public_views import bp as stories_bp
    from .experiences.views import bp as experiences_bp
    from .figures.views import bp as figures_bp
    from .moderation.answer_views import bp as answers_bp
    from .moderation.views import bp as moderation_bp
    from .themes.staff_views import bp as staff_themes_bp
    from .themes.views import bp as themes_bp

    oidc_views.init_app(app)  # the municipal login, when OIDC_ISSUER is set
    for blueprint in (core_bp, experiences_bp, stories_bp, accounts_bp, moderation_bp, admin_bp, cocreation_bp,
                      organise_bp, figures_bp, themes_bp, staff_themes_bp, answers_bp):
        app.register_blueprint(blueprint)

    templating.init_app(app)
    page_cache.init_serving(app)  # after every other before-request hook (voice/web/page_cache.py)
    # Links for e-mail, calendar files and jobs: from PUBLIC_BASE_URL and the finished URL map.
    app.extensions["voice_links"] = Links(app.url_map, app.config["PUBLIC_BASE_URL"] or "http://localhost")
    # Last, so it runs first after each request (see voice/web/db.py).
    db.install_commit(app, errors.database_unavailable)
    return app
