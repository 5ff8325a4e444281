"""Export files are personal data too: keep them one day."""
from __future__ import annotations

from pathlib import Path

KEEP_SECONDS = 24 * 3600


def purge_export_files(*, directory: Path, now: float) -> int:
    """Delete export files older than a day (``now``: seconds since the epoch, like file times)."""
    if not directory.is_dir():
        return 0
    removed = 0
    for path in directory.glob("voice-export-*"):
        if now - path.stat().st_mtime > KEEP_SECONDS:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
