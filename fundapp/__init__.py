"""Hamvatan Fund: the portal of a Public Fund through which compatriots abroad propose, fund and
follow development projects at home, with a public, verifiable ledger."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os

from .config import Config, instance_secret
from .core.urls import FundApp
from .core.urls import configure as configure_public_address

# Domain packages, in dependency order. Each may provide ``init_app(app)`` (blueprints, CLI),
# ``models`` (imported so the metadata is complete) and ``demo`` (``flask demo load``).
DOMAINS = (
    "core",
    "audit",
    "mail",
    "accounts",
    "files",
    "ledger",
    "council",
    "proposals",
    "reviews",
    "payments",
    "funding",
    "disbursements",
    "reconciliation",
    "community",
    "events",
    "competitions",
    "transparency",
    "plan",
    "api",
)


def _present(modname: str) -> bool:
    try:
        return importlib.util.find_spec(modname) is not None
    except ModuleNotFoundError:  # the parent package is not there
        return False


def import_models() -> None:
    for name in DOMAINS:
        if _present(f"fundapp.{name}.models"):
            importlib.import_module(f"fundapp.{name}.models")


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> FundApp:
    app = FundApp(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.update(test_config)
    configure_public_address(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(app.instance_path, "secret_key", 48)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "fundapp.db")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    if app.config.get("PRODUCTION") and app.config.get("RATELIMIT_STORAGE_URI") == "memory://":
        logging.getLogger("fundapp").warning("REDIS_URL is not set: rate limits are per process")

    from fundapp.core.i18n import select_locale, translation_directories

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())

    from .extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)

    import_models()
    for name in DOMAINS:
        if not _present(f"fundapp.{name}"):
            continue
        module = importlib.import_module(f"fundapp.{name}")
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)

    from fundapp.core import pagecache

    pagecache.init_app(app)  # outermost: anonymous reads of public pages never reach Flask
    return app
