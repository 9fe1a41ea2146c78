"""The audit trail: who did what, when, from where, and why.

Owns ``audit_events``, an append-only table (the database refuses UPDATE and DELETE, like the
ledger). Every state change and every staff action calls ``services.record`` in the same
transaction as the change itself. Anyone's code may call ``record``; only auditors and
administrators read it.
"""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from fundapp.core.views import register_nav

    from . import labels, routes

    app.register_blueprint(routes.bp)
    app.jinja_env.globals["audit_action_label"] = labels.action_label
    app.jinja_env.globals["audit_object_label"] = labels.object_label
    register_nav(app, "audit.index", _l("Audit log"), routes.READERS)
