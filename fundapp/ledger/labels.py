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


# The memos the fund's own services write. They are sealed into the Merkle log, so they stay in
# this canonical form for ever; pages translate them with ``fundapp.core.phrases.phrase``.
MEMOS = (
    ("Donation {ref} to project {project}", _l("Donation %(ref)s to project %(project)s")),
    ("Refund of donation {ref}: {reason}", _l("Refund of donation %(ref)s: %(reason)s")),
    ("Stripe fee of {payment}", _l("Stripe fee of %(payment)s")),
    ("Bank fee on receipt {id}", _l("Bank fee on receipt %(id)s")),
    (
        "Late card payment {payment} for {kind} {id}, to be refunded",
        _l("Late card payment %(payment)s for %(kind)s %(id)s, to be refunded"),
    ),
    ("Refund of late card payment {payment}", _l("Refund of late card payment %(payment)s")),
    ("Pledge {id} collected for project {project}", _l("Pledge %(id)s collected for project %(project)s")),
    ("Pledge {id} paid for project {project}", _l("Pledge %(id)s paid for project %(project)s")),
    ("Investment {ref} to be returned", _l("Investment %(ref)s to be returned")),
    ("Investment {ref} paid back", _l("Investment %(ref)s paid back")),
    ("Investment {ref} in project {project}", _l("Investment %(ref)s in project %(project)s")),
    ("Transfer received for project {project}", _l("Transfer received for project %(project)s")),
    ("Repayment {ref} from project {project}", _l("Repayment %(ref)s from project %(project)s")),
    (
        "Repayment {ref} distributed to {count} investors",
        _l("Repayment %(ref)s distributed to %(count)s investors"),
    ),
    ("Disbursement #{id}: {project} — {milestone}", _l("Disbursement #%(id)s: %(project)s — %(milestone)s")),
    ("Reconciliation adjustment #{id}: {memo}", _l("Reconciliation adjustment #%(id)s: %(memo)s")),
    ("Campaign proceeds of project {project} (demo)", _l("Campaign proceeds of project %(project)s (demo)")),
)

TYPE_LABELS = {
    "asset": _l("Asset"),
    "liability": _l("Liability"),
    "equity": _l("Equity"),
    "income": _l("Income"),
    "expense": _l("Expense"),
}


def account_type_label(account) -> str:
    """The account's type (asset, liability, …) for the current reader."""
    return str(TYPE_LABELS.get(account.type, account.type))


def register_phrases() -> None:
    from fundapp.core import phrases

    for canonical, message in MEMOS:
        phrases.register(canonical, message)


ENTRY_KIND_LABELS = {
    "donation": _l("Donation"),
    "pledge_collection": _l("Pledge collected"),
    "investment": _l("Investment"),
    "disbursement": _l("Disbursement"),
    "refund": _l("Refund to a backer"),
    "fee": _l("Fee"),
    "repayment": _l("Loan repayment"),
    "distribution": _l("Repaid to investors"),
    "reversal": _l("Reversal"),
    "adjustment": _l("Adjustment"),
    "fx": _l("Currency exchange"),
    "transfer": _l("Transfer"),
}


def entry_kind_label(kind: str) -> str:
    """A journal entry's kind (donation, disbursement, …) for the current reader."""
    return str(ENTRY_KIND_LABELS.get(kind, kind))


def chart_name(code: str) -> str:
    """The name of the chart's account ``code`` for the current reader (the code if unknown)."""
    from fundapp.ledger.services import CHART

    spec = CHART.get(code)
    return gettext(spec.name) if spec is not None else code
