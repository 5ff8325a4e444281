"""A real OpenID Connect provider for tests: npm's certified ``oidc-provider`` run by
tests/oidc/provider.mjs on a free port (tests/oidc/README.md).

Use it from a test module (or conftest) with::

    from .oidc_provider import oidc_provider, oidc_provider_factory  # noqa: F401 (fixtures)

``oidc_provider`` is registered for the Flask test client (redirect to
http://localhost/staff/login/municipal/callback); ``oidc_provider_factory(redirect_uris,
post_logout_uris, backchannel_uri=None)`` starts one more for any other address, e.g. a live
server on a port chosen at run time. Every provider started is stopped at the end of the session.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
PACKAGE = ROOT / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "voice-test"
CLIENT_SECRET = "voice-test-secret"
USERS = {"alice@trondheim.kommune.no": "alice-pass", "bob@trondheim.kommune.no": "bob-pass"}
SUBJECTS = {"alice@trondheim.kommune.no": "alice-3f1c", "bob@trondheim.kommune.no": "bob-7a2e"}
CALLBACK_PATH = "/staff/login/municipal/callback"
POST_LOGOUT_PATH = "/staff/login"
STARTUP_SECONDS = 20
TAMPER_MODES = ("none", "signature", "audience", "expired", "nonce")


@dataclass
class OIDCProvider:
    """One running provider: its issuer, its one client, its accounts."""

    issuer: str
    process: subprocess.Popen
    log_path: Path
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    users: dict[str, str] = field(default_factory=lambda: dict(USERS))  # e-mail -> password
    subjects: dict[str, str] = field(default_factory=lambda: dict(SUBJECTS))  # e-mail -> sub

    def set_groups(self, email: str, groups: list[str]) -> None:
        """Replace a user's groups; the next sign-in's ID token carries the new ones."""
        request = urllib.request.Request(
            f"{self.issuer}/test/users/{urllib.parse.quote(email)}/groups", data=json.dumps(list(groups)).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200, response.read()

    def tamper(self, mode: str) -> None:
        """Spoil the ID token of the next successful token response, once (tests/oidc/README.md):
        "signature", "audience", "expired" or "nonce"; "none" cancels one not yet used."""
        request = urllib.request.Request(
            f"{self.issuer}/test/tamper", data=json.dumps({"mode": mode}).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        if not 200 <= status < 300:
            raise RuntimeError(f"POST /test/tamper {mode!r}: HTTP {status} {body.decode(errors='replace')}")

    def rotate_keys(self) -> None:
        """The provider signs with a new key from now on, and its JWKS lists both."""
        request = urllib.request.Request(f"{self.issuer}/test/rotate", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200, response.read()

    def jwks_fetches(self) -> int:
        """How many times the provider's JWKS was read."""
        with urllib.request.urlopen(f"{self.issuer}/test/stats", timeout=5) as response:
            return json.loads(response.read())["jwks_fetches"]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_path.unlink(missing_ok=True)


def start_provider(redirect_uris: list[str], post_logout_uris: list[str],
                   backchannel_uri: str | None = None) -> OIDCProvider:
    """Start tests/oidc/provider.mjs on a free port and wait (at most 20 s) for its READY line."""
    if not PACKAGE.is_file():
        pytest.fail("npm's oidc-provider is not installed in node_modules: run .ci/browser-deps", pytrace=False)
    node = shutil.which("node")
    if not node:
        pytest.fail("node is not installed: the OpenID Connect test provider runs on Node.js", pytrace=False)
    port = free_port()
    env = {**os.environ, "OIDC_PORT": str(port), "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
           "OIDC_REDIRECT_URIS": ",".join(redirect_uris), "OIDC_POST_LOGOUT_REDIRECT_URIS": ",".join(post_logout_uris), "OIDC_EXIT_WITH_STDIN": "1"}
    env.pop("OIDC_BACKCHANNEL_LOGOUT_URI", None)
    if backchannel_uri:
        env["OIDC_BACKCHANNEL_LOGOUT_URI"] = backchannel_uri
    fd, name = tempfile.mkstemp(prefix="oidc-provider-", suffix=".log")
    log_path = Path(name)
    with os.fdopen(fd, "wb") as log:  # a file, not a pipe: a chatty provider can never block
        # stdin a pipe: the provider ends when it closes, so even a killed pytest leaves no provider behind.
        process = subprocess.Popen([node, str(SCRIPT)], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                   stdout=log, stderr=subprocess.STDOUT)
    provider = OIDCProvider(issuer=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + STARTUP_SECONDS
    while f"READY {provider.issuer}" not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            output = provider.log()
            provider.stop()
            pytest.fail(f"the OpenID Connect test provider did not start:\n{output}", pytrace=False)
        time.sleep(0.05)
    return provider


@pytest.fixture(scope="session")
def oidc_provider_factory():
    """start(redirect_uris, post_logout_uris, backchannel_uri=None) -> a running provider."""
    started: list[OIDCProvider] = []

    def start(redirect_uris, post_logout_uris, backchannel_uri=None) -> OIDCProvider:
        provider = start_provider(list(redirect_uris), list(post_logout_uris), backchannel_uri)
        started.append(provider)
        return provider

    yield start
    for provider in started:
        provider.stop()


@pytest.fixture(scope="session")
def oidc_provider(oidc_provider_factory) -> OIDCProvider:
    """A provider whose client redirects to the Flask test client (http://localhost)."""
    return oidc_provider_factory([f"http://localhost{CALLBACK_PATH}"], [f"http://localhost{POST_LOGOUT_PATH}"])
