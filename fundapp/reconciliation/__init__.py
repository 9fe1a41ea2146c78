"""Reconciliation and the auditor's desk.

Reconciliation: a bank statement (CSV) or Stripe's balance transactions are matched against the
ledger legs of the bank / Stripe clearing account (by reference, amount, currency and a date
window; see ``matching``). Each mismatch is reviewed by a named person; a correction is an
adjusting entry proposed by one person and approved, then posted through the ledger, by another.

The auditor's desk (``auditor``): read-only views and CSV exports of the books for auditors and
administrators. Nothing here changes the ledger except ``services.approve_adjustment``.
"""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from fundapp.core.views import register_nav

    from . import auditor, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(auditor.bp)
    register_nav(app, "reconciliation.index", _l("Reconciliation"), routes.REVIEWERS)
    register_nav(app, "auditor.index", _l("Auditor's desk"), auditor.READERS)
