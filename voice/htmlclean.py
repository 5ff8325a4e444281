"""The few fields that allow formatting (session descriptions and outcomes) pass
an allowlist with bleach; everything else is plain text, escaped by Jinja."""
from __future__ import annotations

import bleach

ALLOWED_TAGS = ["p", "br", "strong", "em", "ul", "ol", "li", "a"]
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}


def clean_html(value: str) -> str:
    return bleach.clean(
        value or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=["https", "mailto"], strip=True
    )


def plain_text(html: str) -> str:
    """The words of cleaned HTML, without any tag (for calendar files and e-mail text)."""
    return bleach.clean(html or "", tags=[], strip=True)
