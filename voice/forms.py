"""Form pieces shared by every capability: checkbox lists, honeypot, phone checks."""
from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .form_messages import FORM_MESSAGES
from .locales import LOCALES, OTHER_LANGUAGE


class VoiceForm(FlaskForm):
    """Every form's base: WTForms' built-in messages come from our catalogs (voice/form_messages.py)."""

    class Meta:
        def get_translations(self, form):
            return FORM_MESSAGES

USEFULNESS_CHOICES = [
    ("5", _l("Very useful")),
    ("4", _l("Quite useful")),
    ("3", _l("Somewhat useful")),
    ("2", _l("Not very useful")),
    ("1", _l("Not useful at all")),
    ("dont-know", _l("I don't know")),
]


class CheckboxListField(SelectMultipleField):
    """Several choices shown as checkboxes; values are checked against the choices."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        allowed = {str(choice.value) for choice in self.iter_choices()}
        if any(str(value) not in allowed for value in self.data or []):
            raise ValidationError(_l("Choose from the list."))


# Characters never part of a one-line answer: controls (line breaks, tabs, NUL, the C1 range)
# and the Unicode line and paragraph separators. In an e-mail header or a calendar line they
# break the file (a title with a newline once made every sign-up by e-mail fail).
_NOT_ON_ONE_LINE = frozenset(chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029])


class LineField(StringField):
    """A one-line text answer: refused, with a message next to the field, when it holds
    a line break or another control character."""

    def pre_validate(self, form):
        if self.data and any(ch in _NOT_ON_ONE_LINE for ch in self.data):
            raise ValidationError(_l("Write this on one line, without line breaks or hidden characters."))


class HoneypotField(StringField):
    """Hidden from people by CSS; a bot that fills it in is refused."""


def language_choices():
    """The site's nine languages, each named in itself and marked with its own language and
    direction (rendered on its <option> or checkbox), so a screen reader says it right."""
    return [(info.code, info.native_name, {"lang": info.tag, "dir": info.direction}) for info in LOCALES.values()]


def story_language_choices():
    """The languages someone may say they wrote in: the site's nine, or another."""
    return language_choices() + [(OTHER_LANGUAGE, _l("Another language"))]


def honeypot_filled(form) -> bool:
    return bool((form.website.data or "").strip())


def normalise_phone(value: str) -> str | None:
    """A Norwegian or international number in E.164 form, or None if not valid."""
    try:
        number = phonenumbers.parse(value, "NO")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


class Required(InputRequired):
    """WTForms' InputRequired looks at what was sent, before the filters: a text of spaces
    passes it, and ``strip_text`` then leaves an empty answer. This also refuses a text that is
    empty once stripped, with the same message (every field a person fills in words its own;
    WTForms' catalogs translate the default, used only on hidden fields)."""

    default_message = "This field is required."

    def __call__(self, form, field):
        super().__call__(form, field)
        if isinstance(field.data, str) and not field.data.strip():
            field.errors[:] = []
            raise StopValidation(self.message or field.gettext(self.default_message))


class ContactFieldsMixin:
    """Optional phone and e-mail fields: checked, then stored in one normal form
    (E.164 phone numbers, lower-case e-mail) so duplicates can be recognised."""

    def validate_phone(self, field):
        if field.data:
            normalised = normalise_phone(field.data)
            if normalised is None:
                raise ValidationError(_l("Enter a phone number like 912 34 567, or leave the field empty."))
            field.data = normalised

    def validate_email(self, field):
        if field.data:
            try:
                field.data = validate_email(field.data, check_deliverability=False).normalized.lower()
            except EmailNotValidError as exc:
                raise ValidationError(_l("Enter an e-mail address like name@example.no, or leave the field empty.")) from exc


class PurposeForm(VoiceForm):
    """Why someone takes personal data out of Voice: asked before every download, and logged."""

    purpose = LineField(_l("Why do you need this?"), filters=[strip_text], validators=[
        Required(message=_l("Write why you need it. It is logged.")),
        Length(min=5, max=300, message=_l("Write at least a few words, at most 300 characters."))])
