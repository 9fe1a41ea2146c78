"""Fixtures for the public pages: published projects and a small set of books posted through the
real ledger services (then sealed and checkpointed, as after a request)."""

from __future__ import annotations

import itertools

import pytest

from fundapp.core.money import Money
from fundapp.extensions import db

_keys = itertools.count(1)


@pytest.fixture
def people(make_user):
    class People:
        owner = make_user("member", full_name="Owner Private Name", phone="+992 900 00 00 01")
        admin = make_user("administrator")
        reviewer1 = make_user("reviewer")
        reviewer2 = make_user("reviewer")
        treasurer = make_user("treasurer")

    return People


@pytest.fixture
def project_in(app, people):
    """``project_in("fundraising", home_district=…, category=…)`` → a published project."""
    from fundapp.proposals.factories import advance, create_complete_draft

    def make(state: str = "fundraising", **fields):
        project = create_complete_draft(people.owner, **fields)
        advance(project, state, admin=people.admin, reviewers=[people.reviewer1, people.reviewer2])
        db.session.commit()
        return project

    return make


class Books:
    """Post the usual entries of the fund's life with the ledger's own services."""

    def __init__(self):
        from fundapp.ledger import services as ledger

        self.ledger = ledger

    def _post(self, kind, legs, *, project=None, label=None, memo=None, source=(None, None)):
        entry = self.ledger.post_entry(
            kind,
            legs,
            memo=memo or f"{kind} (test)",
            idempotency_key=f"test:{next(_keys)}",
            project_id=project.id if project is not None else None,
            backer_label=label,
            source_type=source[0],
            source_id=source[1],
        )
        db.session.commit()
        self.seal()  # as after a request: the public figures count sealed entries
        return entry

    def acc(self, code, currency="TJS"):
        return self.ledger.get_account(code, currency)

    def pacc(self, project, currency="TJS"):
        return self.ledger.project_account(project.id, currency)

    def donate(self, project, amount, *, channel="bank", currency="TJS", label=None, source=(None, None)):
        m = Money(amount, currency)
        L = self.ledger.Leg
        return self._post(
            "donation",
            [L.debit(self.acc(channel, currency), m), L.credit(self.pacc(project, currency), m)],
            project=project,
            label=label,
            source=source,
        )

    def disburse(self, project, amount, currency="TJS"):
        m = Money(amount, currency)
        L = self.ledger.Leg
        return self._post(
            "disbursement",
            [L.debit(self.pacc(project, currency), m), L.credit(self.acc("bank", currency), m)],
            project=project,
        )

    def refund(self, project, amount, currency="TJS"):
        m = Money(amount, currency)
        L = self.ledger.Leg
        return self._post(
            "refund",
            [L.debit(self.pacc(project, currency), m), L.credit(self.acc("bank", currency), m)],
            project=project,
        )

    def fee(self, amount, currency="TJS"):
        m = Money(amount, currency)
        L = self.ledger.Leg
        return self._post(
            "fee", [L.debit(self.acc("fees_expense", currency), m), L.credit(self.acc("bank", currency), m)]
        )

    def repay(self, project, principal, interest, currency="TJS"):
        L = self.ledger.Leg
        return self._post(
            "repayment",
            [
                L.debit(self.acc("bank", currency), Money(principal + interest, currency)),
                L.credit(self.acc("loans_receivable", currency), Money(principal, currency)),
                L.credit(self.acc("interest_income", currency), Money(interest, currency)),
            ],
            project=project,
        )

    def reverse(self, entry):
        rev = self.ledger.reverse_entry(entry, memo="reversal (test)", idempotency_key=f"test:{next(_keys)}")
        db.session.commit()
        self.seal()
        return rev

    def seal(self):
        from flask import g

        from fundapp.ledger import sealing

        sealing.seal_and_checkpoint()
        db.session.commit()
        g.pop("ledger_unsealed", None)  # the test's app context is not a request: nothing left to seal


@pytest.fixture
def books(app):
    return Books()
