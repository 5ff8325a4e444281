"""Staff who sign in with the municipality's OpenID Connect provider: which Voice role their
groups give, and the account that stands for them (made at the first sign-in, kept in step at
every later one). The protocol itself (discovery, PKCE, state, nonce, the ID token's signature,
issuer, audience and expiry, the JWKS) is Authlib's, in voice/accounts/oidc_views.py; this
module only reads the checked claims. Plain functions; no Flask.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, select

from ..reference.models import Service
from .models import ROLES, OidcRoleMapping, User, UserSession
from .service import end_selected_sessions

# The strongest role wins when a person is in several groups.
ROLE_ORDER = ("admin", "moderator", "responder", "partner")
MFA_METHODS = frozenset({"mfa", "otp", "hwk", "swk", "sms", "fido", "face", "fpt"})


class SignInRefused(Exception):
    """The provider vouched for the person, but Voice does not let them in (the code says why)."""

    def __init__(self, code: str, user: User | None = None):
        super().__init__(code)
        self.code, self.user = code, user


@dataclass(frozen=True)
class Settings:
    issuer: str
    role_map: dict[str, str]  # group or role claim value -> Voice role ("responder:<service slug>")
    groups_claim: str = "groups"
    require_mfa: bool = False


def split_role(value: str) -> tuple[str, str | None]:
    """A role map's value: ``"moderator"``, or ``"responder:nav"`` for one who answers for the
    service with that short name."""
    role, _, slug = value.partition(":")
    return role, slug or None


def _valid_role(value) -> bool:
    if not isinstance(value, str):
        return False
    role, slug = split_role(value)
    return role in ROLES and (slug is not None) == (role == "responder")


def parse_role_map(text: str) -> dict[str, str]:
    """OIDC_ROLE_MAP: a JSON object of the provider's group names to Voice roles."""
    mapping = json.loads(text or "{}")
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and _valid_role(v) for k, v in mapping.items()):
        raise ValueError("OIDC_ROLE_MAP must be a JSON object of group names to " + ", ".join(ROLES)
                         + " (responder:<service short name> for one who answers for a service)")
    return mapping


def mappings(*, session: Session) -> list[OidcRoleMapping]:
    return list(session.exec(select(OidcRoleMapping).order_by(OidcRoleMapping.group)))


def with_admins_map(settings: Settings, *, session: Session) -> Settings:
    """The settings with the admin's mappings added to (and winning over) OIDC_ROLE_MAP."""
    rows = session.exec(select(OidcRoleMapping, Service.slug).join(Service, Service.id == OidcRoleMapping.service_id,
                                                                   isouter=True)).all()
    admins = {m.group: f"{m.role}:{slug}" if m.role == "responder" else m.role for m, slug in rows}
    return replace(settings, role_map={**settings.role_map, **admins})


class MappingError(ValueError):
    """A mapping that cannot be saved (the message is a code for the form)."""


def save_mapping(*, session: Session, group: str, role: str, service_id: int | None = None) -> OidcRoleMapping:
    group = group.strip()
    if not group:
        raise MappingError("group_required")
    if role not in ROLES:
        raise MappingError("unknown_role")
    if role == "responder" and service_id is None:
        raise MappingError("service_required")
    mapping = session.exec(select(OidcRoleMapping).where(OidcRoleMapping.group == group)).first()
    mapping = mapping or OidcRoleMapping(group=group, role=role)
    mapping.role = role
    mapping.service_id = service_id if role == "responder" else None
    session.add(mapping)
    session.flush()
    return mapping


def remove_mapping(*, session: Session, mapping_id: int) -> OidcRoleMapping | None:
    mapping = session.get(OidcRoleMapping, mapping_id)
    if mapping is not None:
        session.delete(mapping)
    return mapping


