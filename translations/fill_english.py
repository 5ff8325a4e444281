"""The source strings are English: copy each new msgid into the en catalog.

Run by `make i18n`; an existing English msgstr (a wording fix) is kept.
"""
from pathlib import Path

from babel.messages.pofile import read_po, write_po

path = Path(__file__).parent / "en" / "LC_MESSAGES" / "messages.po"
with path.open("rb") as fh:
    catalog = read_po(fh, locale="en")
for message in catalog:
    if not message.id:
        continue
    empty = not message.string if isinstance(message.string, str) else not all(message.string)
    if empty or message.fuzzy:
        message.string = message.id if isinstance(message.id, str) else tuple(message.id)
        message.flags.discard("fuzzy")
catalog.header_comment = (
    "# Voice translations (English).\n# The source strings are English; this catalog repeats them.\n"
    "# REVIEW: awaiting review by a professional translator, like every catalog.\n"
)
with path.open("wb") as fh:
    write_po(fh, catalog, width=0, no_location=True, sort_output=True)
