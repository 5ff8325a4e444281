"""Cells of CSV and spreadsheet files that people open in Excel or LibreOffice.

A text cell starting with ``= + - @``, a tab or a carriage return is run as a
formula by spreadsheet programs (CSV injection, SECURITY.md 23). Every file
Voice writes for people to open passes its cells through ``neutralise``.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so Excel reads the file as UTF-8 and shows æ, ø, å


def neutralise(value):
    """A text cell a spreadsheet would treat as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable]) -> str:
    """A whole small CSV file (with the BOM), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return BOM + buffer.getvalue()