def role_for(claims: dict, settings: Settings) -> str | None:
    """The strongest role the person's groups give (for a responder in several services'
    groups, the first service by short name)."""
    values = claims.get(settings.groups_claim) or []
    if isinstance(values, str):
        values = [values]
    given = sorted({settings.role_map[value] for value in values if value in settings.role_map})
    return next((value for role in ROLE_ORDER for value in given if split_role(value)[0] == role), None)


def used_mfa(claims: dict) -> bool:
    return bool(MFA_METHODS & set(claims.get("amr") or []))


def sign_in(*, session: Session, claims: dict, settings: Settings, now: datetime) -> tuple[User, bool]:
    """The account of the person the checked ID token names, and whether it was made now.
    Refused (SignInRefused) when their groups give no role (the account they had is closed), when
    the admin requires the provider's second factor and it was not used, or when a Voice account
    with a password already has their e-mail address. The provider is the source of truth for
    these accounts: a person in a mapped group again is let in again."""
    subject = str(claims["sub"])
    user = session.exec(select(User).where(User.oidc_issuer == settings.issuer, User.oidc_subject == subject)).first()
    role, service_slug = split_role(role_for(claims, settings) or "")
    service_id = None
    if service_slug is not None:
        service = session.exec(select(Service).where(Service.slug == service_slug, Service.is_active == True)).first()  # noqa: E712
        service_id = service.id if service is not None else None
    if role not in ROLES or (role == "responder" and service_id is None):
        raise SignInRefused("no_role", user)  # the caller closes the account (close_for_lost_role)
    if settings.require_mfa and not used_mfa(claims):
        raise SignInRefused("mfa_required", user)
    email = str(claims.get("email") or f"{subject}@{settings.issuer.split('//')[-1].split('/')[0]}").strip().lower()
    created = user is None
    if created:
        taken = session.exec(select(User).where(User.email == email)).first()
        if taken is not None:
            raise SignInRefused("email_taken", taken)
        user = User(email=email, display_name=str(claims.get("name") or email)[:120], role=role,
                    oidc_issuer=settings.issuer, oidc_subject=subject)
    user.role, user.service_id, user.is_active = role, service_id, True
    user.email = email
    user.display_name = str(claims.get("name") or user.display_name)[:120]
    user.last_amr = ",".join(str(method) for method in claims.get("amr") or [])[:120]
    user.last_acr = str(claims.get("acr") or "")[:120]
    user.last_login_at = now
    session.add(user)
    session.flush()
    return user, created


def close_for_lost_role(*, session: Session, user_id: int) -> bool:
    """The person's group is gone at the provider: so is their role here (the account is closed
    until a sign-in with a mapped group opens it again). Returns whether it was open."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return False
    user.is_active = False
    session.add(user)
    return True


def remember_id_token(*, session: Session, token_hash: str, id_token: str, sid: str | None = None) -> None:
    """Keep the ID token with the session it opened (the hint for the provider's logout), and the
    provider's session id (what its back-channel logout names)."""
    record = session.exec(select(UserSession).where(UserSession.token_hash == token_hash)).first()
    if record is not None:
        record.id_token, record.oidc_sid = id_token, sid
        session.add(record)


BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logged_out_by_provider(*, session: Session, issuer: str, claims: dict, now: datetime) -> int:
    """The provider says a person's session there ended (a checked logout token): end the Voice
    sessions it opened, by the provider's session id, else every one of that person. Returns how
    many ended."""
    if BACKCHANNEL_EVENT not in (claims.get("events") or {}) or "nonce" in claims:
        raise ValueError("not a logout token")
    query = select(UserSession).join(User, User.id == UserSession.user_id).where(
        UserSession.ended_at == None, User.oidc_issuer == issuer)  # noqa: E711
    if claims.get("sid"):
        query = query.where(UserSession.oidc_sid == str(claims["sid"]))
    elif claims.get("sub"):
        query = query.where(User.oidc_subject == str(claims["sub"]))
    else:
        raise ValueError("a logout token names a sid or a sub")
    return end_selected_sessions(session=session, query=query, now=now)
