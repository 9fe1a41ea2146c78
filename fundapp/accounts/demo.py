"""Demo people: one user per role (and a few extra members and staff for four-eyes work).

Passwords are ``demo-<key>-2026``; staff have fixed TOTP secrets (printed in demo mode) so a
demonstration can sign in with any authenticator app. Idempotent: existing users are reused."""

from __future__ import annotations

import base64
import hashlib

from sqlalchemy import select

from fundapp.core.db import utcnow
from fundapp.extensions import db

from .models import Role, User, UserRole
from .services import hash_password, verify_password

DOMAIN = "demo.hamvatan.tj"
# key → (roles, full name, country of residence, city, home region)
PEOPLE = {
    "member": ((), "Farrukh Rahimov", "RU", "Moscow", "sughd"),
    "member2": ((), "Zarina Nazarova", "KZ", "Almaty", "khatlon"),
    "member3": ((), "Davlat Karimov", "TR", "Istanbul", "gbao"),
    "reviewer": ((Role.REVIEWER,), "Dilnoza Saidova", "TJ", "Dushanbe", "dushanbe"),
    "reviewer2": ((Role.REVIEWER,), "Rustam Aliev", "DE", "Berlin", "drs"),
    "administrator": ((Role.ADMINISTRATOR,), "Manizha Yusufova", "TJ", "Dushanbe", "dushanbe"),
    "administrator2": ((Role.ADMINISTRATOR,), "Sino Kholov", "TJ", "Khujand", "sughd"),
    "treasurer": ((Role.TREASURER,), "Bakhtiyor Sharipov", "TJ", "Dushanbe", "dushanbe"),
    "treasurer2": ((Role.TREASURER,), "Nigina Odinaeva", "TJ", "Bokhtar", "khatlon"),
    "auditor": ((Role.AUDITOR,), "Jamshed Mirzoev", "TJ", "Dushanbe", "dushanbe"),
}


def demo_email(key: str) -> str:
    return f"{key}@{DOMAIN}"


def demo_password(key: str) -> str:
    return f"demo-{key}-2026"


def demo_totp_secret(key: str) -> str:
    """A fixed base32 secret per demo staff member (demo data only, never for real people)."""
    return base64.b32encode(hashlib.sha256(f"hamvatan-demo-{key}".encode()).digest()[:20]).decode()


def load(ctx: dict) -> None:
    users = ctx.setdefault("users", {})
    passwords = ctx.setdefault("passwords", {})
    totp = ctx.setdefault("totp_secrets", {})
    for key, (roles, name, country, city, region) in PEOPLE.items():
        email = demo_email(key)
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                password_hash=hash_password(demo_password(key)),
                full_name=name,
                public_name=name.split()[0],
                show_name_publicly=key == "member",
                country_of_residence=country,
                city_of_residence=city,
                home_region=region,
                languages="тоҷикӣ, русский",
                email_confirmed_at=utcnow(),
                preferred_language="tg",
            )
            db.session.add(user)
        elif not verify_password(user, demo_password(key)):
            user.password_hash = hash_password(demo_password(key))
        for role in roles:
            if not user.has_role(role):
                user.roles.append(UserRole(role=str(role)))
        if roles:
            secret = demo_totp_secret(key)
            if user.totp_secret != secret:
                user.totp_secret = secret
                user.totp_enabled_at = utcnow()
            totp[email] = secret
        db.session.flush()
        users[key] = user
        passwords[email] = demo_password(key)
