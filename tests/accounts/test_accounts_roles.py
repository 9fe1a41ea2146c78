"""Roles: administrators grant and revoke them on the people page, each change audited;
the command line creates administrators; demo data gives a person per role."""

from __future__ import annotations

import pyotp
from sqlalchemy import func, select

from fundapp.accounts.models import User, UserRole
from fundapp.audit.models import AuditEvent
from fundapp.extensions import db


def _roles(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id).role_names


def _grant(admin_client, second_client, person, role):
    """One administrator asks, a second approves."""
    from fundapp.accounts.models import RoleGrant

    r = admin_client.post(f"/admin/users/{person.id}/roles", data={"role": role, "action": "grant"})
    assert r.status_code == 302
    grant = db.session.scalars(select(RoleGrant).order_by(RoleGrant.id.desc())).first()
    return second_client.post(f"/admin/role-grants/{grant.id}", data={"decision": "approve"})


def test_admin_grants_and_revokes_roles_with_audit(client_for, make_user):
    """Can an administrator ask for a role, a second one give it, and one remove it, with each
    step in the audit trail?"""
    c, admin = client_for("administrator")
    c2, admin2 = client_for("administrator")
    person = make_user(email="person@example.org")
    page = c.get("/admin/users?q=PERSON@").get_data(as_text=True)
    assert "person@example.org" in page and admin.email not in page
    assert _grant(c, c2, person, "treasurer").status_code == 302
    assert "treasurer" in _roles(person.id)
    r = c.post(f"/admin/users/{person.id}/roles", data={"role": "treasurer", "action": "revoke"})
    assert r.status_code == 302
    assert "treasurer" not in _roles(person.id)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == str(person.id)).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.changes["role"], e.actor_id) for e in events] == [
        ("user.role_requested", "treasurer", admin.id),
        ("user.role_granted", "treasurer", admin2.id),
        ("user.role_revoked", "treasurer", admin.id),
    ]


def test_admin_cannot_remove_own_administrator_role(client_for):
    """Is an administrator stopped from removing their own administrator role?"""
    c, admin = client_for("administrator")
    r = c.post(f"/admin/users/{admin.id}/roles", data={"role": "administrator", "action": "revoke"})
    assert r.status_code == 403 and "your own administrator role" in r.get_data(as_text=True)
    assert "administrator" in _roles(admin.id)


def test_bad_role_changes_get_clear_answers(client_for, make_user):
    """Do unknown roles, double grants, missing roles and unknown people get 4xx, never 500?"""
    c, _ = client_for("administrator")
    person = make_user("reviewer")
    assert (
        c.post(f"/admin/users/{person.id}/roles", data={"role": "king", "action": "grant"}).status_code == 400
    )
    assert (
        c.post(f"/admin/users/{person.id}/roles", data={"role": "member", "action": "grant"}).status_code
        == 400
    )
    r = c.post(f"/admin/users/{person.id}/roles", data={"role": "reviewer", "action": "grant"})
    assert r.status_code == 409
    r = c.post(f"/admin/users/{person.id}/roles", data={"role": "auditor", "action": "revoke"})
    assert r.status_code == 409
    assert (
        c.post(f"/admin/users/{person.id}/roles", data={"role": "auditor", "action": "x"}).status_code == 400
    )
    assert c.post("/admin/users/999999/roles", data={"role": "auditor", "action": "grant"}).status_code == 404


def test_only_administrators_change_roles(client_for, make_user):
    """Do members and other staff get 403 on the people page and its actions?"""
    person = make_user()
    for role in ("member", "reviewer", "treasurer", "auditor"):
        c, _ = client_for(role)
        assert c.get("/admin/users").status_code == 403
        r = c.post(f"/admin/users/{person.id}/roles", data={"role": "auditor", "action": "grant"})
        assert r.status_code == 403
    assert "auditor" not in _roles(person.id)


def test_people_page_is_in_the_menu_for_administrators_only(client_for):
    """Does the menu link to the people page for administrators and not for members?"""
    admin_client, _ = client_for("administrator")
    member_client, _ = client_for("member")
    assert "/admin/users" in admin_client.get("/").get_data(as_text=True)
    assert "/admin/users" not in member_client.get("/").get_data(as_text=True)


