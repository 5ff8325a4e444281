"""URL pieces every view shares: row ids and page numbers that cannot overflow a column."""
from __future__ import annotations

from flask import abort, request
from werkzeug.routing import BaseConverter

MAX_PAGE = 10_000


class IdConverter(BaseConverter):
    """``<id:name>``: a row id of 1 to 9 digits. A longer number is a 404, never a value
    the database cannot hold (a 23-digit id once gave a 500)."""

    regex = r"[1-9][0-9]{0,8}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


def page_arg(name: str = "page") -> int:
    """The page asked for (1 when none); 400 for anything but a whole number up to MAX_PAGE."""
    raw = request.args.get(name, "")
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 5 or not 1 <= int(raw) <= MAX_PAGE:  # "²" is a digit to isdigit()
        abort(400)
    return int(raw)
