"""The web edge of the job worker: put work on the queue once the request that asked
for it has committed (the worker must find what the request wrote)."""
from __future__ import annotations

from flask import Flask, current_app

from ..jobs import tasks
from . import db


def later(task, *args) -> None:
    """Queue ``task(*args)`` after this request commits (nothing, if it rolls back)."""
    storage = tasks.storage_choice_of(current_app.config)
    db.after_commit(lambda: tasks.soon(task, *args, storage=storage))


def _send_queued_mail(session) -> None:
    if session.info.pop("voice_mail_queued", False):
        tasks.soon(tasks.send_mail, storage=tasks.storage_choice_of(current_app.config))


def init_app(app: Flask) -> None:
    tasks.configure(**tasks.storage_choice_of(app.config))
    db.on_every_commit(app, _send_queued_mail)


def worker_late_minutes() -> int | None:
    """Minutes since the job worker was last seen, when it is late (None: all is well)."""
    from ..jobs.service import worker_state
    from .context import clock
    from .db import get_session

    return worker_state(session=get_session()).minutes_unseen(clock().now())
