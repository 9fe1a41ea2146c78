"""Payments: card payments through Stripe (hosted Checkout, off-session charges, refunds, signed
webhooks) and offline receipts (bank transfers, money-transfer operators).

Invariants: card data never touches this server; every Stripe write carries an idempotency key
derived from our ids and stored before the call; a webhook event is applied at most once (its id
is stored with its effect) and only after its signature is verified on the raw body; an offline
receipt counts only once a second staff member (not the recorder) confirms it, and the same
(operator, transfer reference) cannot be recorded twice. Without ``STRIPE_SECRET_KEY`` the app runs
with offline methods only. It imports no business domain: it announces what happened through
``signals`` and asks what a receipt is for through ``purposes``; ``fundapp.funding`` (which owns
the backings) connects and registers the answers.
"""

from flask_babel import lazy_gettext as _l

from fundapp.core.views import register_nav
from fundapp.extensions import csrf
from fundapp.files.services import register_access_rule


def init_app(app):
    from . import routes, services

    app.register_blueprint(routes.bp)
    csrf.exempt(routes.stripe_webhook)
    register_access_rule(routes.evidence_access_rule)
    register_nav(app, "payments.list_receipts", _l("Receipts"), ("treasurer", "administrator", "auditor"))
    with app.app_context():
        services._define_accounts()
