"""gunicorn settings for Voice (`gunicorn -c python:voice.web.gunicorn_conf 'voice:create_app()'`).

* The access log leaves out the tokens of private links (voice.web.accesslog).
* The monitoring counters are shared by every worker process: prometheus-client's
  multiprocess mode keeps them in files in ``PROMETHEUS_MULTIPROC_DIR`` (default
  ``instance/prometheus``), emptied when gunicorn starts, so a scrape answered by any
  worker gives the same counts and a restarted worker does not reset them. The
  directory is per machine: Prometheus scrapes each machine as its own target.

Command-line options (``--bind``, ``--workers``) override what is set here.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

_root = Path(__file__).resolve().parents[2]
_instance = Path(os.environ.get("VOICE_INSTANCE_PATH", _root / "instance"))
# Set before any worker imports prometheus_client (the workers inherit it from this process).
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_instance / "prometheus"))

bind = os.environ.get("VOICE_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = "-"
logger_class = "voice.web.accesslog.RedactingLogger"
# gunicorn's control socket sits in one fixed path per user, which two sites on one machine
# would share; Voice is managed by its service manager (signals), so it is off.
control_socket_disable = True


def on_starting(server) -> None:
    """Empty the counters' directory: files left by an earlier run would be counted again."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


def when_ready(server) -> None:
    addresses = ", ".join(f"http://{a[0]}:{a[1]}" if isinstance(a, tuple) else str(a) for a in server.cfg.address)
    server.log.info("Voice web is up: %s", addresses)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
