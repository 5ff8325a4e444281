"""Sending a family its receipt code, when it asks. One small interface, so that an SMS
sender is one more class once the municipality has chosen a gateway (README: "Receipt
codes by SMS")."""
from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from ..links import LinkBuilder
from ..mail.service import queue_mail
from . import receipt


class CodeSender(Protocol):
    def send(self, *, session: Session, to: str, code: str, locale: str, links: LinkBuilder) -> None:
        """Queue the code for ``to`` (sent by the job worker once the caller commits)."""


class EmailCodeSender:
    """By e-mail. The message says that anyone with the code can read the story. Its text
    (with the code) waits in the outbox only until it is sent, then is blanked; the address
    goes with the sent mail after a week (sooner than other contact details)."""

    def send(self, *, session: Session, to: str, code: str, locale: str, links: LinkBuilder) -> None:
        queue_mail(session=session, to=to, template="receipt_code", locale=locale,
                   context={"code": receipt.display(code), "link": links("experiences.mine")})
