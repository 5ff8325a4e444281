"""Voice: families' experiences of municipal services, and co-creation.

create_app is the only place that wires the application together.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ROOT, from_environment


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
    proxies = int(os.environ.get("VOICE_TRUSTED_PROXIES", "0"))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    logging.basicConfig(level=logging.INFO)

    from . import cli, db, i18n, models, security  # noqa: F401  (models: every table is mapped)
    from .accounts import auth
    from .core import errors
    from .extensions import csrf, htmx, limiter

    db.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    from .metrics import monitoring

    monitoring.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    from .accounts.admin_views import bp as admin_bp
    from .accounts.views import bp as accounts_bp
    from .cocreation.organise_views import bp as organise_bp
    from .cocreation.views import bp as cocreation_bp
    from .core.views import bp as core_bp
    from .experiences.public_views import bp as stories_bp
    from .experiences.views import bp as experiences_bp
    from .metrics.views import bp as metrics_bp
    from .moderation.views import bp as moderation_bp

    for blueprint in (core_bp, experiences_bp, stories_bp, accounts_bp, moderation_bp, admin_bp, cocreation_bp, organise_bp, metrics_bp):
        app.register_blueprint(blueprint)

    from . import templating

    templating.init_app(app)
    return app
