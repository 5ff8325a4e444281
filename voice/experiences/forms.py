"""The experience form and the receipt-code forms."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from ..forms import (
    USEFULNESS_CHOICES,
    CheckboxListField,
    ContactFieldsMixin,
    HoneypotField,
    LineField,
    Required,
    VoiceForm,
    story_language_choices,
    strip_text,
)
from .labels import REPORT_LABELS, VERDICT_LABELS
from .models import REPORT_REASONS

LISTENED_CHOICES = [("yes", _l("Yes")), ("partly", _l("Partly")), ("no", _l("No"))]
EXPLAINED_CHOICES = [(str(n), str(n)) for n in range(6)] + [("6", _l("6 or more"))]
RECEIPT_MAX = 40


class ExperienceForm(ContactFieldsMixin, VoiceForm):
    services = CheckboxListField(
        _l("Which service or services did you meet?"),
        validators=[Required(message=_l("Choose at least one service."))],
    )
    area = SelectField(_l("Where do you live? (optional)"), validators=[Optional()])
    unit = SelectField(_l("Which school, kindergarten or office? (optional)"), validators=[Optional()])
    domains = CheckboxListField(_l("What was it about? (optional)"), validators=[Optional()])
    usefulness = RadioField(
        _l("Was the help useful?"),
        choices=USEFULNESS_CHOICES,
        validators=[Required(message=_l("Choose how useful the help was, or “I don't know”."))],
    )
    listened = RadioField(_l("Did you feel listened to? (optional)"), choices=LISTENED_CHOICES, validators=[Optional()])
    services_explained = RadioField(
        _l("How many different services have you had to explain your situation to in the last year? (optional)"),
        choices=EXPLAINED_CHOICES,
        validators=[Optional()],
    )
    story = TextAreaField(_l("Your story (optional)"), filters=[strip_text])
    story_lang = SelectField(_l("Which language did you write in?"), choices=story_language_choices)
    consent_publish = BooleanField(_l("Yes, the municipality may publish my story without my name, after removing details that could identify me."))
    phone = LineField(_l("Phone number (optional)"), filters=[strip_text], validators=[Optional(), Length(max=32)])
    email = LineField(_l("E-mail address (optional)"), filters=[strip_text], validators=[Optional(), Length(max=254)])
    invite_me = BooleanField(_l("Also tell me by e-mail when there is a meeting about what I told"))
    pii_checked = HiddenField()
    form_token = HiddenField(validators=[Optional(), Length(max=64)])
    website = HoneypotField(_l("Leave this field empty"))

    def validate_invite_me(self, field):
        if field.data and not (self.email.data or "").strip():
            raise ValidationError(_l("Write your e-mail address above, or untick this."))

    def __init__(self, *args, story_max: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.story_max = story_max
        self.story.validators = [
            Length(max=story_max, message=_l("Your story can be at most %(max)d characters. Please shorten it.", max=story_max))
        ]


class ReceiptForm(VoiceForm):
    code = LineField(
        _l("Your receipt code"),
        filters=[strip_text],
        validators=[Required(message=_l("Enter your receipt code.")), Length(max=RECEIPT_MAX, message=_l("A receipt code has 16 letters and numbers."))],
    )


class CodeByEmailForm(VoiceForm):
    """The family asks for its receipt code by e-mail (on the receipt page)."""

    email = LineField(_l("Your e-mail address"), filters=[strip_text], validators=[
        Required(message=_l("Write the e-mail address to send the code to.")), Length(max=254)])

    def validate_email(self, field):
        try:
            field.data = validate_email(field.data, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            raise ValidationError(_l("Enter an e-mail address like name@example.no.")) from exc


class FollowUpForm(ReceiptForm):
    text = TextAreaField(
        _l("What do you want to add?"),
        filters=[strip_text],
        validators=[Required(message=_l("Write what you want to add."))],
    )
    lang = SelectField(_l("Which language did you write in?"), choices=story_language_choices)

    def __init__(self, *args, story_max: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.text.validators = [
            Required(message=_l("Write what you want to add.")),
            Length(max=story_max, message=_l("Your story can be at most %(max)d characters. Please shorten it.", max=story_max)),
        ]


class DeleteForm(ReceiptForm):
    confirm = HiddenField()


class ReportForm(VoiceForm):
    reason = RadioField(_l("What is wrong with this story?"), choices=[(r, REPORT_LABELS[r]) for r in REPORT_REASONS],
                        validators=[Required(message=_l("Choose what is wrong."))])
    comment = TextAreaField(_l("Tell us more (optional)"), filters=[strip_text], validators=[Optional(), Length(max=500)])
    website = HoneypotField(_l("Leave this field empty"))


VERDICT_CHOICES = list(VERDICT_LABELS.items())


class HelpedForm(ReceiptForm):
    """Did the change help? Sent with the code, like everything a family does with its story."""

    answer = HiddenField(validators=[Required()])
    verdict = RadioField(_l("Did the change help your family?"), choices=VERDICT_CHOICES,
                         validators=[Required(message=_l("Choose an answer."))])
    text = TextAreaField(_l("Tell us more (optional)"), filters=[strip_text],
                         validators=[Optional(), Length(max=1000)])
    lang = SelectField(_l("Which language did you write in?"), choices=story_language_choices)
