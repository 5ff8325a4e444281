"""Words shown for stored values, in the page's language."""
from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "new": _l("Waiting to be read by the municipality"),
    "published": _l("Read, and published without your name"),
    "internal": _l("Read by the municipality, not published"),
    "rejected": _l("Read, and not published"),
    "held": _l("Read. It will be published later, together with other stories about the same place, so that no one can tell who wrote it."),
}
USEFULNESS_LABELS = {
    5: _l("Very useful"),
    4: _l("Quite useful"),
    3: _l("Somewhat useful"),
    2: _l("Not very useful"),
    1: _l("Not useful at all"),
    None: _l("I don't know"),
}
LISTENED_LABELS = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No"), None: _l("Not answered")}
VERDICT_LABELS = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No"), "too_early": _l("It is too early to say")}
CHANGE_LABELS = {"none": None, "planned": _l("Change planned"), "made": _l("Change made")}
PII_LABELS = {
    "national_id": _l("national identity number (fødselsnummer or D-number)"),
    "phone": _l("phone number"),
    "email": _l("e-mail address"),
    "address": _l("street address"),
    "institution": _l("name of a school or kindergarten"),
}
REPORT_LABELS = {
    "identifies": _l("It could show who someone is"),
    "offensive": _l("It is offensive or hurtful"),
    "untrue": _l("It is not true"),
    "other": _l("Something else"),
}
