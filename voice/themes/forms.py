"""The staff's theme form (with a translation per language), and adding a story to a theme."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import CheckboxListField, LineField, Required, VoiceForm, language_choices, strip_text
from ..locales import LOCALES
from .models import STATUS_NAMES, THEME_STATUSES


class ThemeFormBase(VoiceForm):
    title = LineField(_l("Title"), filters=[strip_text], validators=[Required(message=_l("Write a title.")), Length(max=160)])
    description = TextAreaField(_l("Short description (optional)"), filters=[strip_text], validators=[Optional(), Length(max=1000)])
    lang = SelectField(_l("Language of the title and description"), choices=language_choices)
    status = RadioField(_l("Status"), choices=[(s, _l(STATUS_NAMES[s])) for s in THEME_STATUSES], default="open",
                        validators=[Required(message=_l("Choose a status."))])
    services = CheckboxListField(_l("Services"), validators=[Optional()])
    areas = CheckboxListField(_l("Areas"), validators=[Optional()])
    domains = CheckboxListField(_l("Life domains"), validators=[Optional()])

    def translations(self) -> dict[str, tuple[str, str]]:
        return {code: (self[f"title_{code}"].data or "", self[f"description_{code}"].data or "") for code in LOCALES}


def _theme_form():
    fields = {}
    for info in LOCALES.values():
        fields[f"title_{info.code}"] = LineField(info.native_name, filters=[strip_text], validators=[Optional(), Length(max=160)])
        fields[f"description_{info.code}"] = TextAreaField(info.native_name, filters=[strip_text],
                                                           validators=[Optional(), Length(max=1000)])
    return type("ThemeForm", (ThemeFormBase,), fields)


ThemeForm = _theme_form()


class ResultForm(VoiceForm):
    service = SelectField(_l("Answer in the name of"), validators=[Required(message=_l("Choose a service."))])
    text = TextAreaField(_l("What came of it"), filters=[strip_text],
                         validators=[Required(message=_l("Write what came of it.")), Length(max=4000)])
    lang = SelectField(_l("Language of the answer"), choices=language_choices)
    change_status = RadioField(_l("Change"), choices=[("planned", _l("Change planned")), ("made", _l("Change made"))],
                               validators=[Required(message=_l("Choose whether the change is planned or made."))])
    review_on = DateField(_l("When will you tell the families whether it worked?"),
                          validators=[Required(message=_l("Enter the date, for example 2027-03-14."))])
    session = SelectField(_l("The meeting it came from (optional)"), validators=[Optional()])


class AddToThemeForm(VoiceForm):
    theme = SelectField(_l("Add the story to a theme"), validators=[Required(message=_l("Choose a theme."))])


class RemoveFromThemeForm(VoiceForm):
    theme = HiddenField(validators=[Required()])


class ThemeFilterForm(VoiceForm):
    class Meta:
        csrf = False

    service = SelectField(_l("Service"), validators=[Optional()])
    area = SelectField(_l("Area"), validators=[Optional()])
    domain = SelectField(_l("Life domain"), validators=[Optional()])
