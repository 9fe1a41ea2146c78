"""The standing relationship with compatriots: diaspora organisations (a verified registry, with
members and admins), and a library of educational materials.

Invariants: only verified organisations are public; an organisation always has at least one
admin; private data (registration documents, members' addresses, who wrote to whom) never reaches
a public page, the API or open data. Other domains ask who may act for an organisation through
``services`` (``is_organisation_admin``, ``admin_organisations``, ``member_organisation_ids``) and
put sections on an organisation's page with ``templates/<domain>/_organisation.html`` (included by
``templates/community/_org_sections.html`` with ``org`` in the context).
"""

from fundapp.files.services import register_access_rule


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from fundapp.core.views import register_nav

    from . import (  # noqa: F401
        api,
        library,
        library_routes,
        routes,
        services,
        specialist_routes,
        specialists,
        support,
        support_routes,
    )

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    register_access_rule(services.registration_file_rule)
    register_access_rule(support.attachment_rule)
    register_access_rule(specialists.cv_file_rule)
    register_nav(app, "community.support_queue", _l("Support requests"), ("administrator", "auditor"))
    app.jinja_env.globals["support_kind_labels"] = support.KIND_LABELS
    app.jinja_env.globals["support_status_labels"] = support.STATUS_LABELS
    register_nav(app, "community.review_queue", _l("Organisations"), ("administrator", "auditor"))
    register_nav(app, "community.library_moderation", _l("Library moderation"), ("administrator", "auditor"))
    app.jinja_env.globals["organisation_resources"] = library.organisation_resources
    app.jinja_env.globals["resource_category_label"] = _label("category_label")
    app.jinja_env.globals["resource_audience_label"] = _label("audience_label")
    app.jinja_env.globals["community_dashboard"] = routes.dashboard_context
    app.jinja_env.globals["org_kind_label"] = _label("kind_label")
    app.jinja_env.globals["org_field_label"] = _label("field_label")
    app.jinja_env.globals["language_label"] = _label("language_label")
    app.jinja_env.globals.update(specialist_routes.labels())


def _label(name):
    from . import vocab

    return getattr(vocab, name)
