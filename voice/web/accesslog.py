"""gunicorn's access log without the single-use tokens of private links.

A link from an e-mail (an invitation, a password reset, a family's sign-up) carries
its token in the path once; the app exchanges it for a session and sends the
browser on (SECURITY.md 19, 21). This logger writes "[token]" where the token was,
so the one request that carried it leaves nothing usable in the log. Started with
`gunicorn --logger-class voice.web.accesslog.RedactingLogger` (make run and the
README's deployment command).
"""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

PRIVATE_LINK = re.compile(r"(/(?:staff/(?:invitation|reset)|sessions/signup)/)(?!cancel\b|rate\b)[^/?#\s\"]+")


def redact(text: str) -> str:
    return PRIVATE_LINK.sub(r"\1[token]", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
