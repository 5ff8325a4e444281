"""Export files are personal data too: keep them one day."""
from __future__ import annotations

import time
from pathlib import Path

from flask import current_app

KEEP_SECONDS = 24 * 3600


def purge_export_files(now: float | None = None) -> int:
    directory = Path(current_app.config["EXPORT_DIR"])
    if not directory.is_dir():
        return 0
    now = now or time.time()
    removed = 0
    for path in directory.glob("voice-export-*"):
        if now - path.stat().st_mtime > KEEP_SECONDS:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
