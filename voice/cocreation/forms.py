"""Forms for organising sessions and for signing up."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from ..forms import (
    USEFULNESS_CHOICES,
    CheckboxListField,
    ContactFieldsMixin,
    HoneypotField,
    LineField,
    Required,
    VoiceForm,
    language_choices,
    strip_text,
)
from ..locales import OTHER_LANGUAGE
from ..web.context import clock
from .models import KINDS

KIND_LABELS = {
    "workshop": _l("Co-creation workshop"),
    "family-activity": _l("Activity for children and families"),
    "meeting-place": _l("Meeting place"),
    "job-training": _l("Job training"),
    "information": _l("Information meeting"),
}
TIME_RE = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def normalise_time(value: str | None) -> str | None:
    match = TIME_RE.match((value or "").strip())
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


class SessionForm(VoiceForm):
    title = LineField(_l("Title"), filters=[strip_text], validators=[Required(message=_l("Write a title.")), Length(max=160)])
    description = TextAreaField(_l("Description"), filters=[strip_text], validators=[Required(message=_l("Write what will happen.")), Length(max=8000)])
    text_lang = SelectField(_l("Language of the title and description"), choices=language_choices)
    kind = SelectField(_l("Kind of session"), choices=[(k, KIND_LABELS[k]) for k in KINDS])
    area = SelectField(_l("Area"), validators=[Optional()])
    venue = LineField(_l("Venue and address"), filters=[strip_text], validators=[Required(message=_l("Write where it is.")), Length(max=300)])
    day = DateField(_l("Date"), validators=[Required(message=_l("Enter the date, for example 2027-03-14."))])
    start_time = LineField(_l("Starts at (hh:mm)"), filters=[strip_text], validators=[Required(message=_l("Enter the start time, for example 17:30."))])
    end_time = LineField(_l("Ends at (hh:mm)"), filters=[strip_text], validators=[Required(message=_l("Enter the end time, for example 19:00."))])
    repeat_weeks = IntegerField(_l("How many weeks in a row? (1 for a single session)"), default=1, validators=[Required(message=_l("Enter a number from 1 to 26.")), NumberRange(min=1, max=26, message=_l("Enter a number from 1 to 26."))])
    capacity = IntegerField(_l("Places (adults and children)"), validators=[Required(message=_l("Enter how many can come.")), NumberRange(min=1, max=1000, message=_l("Enter a number from 1 to 1000."))])
    max_per_signup = IntegerField(_l("Most persons in one sign-up (adults and children)"), default=6, filters=[lambda value: 6 if value is None else value], validators=[Optional(), NumberRange(min=1, max=50, message=_l("Enter how many one sign-up may bring, from 1 to 50."))])
    languages = CheckboxListField(_l("Languages spoken"), choices=language_choices, validators=[Required(message=_l("Choose at least one language."))])
    interpreter = BooleanField(_l("Interpreter offered"))
    childcare = BooleanField(_l("Childcare offered"))
    step_free = BooleanField(_l("Step-free access"))
    cost = LineField(_l("Cost (leave empty if it is free)"), filters=[strip_text], validators=[Optional(), Length(max=120)])
    services = CheckboxListField(_l("Municipal services taking part (optional)"), validators=[Optional()])
    themes = CheckboxListField(_l("What families told us that this session is about (optional)"), validators=[Optional()])

    def validate_start_time(self, field):
        if normalise_time(field.data) is None:
            raise ValidationError(_l("Enter the start time, for example 17:30."))
        field.data = normalise_time(field.data)

    def validate_end_time(self, field):
        end = normalise_time(field.data)
        if end is None:
            raise ValidationError(_l("Enter the end time, for example 19:00."))
        field.data = end
        start = normalise_time(self.start_time.data)
        if start and end <= start:
            raise ValidationError(_l("The session must end after it starts."))

    def validate_day(self, field):
        if field.data and field.data < clock().today():
            raise ValidationError(_l("The date has passed. Choose a date from today on."))


class SignupForm(ContactFieldsMixin, VoiceForm):
    name = LineField(_l("Your name or a nickname"), filters=[strip_text], validators=[Required(message=_l("Write a name or a nickname.")), Length(max=80)])
    adults = IntegerField(_l("Adults"), default=1, validators=[Required(message=_l("Enter how many adults are coming.")), NumberRange(min=0, max=20, message=_l("Enter a number from 0 to 20."))])
    children = IntegerField(_l("Children (optional)"), default=0, filters=[lambda value: value or 0], validators=[Optional(), NumberRange(min=0, max=20, message=_l("Enter a number from 0 to 20."))])
    interpreter_lang = SelectField(_l("Do you need an interpreter? (optional)"), validators=[Optional()])
    needs_childcare = BooleanField(_l("We need childcare during the session"))
    accessibility = LineField(_l("Anything else we should arrange? (optional)"), filters=[strip_text], validators=[Optional(), Length(max=300)])
    phone = LineField(_l("Phone number for a reminder (optional)"), filters=[strip_text], validators=[Optional(), Length(max=32)])
    email = LineField(_l("E-mail for a reminder (optional)"), filters=[strip_text], validators=[Optional(), Length(max=254)])
    role = RadioField(_l("How will you take part?"), choices=[("participant", _l("As a participant")), ("helper", _l("As a helper"))], default="participant")
    form_token = HiddenField(validators=[Optional(), Length(max=64)])
    website = HoneypotField(_l("Leave this field empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.interpreter_lang.choices = [("", _l("No, I do not need an interpreter"))] + language_choices() + [(OTHER_LANGUAGE, _l("Another language"))]

    def validate_adults(self, field):
        if (field.data or 0) + (self.children.data or 0) < 1 and self.role.data == "participant":
            raise ValidationError(_l("At least one person must come."))


class RateForm(VoiceForm):
    usefulness = RadioField(_l("Was this session useful?"), choices=USEFULNESS_CHOICES, validators=[Required(message=_l("Choose how useful the session was, or “I don't know”."))])


class CancelSessionForm(VoiceForm):
    reason = LineField(_l("Why is it cancelled?"), filters=[strip_text], validators=[Required(message=_l("Write why the session is cancelled.")), Length(max=500)])


class OutcomeForm(VoiceForm):
    outcome = TextAreaField(_l("What we found together"), filters=[strip_text], validators=[Required(message=_l("Write what came out of the session.")), Length(max=8000)])


class FilterForm(VoiceForm):
    class Meta:
        csrf = False

    area = SelectField(_l("Area"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    language = SelectField(_l("Language"), validators=[Optional()])
    from_day = DateField(_l("From date"), validators=[Optional()])

    def validate_from_day(self, field):
        if field.data and not 2000 <= field.data.year <= 2100:
            raise ValidationError(_l("Enter a date between the years 2000 and 2100."))


SESSION_STATUS_LABELS = {"pending": _l("Waiting for approval"), "published": _l("Published"), "cancelled": _l("Cancelled")}
SIGNUP_STATUS_LABELS = {"confirmed": _l("Has a place"), "waiting": _l("On the waiting list"), "cancelled": _l("Cancelled")}
