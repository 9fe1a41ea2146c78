"""Fixtures shared by the whole suite.

The suite runs on SQLite (default) and, with ``FUNDAPP_TEST_ENGINE=postgresql`` and
``TEST_DATABASE_URL``, on PostgreSQL. The schema is always built by the migrations, so the
database triggers under test are the real ones. Each test gets a clean database: on SQLite a
copy of a migrated template file, on PostgreSQL the tables are truncated afterwards.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from fundapp import create_app
from fundapp.extensions import db

CI = os.environ.get("CI") == "true"
ENGINE = os.environ.get("FUNDAPP_TEST_ENGINE", "sqlite")
PG_URL = os.environ.get("TEST_DATABASE_URL")
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


def need(condition: bool, reason: str) -> None:
    """Skip locally, but fail under CI: a missing service must never pass silently there."""
    if condition:
        return
    if CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


# Browser tests drive pages, not the database engine: when a PostgreSQL pass follows (``make test``
# with TEST_DATABASE_URL), the SQLite pass leaves them to it (FUNDAPP_TEST_BROWSER=0).
BROWSER_PASS = os.environ.get("FUNDAPP_TEST_BROWSER", "1") != "0"


def pytest_collection_modifyitems(config, items):
    # a test that drives Chromium is a browser test, marked or not
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
    # PostgreSQL-only tests (real concurrency) run in the PostgreSQL pass, not twice.
    keep, drop = [], []
    for item in items:
        postgres_only = ENGINE != "postgresql" and item.get_closest_marker("postgres")
        browser_elsewhere = not BROWSER_PASS and item.get_closest_marker("browser")
        (drop if postgres_only or browser_elsewhere else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _base_config(url: str) -> dict:
    return {**_test_overrides(), "TESTING": True, "SQLALCHEMY_DATABASE_URI": url}


def _test_overrides() -> dict:
    from fundapp.config import TestConfig

    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(_base_config(url), instance_path=str(instance))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def reset_postgres(url: str) -> None:
    engine = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (``<name>_gw0`` …)."""
    from sqlalchemy.engine import make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """The migrated database every test starts from."""
    instance = tmp_path_factory.mktemp("instance")
    if ENGINE == "postgresql":
        need(bool(PG_URL), "TEST_DATABASE_URL is not set for the PostgreSQL run")
        url = worker_database(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        reset_postgres(url)
        _migrate(url, instance)
        return {"engine": "postgresql", "url": url, "instance": instance}
    template = instance / "template.sqlite"
    _migrate(f"sqlite:///{template}", instance)
    return {"engine": "sqlite", "template": template, "instance": instance}


def _truncate_all(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables "
                    "WHERE schemaname='public' AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
    engine.dispose()


@pytest.fixture
def app_factory(database, tmp_path):
    """Build an app on a clean copy of the database; extra config may be passed."""
    made = []
    if database["engine"] == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(database["template"], path)
        url = f"sqlite:///{path}"
    else:
        url = database["url"]
    instance = tmp_path / "instance"
    instance.mkdir()

    def make(**overrides):
        app = create_app({**_base_config(url), **overrides}, instance_path=str(instance))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if database["engine"] == "postgresql":
        _truncate_all(url)


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_seq = itertools.count(1)


@pytest.fixture
def make_user(app):
    """Factory: a confirmed user with the given roles (staff get a TOTP secret)."""
    import pyotp

    from fundapp.accounts.models import User, UserRole
    from fundapp.accounts.services import hash_password

    def make(*roles, email=None, password=PASSWORD, confirmed=True, **fields):
        n = next(_seq)
        user = User(
            email=email or f"user{n}@example.org",
            password_hash=hash_password(password),
            full_name=fields.pop("full_name", f"Test Person {n}"),
            email_confirmed_at=datetime.now(UTC) if confirmed else None,
            **fields,
        )
        for role in roles:
            if role != "member":
                user.roles.append(UserRole(role=role))
        if user.is_staff:
            user.totp_secret = pyotp.random_base32()
            user.totp_enabled_at = datetime.now(UTC)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture(autouse=True)
def english_clients(monkeypatch):
    """Test clients whose browser asks for English (the site's default is Tajik), so tests can
    read the English source messages once the catalogs are compiled; a chosen language (``?lang=``,
    session, profile, cookie) still wins, and ``headers={"Accept-Language": ""}`` gets the default."""
    from flask.testing import FlaskClient

    original = FlaskClient.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")

    monkeypatch.setattr(FlaskClient, "__init__", init)


def login_as(client, user, *, mfa: bool = True) -> None:
    """Sign ``user`` in on ``client`` directly (the login form has its own tests)."""
    from fundapp.core.security import MFA_SESSION_KEY

    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["last_seen"] = int(datetime.now(UTC).timestamp())
        if mfa and user.is_staff:
            sess[MFA_SESSION_KEY] = int(datetime.now(UTC).timestamp())


@pytest.fixture
def client_for(app, make_user):
    """``client_for("administrator")`` → (test client signed in as a new user with that role, user)."""

    def make(*roles, **fields):
        user = make_user(*roles, **fields)
        c = app.test_client()
        login_as(c, user)
        return c, user

    return make


# -- a live server and a real browser ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app):
    from werkzeug.serving import make_server

    port = free_port()
    # links in mail point at this server, as they point at the public address in production
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    need(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    yield p
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    p = context.new_page()
    yield p
    context.close()
