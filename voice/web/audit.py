"""Audit entries written by views: the actor is the signed-in account (or what
the caller names), the address is the request's."""
from __future__ import annotations

from flask import g

from ..accounts import audit as audit_log
from .context import remote_addr
from .db import get_session, keep_always


def _actor(actor):
    return actor if actor is not None else g.get("account")


def record(action: str, target_type: str = "", target_id=None, detail: dict | None = None, *, actor=None) -> None:
    """Stored with what the request does, or not at all."""
    audit_log.record(get_session(), _actor(actor), action, target_type, target_id, detail, remote_addr=remote_addr())


def record_always(action: str, target_type: str = "", target_id=None, detail: dict | None = None, *, actor=None) -> None:
    """Stored even when the request fails on purpose (a refusal, a wrong password)."""
    keep_always(audit_log.entry(_actor(actor), action, target_type, target_id, detail, remote_addr=remote_addr()))
