"""Rate limits for the families' forms that do not punish mistakes or a shared connection.

* Only what was stored counts: a form sent back with a message to fix, or a warning
  to read, costs nothing (the view calls ``counts_against_limits()`` once it stored).
* Per browser first (a random id in its session cookie), and per address only at a much
  higher level, so families at a library or behind one mobile network do not block each
  other. A bot that throws its cookie away meets the address limit.
* Every attempt, stored or not, meets a high ceiling per address, so nobody can make the
  server check forms without end.

When a limit is hit, the 429 page keeps everything typed and says when to try again
(voice/core/errors.py).
"""
from __future__ import annotations

from flask import g

from ..extensions import limiter
from .context import browser_id, keyed


def browser_key() -> str:
    return "browser:" + keyed("browser:" + browser_id())


def counts_against_limits() -> None:
    g.voice_counted = True


def _counted(_response) -> bool:
    return bool(g.get("voice_counted"))


def family_form(*, per_browser: str, per_address: str, attempts: str = "300 per hour"):
    def wrap(view):
        view = limiter.limit(attempts, methods=["POST"])(view)
        view = limiter.limit(per_address, methods=["POST"], deduct_when=_counted)(view)
        return limiter.limit(per_browser, key_func=browser_key, methods=["POST"], deduct_when=_counted)(view)

    return wrap