def test_new_role_holder_must_pass_totp(app, client_for, make_user):
    """When a member becomes staff mid-session, does that session end, and are they sent to set
    up TOTP when they sign in again?"""
    from tests.conftest import PASSWORD

    admin_client, _ = client_for("administrator")
    second_client, _ = client_for("administrator")
    member_client, member = client_for("member")
    _grant(admin_client, second_client, member, "reviewer")
    r = member_client.get("/me")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = member_client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert r.status_code == 302 and "/account/two-factor" in r.headers["Location"]


def test_cli_create_admin(runner):
    """Does `users create-admin` make a confirmed administrator with TOTP and print the otpauth URI?"""
    result = runner.invoke(
        args=["users", "create-admin", "--email", "Boss@Example.org"],
        input="a strong admin passphrase\na strong admin passphrase\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert user.has_role("administrator") and user.email_confirmed_at and user.totp_enabled_at
    assert "otpauth://totp/" in result.output and user.totp_secret in result.output
    again = runner.invoke(
        args=["users", "create-admin", "--email", "boss@example.org"],
        input="a strong admin passphrase\na strong admin passphrase\n",
    )
    assert again.exit_code != 0 and "already registered" in again.output
    weak = runner.invoke(args=["users", "create-admin", "--email", "w@example.org"], input="short\nshort\n")
    assert weak.exit_code != 0


def test_cli_grant_and_list(runner, make_user):
    """Can roles be granted from the command line, and people listed?"""
    person = make_user(email="cli@example.org")
    result = runner.invoke(args=["users", "grant", "--email", "cli@example.org", "--role", "auditor"])
    assert result.exit_code == 0, result.output
    assert "auditor" in _roles(person.id)
    assert "cli@example.org" in runner.invoke(args=["users", "list"]).output


def test_demo_load_is_idempotent_and_has_a_user_per_role(app, runner):
    """Does `demo load` give each role a user with the documented password and a fixed TOTP,
    and does a second run change nothing?"""
    from fundapp.accounts import demo
    from fundapp.accounts.services import verify_password

    ctx = {"passwords": {}}
    demo.load(ctx)
    db.session.commit()
    first = db.session.scalar(select(func.count(User.id)))
    roles_first = db.session.scalar(select(func.count(UserRole.id)))
    demo.load({"passwords": {}})
    db.session.commit()
    assert db.session.scalar(select(func.count(User.id))) == first
    assert db.session.scalar(select(func.count(UserRole.id))) == roles_first
    for key in ("member", "member2", "member3", "reviewer", "reviewer2", "administrator", "administrator2"):
        assert key in ctx["users"]
    for role in ("reviewer", "administrator", "treasurer", "auditor"):
        user = ctx["users"][role]
        assert user.has_role(role) and user.totp_secret == demo.demo_totp_secret(role)
        assert verify_password(user, f"demo-{role}-2026")
        assert ctx["passwords"][user.email] == f"demo-{role}-2026"
        pyotp.TOTP(user.totp_secret).now()  # a valid base32 secret
    assert not ctx["users"]["member"].is_staff


def test_demo_command_prints_accounts_in_demo_mode(runner):
    """Does `flask demo load` print the demo passwords and TOTP secrets (demo mode only)?"""
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "demo-administrator-2026" in result.output and "TOTP" in result.output


def test_admin_resets_a_lost_authenticator(app, client_for, make_user):
    """When a staff member loses their phone, can another administrator reset their TOTP, which
    ends their sessions and makes them enrol again — audited, and never for oneself?"""
    from tests.conftest import login_as

    c, admin = client_for("administrator")
    treasurer = make_user("treasurer")
    theirs = app.test_client()
    login_as(theirs, treasurer)
    assert "Reset two-step sign-in" in c.get("/admin/users").get_data(as_text=True)
    r = c.post(f"/admin/users/{treasurer.id}/two-factor/reset")
    assert r.status_code == 302
    db.session.expire_all()
    t = db.session.get(User, treasurer.id)
    assert t.totp_secret is None and t.totp_enabled_at is None
    assert theirs.get("/me").status_code == 302 and "/login" in theirs.get("/me").headers["Location"]
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "user.totp_reset")).one()
    assert c.post(f"/admin/users/{treasurer.id}/two-factor/reset").status_code == 409  # nothing left
    r = c.post(f"/admin/users/{admin.id}/two-factor/reset")
    assert r.status_code == 403 and "another administrator" in r.get_data(as_text=True)
    member_client, _ = client_for("member")
    assert member_client.post(f"/admin/users/{admin.id}/two-factor/reset").status_code == 403
