"""WTForms' built-in messages ("Not a valid integer value.", "This field is required."...),
replaced on every field by our own plain ones from our catalogs.

WTForms ships catalogs of its own, but not for nn, so or ti, and its Arabic one is wrong in
places; its English is also not how we talk to families. Every form derives from
``voice.forms.VoiceForm``, whose translations object is ``FORM_MESSAGES``: it looks WTForms'
English message up here and answers with ours in the page language. Written by hand because
no library maps one catalog onto another; the list is WTForms' own (wtforms/locale/wtforms.pot),
and tests/test_form_messages.py fails when a new WTForms adds a message not mapped here.

The values are called with the catalog (a babel Translations: no formatting, WTForms fills in
%(min)s and the like itself) so that pybabel extracts them as usual.
"""
from __future__ import annotations

from flask_babel import get_translations

_CHOOSE = "Choose from the list."

SINGLE = {
    "Field must be equal to %(other_name)s.": lambda t: t.gettext("Write the same as in %(other_name)s."),
    "Number must be at least %(min)s.": lambda t: t.gettext("Enter a number that is %(min)s or more."),
    "Number must be at most %(max)s.": lambda t: t.gettext("Enter a number that is %(max)s or less."),
    "Number must be between %(min)s and %(max)s.": lambda t: t.gettext("Enter a number from %(min)s to %(max)s."),
    "Date must be at least %(min)s.": lambda t: t.gettext("Choose a date on or after %(min)s."),
    "Date must be at most %(max)s.": lambda t: t.gettext("Choose a date on or before %(max)s."),
    "Date must be between %(min)s and %(max)s.": lambda t: t.gettext("Choose a date from %(min)s to %(max)s."),
    "Field must be between %(min)d and %(max)d characters long.":
        lambda t: t.gettext("Write from %(min)d to %(max)d characters."),
    "This field is required.": lambda t: t.gettext("Fill in this field."),
    "Invalid input.": lambda t: t.gettext("Check what you wrote here."),
    "Invalid email address.": lambda t: t.gettext("Enter an e-mail address like name@example.no."),
    "Invalid IP address.": lambda t: t.gettext("Check what you wrote here."),
    "Invalid Mac address.": lambda t: t.gettext("Check what you wrote here."),
    "Invalid URL.": lambda t: t.gettext("Enter a web address like https://example.no."),
    "Invalid UUID.": lambda t: t.gettext("Check what you wrote here."),
    "Invalid value, must be one of: %(values)s.": lambda t: t.gettext(_CHOOSE),
    "Invalid value, can't be any of: %(values)s.": lambda t: t.gettext("This answer cannot be used. Write another one."),
    "This field cannot be edited.": lambda t: t.gettext("This field cannot be changed."),
    "This field is disabled and cannot have a value.": lambda t: t.gettext("This field cannot be changed."),
    "Invalid CSRF Token.": lambda t: t.gettext("The form had expired. Send it again."),
    "CSRF token missing.": lambda t: t.gettext("The form had expired. Send it again."),
    "CSRF failed.": lambda t: t.gettext("The form had expired. Send it again."),
    "CSRF token expired.": lambda t: t.gettext("The form had expired. Send it again."),
    "Invalid Choice: could not coerce.": lambda t: t.gettext(_CHOOSE),
    "Choices cannot be None.": lambda t: t.gettext(_CHOOSE),
    "Not a valid choice.": lambda t: t.gettext(_CHOOSE),
    "Invalid choice(s): one or more data inputs could not be coerced.": lambda t: t.gettext(_CHOOSE),
    "Not a valid datetime value.": lambda t: t.gettext("Enter a date and time like 2027-03-14 17:30."),
    "Not a valid date value.": lambda t: t.gettext("Enter a date like 2027-03-14."),
    "Not a valid time value.": lambda t: t.gettext("Enter a time like 17:30."),
    "Not a valid week value.": lambda t: t.gettext("Enter a week like 2027-W11."),
    "Not a valid integer value.": lambda t: t.gettext("Enter a whole number, like 2."),
    "Not a valid decimal value.": lambda t: t.gettext("Enter a number, like 2 or 2.5."),
    "Not a valid float value.": lambda t: t.gettext("Enter a number, like 2 or 2.5."),
}

PLURAL = {
    "Field must be at least %(min)d character long.":
        lambda t, n: t.ngettext("Write at least %(min)d character.", "Write at least %(min)d characters.", n),
    "Field cannot be longer than %(max)d character.":
        lambda t, n: t.ngettext("Write at most %(max)d character.", "Write at most %(max)d characters.", n),
    "Field must be exactly %(max)d character long.":
        lambda t, n: t.ngettext("Write exactly %(max)d character.", "Write exactly %(max)d characters.", n),
    "'%(value)s' is not a valid choice for this field.": lambda t, n: t.gettext(_CHOOSE),
}


class FormMessages:
    """The translations object WTForms asks (its Meta.get_translations)."""

    def gettext(self, string: str) -> str:
        ours = SINGLE.get(string)
        return ours(get_translations()) if ours else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        ours = PLURAL.get(singular)
        if ours:
            return ours(get_translations(), n)
        return self.gettext(singular if n == 1 else plural)


FORM_MESSAGES = FormMessages()
