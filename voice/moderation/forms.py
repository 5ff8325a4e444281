"""Moderation, answer, report and export forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import CheckboxListField, LineField, Required, VoiceForm, story_language_choices, strip_text

DECISION_CHOICES = [
    ("published", _l("Publish (only with the family's consent)")),
    ("internal", _l("Keep internal: counts in the figures, never public")),
    ("rejected", _l("Reject (spam or abuse)")),
]
CHANGE_CHOICES = [("none", _l("No change")), ("planned", _l("Change planned")), ("made", _l("Change made"))]
STATUS_FILTER = [("", _l("All")), ("new", _l("New")), ("published", _l("Published")), ("internal", _l("Internal")), ("rejected", _l("Rejected")), ("held", _l("Held by the small-unit guard"))]
FORMATS = [("csv", "CSV"), ("xlsx", "XLSX (Excel)"), ("json", "JSON")]


class DecisionForm(VoiceForm):
    services = CheckboxListField(_l("Services"), validators=[Required(message=_l("Choose at least one service."))])
    area = SelectField(_l("Area"), validators=[Optional()])
    domains = CheckboxListField(_l("Life domains"), validators=[Optional()])
    unit = SelectField(_l("School, kindergarten or office the story is about"), validators=[Optional()])
    unit_removed = BooleanField(_l("Publish without the name of the place (tagged with the service only)"))
    published_story = TextAreaField(_l("Version that may be published, with identifying details removed"), filters=[strip_text], validators=[Length(max=8000)])
    translation = TextAreaField(_l("Human translation to publish beside it (optional)"), filters=[strip_text], validators=[Optional(), Length(max=8000)])
    translation_lang = SelectField(_l("Language of the translation"), choices=story_language_choices, validators=[Optional()])
    serious_concern = BooleanField(_l("Serious concern for a child: follow up, never publish"))
    decision = RadioField(_l("Decision"), choices=DECISION_CHOICES, validators=[Required(message=_l("Choose a decision."))])
    reject_reason = LineField(_l("Reason for rejecting"), filters=[strip_text], validators=[Optional(), Length(max=500)])


CRITICALITY_CHOICES = [
    ("0", _l("0 – not serious")), ("1", _l("1 – slightly")), ("2", _l("2 – somewhat")),
    ("3", _l("3 – quite serious")), ("4", _l("4 – serious")), ("5", _l("5 – very serious")),
]


class CriticalityForm(VoiceForm):
    criticality = RadioField(_l("How serious is this?"), choices=CRITICALITY_CHOICES,
                             validators=[Required(message=_l("Choose how serious it is."))])


class AnswerForm(VoiceForm):
    service = SelectField(_l("Answer in the name of"), validators=[Required(message=_l("Choose a service."))])
    text = TextAreaField(_l("Answer"), filters=[strip_text], validators=[Required(message=_l("Write the answer.")), Length(max=8000)])
    lang = SelectField(_l("Language of the answer"), choices=story_language_choices)
    change_status = RadioField(_l("What changes?"), choices=CHANGE_CHOICES, default="none")


class OwnServiceAnswerForm(AnswerForm):
    """One who answers for a service answers in its name: there is no service to choose."""
    service = None


class ExportForm(VoiceForm):
    date_from = DateField(_l("From date (optional)"), validators=[Optional()])
    date_to = DateField(_l("To date (optional)"), validators=[Optional()])
    service = SelectField(_l("Service"), validators=[Optional()])
    area = SelectField(_l("Area"), validators=[Optional()])
    domain = SelectField(_l("Life domain"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=STATUS_FILTER, validators=[Optional()])
    format = RadioField(_l("File format"), choices=FORMATS, default="csv")
    purpose = LineField(_l("Why do you need this export?"), filters=[strip_text],
                          validators=[Required(message=_l("Write why you need the export. It is logged.")), Length(min=5, max=300, message=_l("Write at least a few words, at most 300 characters."))])


RULE_KIND_CHOICES = [("phrase", _l("A word or phrase (whole words, small or capital letters alike)")),
                     ("pattern", _l("A pattern (regular expression, for those who know them)"))]
RULE_SCOPE_CHOICES = [("everywhere", _l("Every story")), ("service", _l("Stories about one service")),
                      ("story", _l("This story only"))]


class RedactionRuleForm(VoiceForm):
    kind = RadioField(_l("What to look for"), choices=RULE_KIND_CHOICES, default="phrase")
    text = LineField(_l("Phrase or pattern"), filters=[strip_text],
                     validators=[Required(message=_l("Write the phrase or pattern to remove.")), Length(max=200)])
    replacement = LineField(_l("Replace it with"), default="[…]", filters=[strip_text], validators=[Length(max=100)])
    scope = RadioField(_l("Where"), choices=RULE_SCOPE_CHOICES, default="everywhere")
    service = SelectField(_l("Service"), validators=[Optional()])
    story = LineField(_l("Story"), validators=[Optional(), Length(max=64)])
