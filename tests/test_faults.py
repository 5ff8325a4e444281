"""Faults: PostgreSQL goes away in the middle of a family's submission, and comes back.

"Stopping PostgreSQL" is simulated without touching the real server, which other
tests share: the app reaches its own fresh database through a small TCP proxy
(threads and sockets, below) on a free 127.0.0.1 port. Stopping the proxy closes
its listener and every connection it carries, which is what the app sees when
the database server stops: pooled connections break and new ones are refused.
Starting it again on the same port is the database coming back.

The locked SQLite file is tested in tests/test_foundation.py; a gunicorn worker
killed in the middle of requests is bench/faults.py (it needs gunicorn and signals).
"""
from __future__ import annotations

import re
import socket
import threading
import time
import urllib.parse
import uuid

import psycopg
import pytest
from sqlmodel import Session

from voice import create_app
from voice.reference.service import seed_reference_data

from . import conftest

_ADMIN = urllib.parse.urlsplit(conftest.PG_ADMIN_URL)
UPSTREAM = (_ADMIN.hostname or "127.0.0.1", _ADMIN.port or 5432)


def _url(database: str, *, port: int | None = None, driver: str = "postgresql") -> str:
    """The admin URL's user at `database`, directly or through 127.0.0.1:<port>."""
    user = _ADMIN.netloc.rsplit("@", 1)[0] + "@" if "@" in _ADMIN.netloc else ""
    host = f"127.0.0.1:{port}" if port else _ADMIN.netloc.rsplit("@", 1)[-1]
    return f"{driver}://{user}{host}/{database}"


class TcpProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL; stop() is the database going away."""

    def __init__(self, upstream: tuple[str, int] = UPSTREAM):
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._acceptor: threading.Thread | None = None
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()

    def start(self, port: int = 0) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The same port again after stop(): closed connections may linger in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for attempt in range(50):
            try:
                listener.bind(("127.0.0.1", port))
                break
            except OSError:
                if not port or attempt == 49:
                    listener.close()
                    raise
                time.sleep(0.1)
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stopping = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, args=(listener, self._stopping), daemon=True)
        self._acceptor.start()

    def _accept(self, listener: socket.socket, stopping: threading.Event) -> None:
        while not stopping.is_set():
            try:
                client, _addr = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            server.settimeout(None)
            with self._lock:
                if stopping.is_set():
                    client.close()
                    server.close()
                    return
                self._sockets.update((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def stop(self) -> None:
        """Close the listener and every piped connection."""
        self._stopping.set()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)


def _count(direct_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(direct_url, connect_timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def database_behind_proxy():
    """A fresh PostgreSQL database at head with reference data, reached only through a TcpProxy."""
    name = f"voice_faults_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conftest.PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    proxy = TcpProxy()
    app = None
    try:
        conftest._upgrade(_url(name, driver="postgresql+psycopg"))
        proxy.start()
        app = create_app({**conftest.test_config(_url(name, port=proxy.port, driver="postgresql+psycopg"))})
        with Session(app.extensions["voice_engine"]) as session:
            seed_reference_data(session=session)
            session.commit()
        yield app, proxy, _url(name)
    finally:
        proxy.stop()
        if app is not None:
            app.extensions["voice_engine"].dispose()
        with psycopg.connect(conftest.PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgresql_stopping_mid_submission_gives_503_with_the_story_kept_then_recovers(database_behind_proxy):
    app, proxy, direct = database_behind_proxy
    client = app.test_client()
    page = client.get("/experiences/new?lang=en")
    assert page.status_code == 200
    token = conftest.CSRF_RE.search(page.get_data(as_text=True)).group(1)
    story = "We waited for months <svg onload=alert(1)> before anyone called back. Blåbær, شكرا."
    form = {"csrf_token": token, "services": "nav", "usefulness": "2", "story": story, "story_lang": "en",
            "form_token": "proxy-" + "p" * 24}
    port = proxy.port

    proxy.stop()  # PostgreSQL "stops": the pooled connection breaks, new ones are refused

    reading = client.get("/stories/?lang=en")
    assert reading.status_code == 503
    assert "Traceback" not in reading.get_data(as_text=True)

    response = client.post("/experiences/new?lang=en", data=form)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Nothing you sent has been saved" in page
    assert "We waited for months &lt;svg onload=alert(1)&gt; before anyone called back. Blåbær, شكرا." in page
    assert "<svg onload" not in page
    assert '<button class="button button-primary" type="submit">Try sending again</button>' in page
    assert _count(direct, "SELECT count(*) FROM experience") == [(0,)]

    proxy.start(port)  # PostgreSQL is back, at the same address

    response = client.post("/experiences/new?lang=en", data=form, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    code = re.search(r'id="receipt-code"[^>]*>(.*?)</p>', page, re.S)
    assert code and len(re.findall(r"<span>[0-9A-Z]{4}</span>", code.group(1))) == 4
    stored = _count(direct, "SELECT form_token, story, (SELECT count(*) FROM experience_service s "
                            "WHERE s.experience_id = e.id) FROM experience e")
    assert stored == [(form["form_token"], story, 1)]

    # Sent once more (a double tap on the retry button): still stored once.
    again = client.post("/experiences/new?lang=en", data=form, follow_redirects=True)
    shown_again = re.search(r'id="receipt-code"[^>]*>(.*?)</p>', again.get_data(as_text=True), re.S)
    assert again.status_code == 200 and shown_again and shown_again.group(1) == code.group(1)  # the same code
    assert _count(direct, "SELECT count(*) FROM experience") == [(1,)]

    # A restart between two requests (the pool holds a connection that is now dead):
    # the very next page works, because the engine pings before it uses a connection.
    proxy.stop()
    proxy.start(port)
    assert client.get("/stories/?lang=en").status_code == 200
