"""Accounts, second factor, sessions, invitations, roles and the audit log (SECURITY.md 1-8, 10, 12, 20)."""
from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from voice import create_app
from voice.accounts.models import AuditEntry, Invitation, User, UserSession
from voice.accounts.passwords import problem
from voice.clock import utcnow

from .conftest import test_config
from .factories import PASSWORD, make_user


def actions(db) -> list[str]:
    db.expire_all()
    return [e.action for e in db.exec(select(AuditEntry).order_by(AuditEntry.id))]


def test_passwords_are_hashed_with_argon2id_at_production_cost(database_url):
    app = create_app({**test_config(database_url), "ARGON2_TIME_COST": 2, "ARGON2_MEMORY_COST": 19456})
    stored = app.extensions["voice_hasher"].hash(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_production_defaults_are_at_least_the_required_cost(monkeypatch, tmp_path):
    from voice.config import from_environment

    for name in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST"):
        monkeypatch.delenv(name, raising=False)
    config = from_environment(tmp_path)
    assert config["ARGON2_MEMORY_COST"] >= 19456 and config["ARGON2_TIME_COST"] >= 2


@pytest.mark.parametrize("password, issue", [
    ("short", "short"), ("1234567", "short"), ("password", "common"), ("passord123", "common"),
    ("qwertyuiop", "common"), ("x" * 129, "long"), ("x" * 64, None), ("lilla elg spiser multer", None),
    ("ÆØÅ æøå ☃ 🙂 ok", None),
])
def test_password_rules_length_and_common_list_only(password, issue):
    assert problem(password) == issue


def test_there_is_no_default_account_and_the_first_admin_comes_from_a_command(app, db):
    assert db.exec(select(User)).all() == []
    result = app.test_cli_runner().invoke(args=["voice", "create-admin", "--email", "Ada@Trondheim.Kommune.no", "--name", "Ada", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    admin = db.exec(select(User)).one()
    assert admin.email == "ada@trondheim.kommune.no" and admin.role == "admin" and not admin.totp_enabled
    weak = app.test_cli_runner().invoke(args=["voice", "create-admin", "--email", "b@x.no", "--name", "B", "--password", "password"])
    assert weak.exit_code != 0 and "too common" in weak.output


def test_staff_need_the_second_factor(app, client, post, db):
    user, secret = make_user(app, db, role="moderator")
    response = post("/staff/login", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/staff/login/code")
    assert client.get("/moderation/").status_code == 302  # not logged in yet
    wrong = post("/staff/login/code?lang=en", {"code": "000000"})
    assert wrong.status_code == 400 and "The code is wrong" in wrong.get_data(as_text=True)
    right = post("/staff/login/code", {"code": pyotp.TOTP(secret).now()})
    assert right.headers["Location"].endswith("/moderation/")
    assert client.get("/moderation/").status_code == 200
    assert actions(db) == ["login_failed", "login"]


def test_a_code_typed_with_arabic_digits_is_read_and_odd_digits_do_not_break_the_page(app, client, post, db):
    user, secret = make_user(app, db, role="moderator")
    post("/staff/login", {"email": user.email, "password": PASSWORD})
    odd = post("/staff/login/code?lang=en", {"code": "²³⁴ ١٢"})  # superscripts are "digits" to isdigit()
    assert odd.status_code == 400 and "The code is wrong" in odd.get_data(as_text=True)
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in pyotp.TOTP(secret).now())
    right = post("/staff/login/code", {"code": arabic[:3] + " " + arabic[3:]})
    assert right.status_code == 302 and right.headers["Location"].endswith("/moderation/")


def test_an_admin_without_authenticator_enrols_at_first_login(app, client, post, db):
    user, _ = make_user(app, db, role="admin", totp=False)
    response = post("/staff/login", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/staff/enrol")
    page = client.get("/staff/enrol?lang=en").get_data(as_text=True)
    assert "Set up your second step" in page
    qr = client.get("/staff/enrol/qr.svg")
    assert qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    secret = page.split('translate="no" dir="ltr">')[1].split("<")[0]
    done = post("/staff/enrol", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    db.expire_all()
    assert db.get(User, user.id).totp_enabled
    assert client.get("/admin/accounts").status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(app, client, post, db):
    user, _ = make_user(app, db)
    wrong = post("/staff/login?lang=en", {"email": user.email, "password": "not the password"})
    unknown = post("/staff/login?lang=en", {"email": "nobody@example.no", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 400
    strip = lambda r: r.get_data(as_text=True).replace(user.email, "").replace("nobody@example.no", "")  # noqa: E731
    assert strip(wrong).split("<main")[1].split('name="csrf_token"')[0] == strip(unknown).split("<main")[1].split('name="csrf_token"')[0]
    assert "The e-mail address or the password is wrong." in wrong.get_data(as_text=True)
    assert actions(db) == ["login_failed", "login_failed"]


def test_login_throttling_is_per_account_not_global(app, client, post, db):
    target, _ = make_user(app, db)
    other, other_secret = make_user(app, db)
    for _ in range(10):
        assert post("/staff/login", {"email": target.email, "password": "wrong guess"}).status_code == 400
    assert post("/staff/login", {"email": target.email, "password": PASSWORD}).status_code == 429
    # Another account from the same address can still log in.
    response = post("/staff/login", {"email": other.email, "password": PASSWORD})
    assert response.status_code == 302


def test_login_throttling_per_address(app, client, post, db):
    for n in range(30):
        post("/staff/login", {"email": f"guess{n}@example.no", "password": "wrong guess"})
    assert post("/staff/login", {"email": "another@example.no", "password": "x" * 8}).status_code == 429
    elsewhere = client.post("/staff/login", data={"email": "x@example.no", "password": "y"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert elsewhere.status_code != 429


def test_login_issues_a_new_session_and_logout_kills_the_old_cookie(app, client, csrf, login, db):
    user, secret = make_user(app, db)
    csrf("/staff/login")
    before = client.get_cookie("voice_session").value
    login(user, secret)
    after = client.get_cookie("voice_session").value
    assert before != after
    assert client.get("/moderation/").status_code == 200

    stolen = after
    response = client.post("/staff/logout", data={"csrf_token": csrf("/moderation/")})
    assert response.status_code == 302
    client.set_cookie("voice_session", stolen)
    assert client.get("/moderation/").status_code == 302
    assert db.exec(select(UserSession)).one().ended_at is not None


def test_logout_must_be_a_post_with_csrf(app, client, staff):
    staff("moderator")
    assert client.get("/staff/logout").status_code == 405
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/moderation/").status_code == 200


def test_a_password_change_ends_the_users_other_sessions(app, db, login, client, post):
    import time

    user, secret = make_user(app, db)
    login(user, secret)
    other_device = app.test_client()
    from .conftest import CSRF_RE

    token = CSRF_RE.search(other_device.get("/staff/login").get_data(as_text=True)).group(1)
    other_device.post("/staff/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    token = CSRF_RE.search(other_device.get("/staff/login/code").get_data(as_text=True)).group(1)
    next_code = pyotp.TOTP(secret).at(time.time() + 30)  # the first device used the current code
    other_device.post("/staff/login/code", data={"csrf_token": token, "code": next_code})
    assert other_device.get("/moderation/").status_code == 200

    new = "a brand new long passphrase"
    response = post("/staff/password?lang=en", {"current": PASSWORD, "password": new, "confirm": new})
    assert "Your password is changed" in response.get_data(as_text=True)
    assert client.get("/moderation/").status_code == 200
    assert other_device.get("/moderation/").status_code == 302
    assert "password_changed" in actions(db)


def test_a_weak_new_password_is_refused_next_to_the_field(app, staff, post):
    staff("moderator")
    page = post("/staff/password?lang=en", {"current": PASSWORD, "password": "password1", "confirm": "password1"}).get_data(as_text=True)
    assert "This password is too common" in page and 'id="password-error"' in page


def test_a_disabled_account_stops_working_at_once(app, client, staff, db):
    user = staff("moderator")
    db.expire_all()
    from voice.accounts.service import set_active

    set_active(session=db, user=db.get(User, user.id), active=False, now=utcnow())
    db.commit()
    assert client.get("/moderation/").status_code == 302


@pytest.mark.parametrize("field, age", [("last_seen_at", timedelta(minutes=31)), ("created_at", timedelta(hours=12, minutes=1))])
def test_idle_and_absolute_timeouts(app, client, staff, db, field, age):
    staff("moderator")
    record = db.exec(select(UserSession)).one()
    setattr(record, field, getattr(record, field) - age)
    if field == "created_at":
        record.last_seen_at = record.last_seen_at  # still active recently
    db.add(record)
    db.commit()
    assert client.get("/moderation/").status_code == 302


@pytest.mark.parametrize("target, expected", [
    ("/moderation/export", "/moderation/export"), ("https://evil.example/", "/moderation/"),
    ("//evil.example/", "/moderation/"), ("/\\evil.example", "/moderation/"),
])
def test_next_redirects_only_to_this_site(app, db, login, target, expected):
    user, secret = make_user(app, db)
    response = login(user, secret, next_url=target)
    assert response.headers["Location"] == expected


def test_invitation_links_are_single_use_expire_and_stay_in_their_flow(app, client, post, staff, db):
    staff("admin")
    response = post("/admin/accounts/invite?lang=en", {"email": "new@partner.no", "display_name": "Nora", "role": "partner", "organisation": "Kirkens Bymisjon", "organisation_kind": "nonprofit"}, token_from="/admin/accounts")
    page = response.get_data(as_text=True)
    link = page.split('class="code-block" translate="no" dir="ltr">')[1].split("<")[0]
    path = link.replace("http://localhost", "")
    token = path.rsplit("/", 1)[1]
    # Not usable as a password reset.
    assert client.get(f"/staff/reset/{token}", follow_redirects=True).status_code == 404
    fresh = app.test_client()
    from .conftest import CSRF_RE

    taken = fresh.get(path)  # the token is exchanged for the browser's session and leaves the address
    assert taken.status_code == 302 and taken.headers["Location"] == "/staff/invitation"
    form = fresh.get("/staff/invitation")
    assert form.status_code == 200
    csrf = CSRF_RE.search(form.get_data(as_text=True)).group(1)
    done = fresh.post("/staff/invitation", data={"csrf_token": csrf, "display_name": "Nora", "password": "kaffe og boller hver dag", "confirm": "kaffe og boller hver dag"})
    assert done.status_code == 302
    partner = db.exec(select(User).where(User.email == "new@partner.no")).one()
    assert partner.role == "partner" and partner.organisation_kind == "nonprofit"
    assert fresh.get(path, follow_redirects=True).status_code == 404  # single use

    # An expired link does not work.
    from voice.accounts.service import create_invitation
    from voice.clock import utcnow

    old = create_invitation(session=db, created_by=None, purpose="invite", email="late@x.no", role="partner", now=utcnow())
    invitation = db.exec(select(Invitation).where(Invitation.email == "late@x.no")).one()
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.add(invitation)
    db.commit()
    assert fresh.get(f"/staff/invitation/{old}", follow_redirects=True).status_code == 404


def test_the_audit_log_is_append_only(app, db, staff):
    staff("moderator")
    db.commit()
    with pytest.raises(DBAPIError):
        db.execute(text("UPDATE audit_entry SET action = 'nothing'"))
        db.commit()
    db.rollback()
    with pytest.raises(DBAPIError):
        db.execute(text("DELETE FROM audit_entry"))
        db.commit()
    db.rollback()
    assert actions(db) == ["login"]


def test_admins_read_and_filter_the_audit_log(app, client, staff, db):
    staff("admin")
    page = client.get("/admin/audit?action=login&lang=en").get_data(as_text=True)
    assert "<td>Logged in</td>" in page
    assert client.get("/admin/audit?action=login&lang=nb").get_data(as_text=True).count("<td>Logget inn</td>") >= 1


def test_an_admin_names_a_service_per_language(app, client, post, staff, db):
    from voice.reference.models import Service

    staff("admin")
    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    response = post(f"/admin/reference/service/{nav.id}", {"slug": "nav", "name": nav.name, "position": "0", "is_active": "y",
                                                         "name_nb": "NAV-kontoret", "name_ar": "مكتب ناف"})
    assert response.status_code == 302
    assert "NAV-kontoret" in client.get("/experiences/new?lang=nb").get_data(as_text=True)
    assert "مكتب ناف" in client.get("/experiences/new?lang=ar").get_data(as_text=True)
    assert "reference_saved" in actions(db)


PROTECTED = [
    ("get", "/moderation/", {"moderator", "admin"}),
    ("get", "/moderation/export", {"moderator", "admin"}),
    ("get", "/admin/accounts", {"admin"}),
    ("get", "/admin/audit", {"admin"}),
    ("get", "/admin/reference", {"admin"}),
    ("get", "/admin/reference/service/new", {"admin"}),
    ("get", "/staff/", {"moderator", "admin", "partner"}),
    ("get", "/staff/password", {"moderator", "admin", "partner"}),
    ("post", "/admin/accounts/invite", {"admin"}),
    ("post", "/admin/accounts/1/disable", {"admin"}),
]


@pytest.mark.parametrize("role", ["anonymous", "partner", "moderator", "admin"])
@pytest.mark.parametrize("method, url, allowed", PROTECTED)
def test_every_protected_url_answers_each_role_as_it_should(app, client, staff, csrf, db, role, method, url, allowed):
    if role != "anonymous":
        staff(role)
    data = {"csrf_token": csrf("/experiences/mine")} if method == "post" else None
    response = getattr(client, method)(url, data=data)
    if role == "anonymous":
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    elif role in allowed:
        assert response.status_code in (200, 302, 400, 404)
    else:
        assert response.status_code == 403
        assert "access_denied" in actions(db)


def test_an_authenticator_code_cannot_be_used_twice(app, client, post, db):
    user, secret = make_user(app, db, role="moderator")
    code = pyotp.TOTP(secret).now()
    post("/staff/login", {"email": user.email, "password": PASSWORD})
    assert post("/staff/login/code", {"code": code}).status_code == 302
    other = app.test_client()
    from .conftest import CSRF_RE

    token = CSRF_RE.search(other.get("/staff/login").get_data(as_text=True)).group(1)
    other.post("/staff/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    token = CSRF_RE.search(other.get("/staff/login/code").get_data(as_text=True)).group(1)
    replay = other.post("/staff/login/code", data={"csrf_token": token, "code": code})
    assert replay.status_code == 400
    assert other.get("/moderation/").status_code == 302


def test_a_refusal_is_answered_at_once_and_audited_while_the_request_holds_the_write_lock(app, client, staff, db):
    """The request touches its session row (a write: the database's write lock on SQLite);
    the refusal's audit entry is written on the same connection after the rollback,
    never on a second one that would wait for that lock (a 503 after the lock timeout,
    and the refusal lost)."""
    user = staff("partner")
    record = db.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    record.last_seen_at = utcnow() - timedelta(minutes=5)  # so this request writes it again
    db.add(record)
    db.commit()
    response = client.get("/moderation/?lang=en")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)
    db.expire_all()
    denied = db.exec(select(AuditEntry).where(AuditEntry.action == "access_denied")).one()
    assert (denied.actor_id, denied.target_id, denied.remote_addr) == (user.id, "/moderation/", "127.0.0.1")


def test_a_refused_look_at_a_restricted_story_is_audited(app, client, staff, db):
    from .factories import make_experience

    experience, _ = make_experience(app, db)
    experience.serious_concern = True
    db.add(experience)
    db.commit()
    staff("moderator")  # not trusted with serious concerns
    response = client.get(f"/moderation/experiences/{experience.public_id}")
    assert response.status_code == 404
    db.expire_all()
    denied = db.exec(select(AuditEntry).where(AuditEntry.action == "access_denied")).one()
    assert (denied.target_type, denied.target_id) == ("experience", experience.public_id)
