"""Account names in the reader's language.

Accounts keep the chart's English name in the database (it is part of no public record but stays
stable); pages show it through the catalogs. Project accounts are named by their project."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

# The chart's names as the accounts store them, listed so that the catalogs translate them
# (fundapp.ledger.services.CHART, and the accounts other domains add with define_account).
CHART_NAMES = (
    _l("Card payments in transit (Stripe)"),
    _l("Bank account"),
    _l("Money-transfer operators in transit"),
    _l("Loans to projects, to be repaid"),
    _l("General fund (unrestricted)"),
    _l("Owed to investors"),
    _l("Repayments awaiting distribution to investors"),
    _l("Refunds owed to backers"),
    _l("Unidentified receipts"),
    _l("Unrestricted donations"),
    _l("Interest and other income"),
    _l("Foreign-exchange gains"),
    _l("Payment and transfer fees"),
    _l("Foreign-exchange losses"),
    _l("Grants paid out"),
    _l("Currency conversion (trading account)"),
)


def account_name(account) -> str:
    """The account's name for the current reader."""
    if account.project_id is not None:
        return gettext("Held for project %(project)s", project=account.project_id)
    return gettext(account.name)
