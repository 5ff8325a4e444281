"""The job worker's entry point:

    huey_consumer voice.jobs.worker.huey --workers 2 --worker-type thread

The app is made from the environment (the same settings as the web server), which
points the queue at its storage (SQLite in instance/, or Redis with REDIS_URL)."""
from __future__ import annotations

import logging

from .. import create_app
from .tasks import huey, use_app

use_app(create_app())
logging.getLogger("huey").propagate = False  # the consumer writes huey's lines itself; not twice

__all__ = ["huey"]
