"""Login, second factor, password and invitation forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, PasswordField, SelectField
from wtforms.validators import Email, Length, NumberRange, Optional, Regexp, ValidationError

from ..forms import LineField, Required, VoiceForm, strip_text
from .models import PARTNER_KIND_NAMES, PARTNER_KINDS, ROLES
from .passwords import MAX_LENGTH
from .service import password_problem

ROLE_LABELS = {"moderator": _l("Moderator (staff)"), "partner": _l("Partner"), "admin": _l("Administrator"),
               "responder": _l("Answers for a service")}
SERVICE_REQUIRED = _l("Choose the service this person answers for.")


def service_for_responder(form, field) -> None:
    """The service is needed for the role that answers for one (and only then)."""
    if form.role.data == "responder" and not field.data:
        raise ValidationError(str(SERVICE_REQUIRED))
KIND_LABELS = {kind: _l(name) for kind, name in PARTNER_KIND_NAMES.items()}
UNIT_KIND_CHOICES = [("school", _l("School")), ("kindergarten", _l("Kindergarten")), ("office", _l("Office")),
                     ("other", _l("Other place"))]
PASSWORD_MESSAGES = {
    "short": _l("Use at least 8 characters. A few ordinary words together make a good password."),
    "long": _l("Use at most 128 characters."),
    "common": _l("This password is too common and easy to guess. Choose another."),
}


class LoginForm(VoiceForm):
    email = EmailField(_l("E-mail address"), filters=[strip_text], validators=[Required(message=_l("Enter your e-mail address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[Required(message=_l("Enter your password.")), Length(max=MAX_LENGTH)])
    next = HiddenField()


class DigestForm(VoiceForm):
    wants_digest = BooleanField(_l("E-mail me once a day when stories are waiting to be read"))


class CodeForm(VoiceForm):
    code = LineField(_l("Code from your authenticator app"), filters=[strip_text], validators=[Required(message=_l("Enter the 6-digit code.")), Length(max=12)])


class NewPasswordMixin:
    def validate_password(self, field):
        email = getattr(self, "_email", "")
        issue = password_problem(field.data or "", email)
        if issue:
            raise ValidationError(PASSWORD_MESSAGES[issue])

    def validate_confirm(self, field):
        if field.data != self.password.data:
            raise ValidationError(_l("The two passwords are not the same."))


class SetPasswordForm(NewPasswordMixin, VoiceForm):
    display_name = LineField(_l("Your name"), filters=[strip_text], validators=[Required(message=_l("Enter your name.")), Length(max=120)])
    password = PasswordField(_l("New password"), validators=[Required(message=_l("Choose a password."))])
    confirm = PasswordField(_l("New password again"), validators=[Required(message=_l("Write the password again."))])


class ResetPasswordForm(NewPasswordMixin, VoiceForm):
    password = PasswordField(_l("New password"), validators=[Required(message=_l("Choose a password."))])
    confirm = PasswordField(_l("New password again"), validators=[Required(message=_l("Write the password again."))])


class ChangePasswordForm(NewPasswordMixin, VoiceForm):
    current = PasswordField(_l("Current password"), validators=[Required(message=_l("Enter your current password."))])
    password = PasswordField(_l("New password"), validators=[Required(message=_l("Choose a password."))])
    confirm = PasswordField(_l("New password again"), validators=[Required(message=_l("Write the password again."))])


class InviteForm(VoiceForm):
    email = EmailField(_l("E-mail address"), filters=[strip_text], validators=[Required(message=_l("Enter an e-mail address.")), Email(message=_l("Enter an e-mail address like name@example.no.")), Length(max=254)])
    display_name = LineField(_l("Name"), filters=[strip_text], validators=[Required(message=_l("Enter a name.")), Length(max=120)])
    role = SelectField(_l("Role"), choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    service = SelectField(_l("Service they answer for (only for “Answers for a service”)"), default="",
                          validators=[service_for_responder])
    organisation = LineField(_l("Organisation (optional)"), filters=[strip_text], validators=[Optional(), Length(max=160)])
    organisation_kind = SelectField(_l("Kind of partner (optional)"), choices=[("", "")] + [(k, KIND_LABELS[k]) for k in PARTNER_KINDS], validators=[Optional()])
    handles_concerns = BooleanField(_l("May see stories marked as a serious concern for a child"))


class RoleMappingForm(VoiceForm):
    group = LineField(_l("Group at the municipal login service"), filters=[strip_text],
                      validators=[Required(message=_l("Write the name of the group, as the login service sends it.")),
                                  Length(max=255)])
    role = SelectField(_l("Role in Voice"), choices=[(r, ROLE_LABELS[r]) for r in ROLES],
                       validators=[Required(message=_l("Choose a role."))])
    service = SelectField(_l("Service they answer for (only for “Answers for a service”)"), default="",
                          validators=[service_for_responder])


class ReferenceFormBase(VoiceForm):
    slug = LineField(_l("Short name in addresses and exports"), filters=[strip_text], validators=[Required(message=_l("Enter a short name.")), Length(max=60), Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Use small letters a-z, digits and dashes only."))])
    name = LineField(_l("Name (source text, translated through the catalogs)"), filters=[strip_text], validators=[Required(message=_l("Enter a name.")), Length(max=160)])
    position = IntegerField(_l("Order in lists"), default=0, validators=[Optional(), NumberRange(min=0, max=10000)])
    is_active = BooleanField(_l("In use"), default=True)
    # Services only (the form shows it for a service):
    answer_days = IntegerField(_l("Answer published stories within (working days)"), default=10,
                               validators=[Optional(), NumberRange(min=1, max=60, message=_l("Give a number from 1 to 60."))])
    # Units only (schools, kindergartens, offices):
    unit_kind = SelectField(_l("Kind of place"), choices=UNIT_KIND_CHOICES, default="school", validators=[Optional()])
    unit_service = SelectField(_l("Service that runs it"), validators=[Optional()])
    unit_area = SelectField(_l("Area"), validators=[Optional()])
    is_small = BooleanField(_l("Small: few families use it"), default=True)


def _reference_form():
    from ..locales import LOCALES

    fields = {
        f"name_{info.code}": LineField(info.native_name, filters=[strip_text], validators=[Optional(), Length(max=160)])
        for info in LOCALES.values()
    }
    return type("ReferenceForm", (ReferenceFormBase,), fields)


ReferenceForm = _reference_form()
