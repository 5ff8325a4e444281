"""A real SMTP server (aiosmtpd) on a free port, for tests that send mail."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Inbox:
    """Every message the server received, parsed by Python's e-mail package (policy.default)."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.raw: list[bytes] = []
        self.refuse = ""  # e.g. "550 mailbox unavailable": refuse every message with that answer

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        self.raw.append(envelope.content)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, rcpt in zip(self.messages, self.recipients) if address in rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp() -> tuple[Inbox, Controller, int]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return inbox, controller, port


def parts(message: EmailMessage) -> dict[str, str]:
    """The text of each non-multipart part, by content type."""
    return {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
