"""Donations: checked, started, paid by card or transfer, and the ``donation`` kind of the backing
lifecycle (a received donation may close its campaign at its goal)."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotFound, ValidationFailed
from fundapp.core.money import Money
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.mail.services import queue_email
from fundapp.payments import gateway
from fundapp.payments.services import complete_stripe_call, prepare_stripe_call, stored_key
from fundapp.proposals.models import FundingModel, Project

from .common import (
    check_backing_amount,
    check_method,
    external,
    new_reference,
    public_label,
    require_open,
)
from .lifecycle import (
    Kind,
    receive,
    register_kind,
)
from .models import (
    Donation,
    DonationState,
    PayMethod,
)
from .settlement import close_at_goal
from .totals import ensure_totals


def check_donation(
    project: Project,
    *,
    amount: Money,
    method: str,
    email: str | None,
    backer=None,
    message: str | None = None,
) -> str:
    """Everything :func:`start_donation` checks, writing nothing (the confirmation step shows the
    donation before it exists). Returns the receipt's email address."""
    require_open(project, FundingModel.DONATION)
    check_backing_amount(amount, project)
    check_method(method)
    if backer is not None and getattr(backer, "is_authenticated", True):
        email = backer.email
    email = (email or "").strip().lower()
    if not email or "@" not in email or len(email) > 320:
        raise ValidationFailed(
            _l("Enter your email address, so that we can send you a receipt."), field="email"
        )
    clean_text(message, 500, "message", refuse_control=True)
    return email


def start_donation(
    project: Project,
    *,
    amount: Money,
    method: str,
    email: str | None,
    backer=None,
    public_name: str | None = None,
    message: str | None = None,
    access_token: str | None = None,
) -> Donation:
    """A donation waiting for its money: by card (then :func:`open_donation_checkout`) or by transfer
    (the backer gets instructions with the donation's reference code). ``access_token``, chosen
    when the confirmation page was shown, makes a second send of that page return the donation
    it already made."""
    if access_token:
        existing = db.session.scalars(
            select(Donation).where(Donation.access_token == access_token)
        ).one_or_none()
        if existing is not None:
            return existing
    email = check_donation(project, amount=amount, method=method, email=email, backer=backer, message=message)
    donation = Donation(
        project_id=project.id,
        backer_id=getattr(backer, "id", None),
        email=email,
        amount_minor=amount.amount,
        currency=amount.currency,
        method=method,
        state=DonationState.PENDING.value,
        public_name=public_label(backer, public_name),
        message=clean_text(message, 500, "message", refuse_control=True) or None,
        reference_code=new_reference("D"),
        access_token=access_token or secrets.token_urlsafe(24),
    )
    try:
        with db.session.begin_nested():  # a twin send of the same page may be writing it right now
            db.session.add(donation)
            db.session.flush()
    except IntegrityError:
        twin = db.session.scalars(select(Donation).where(Donation.access_token == access_token)).one_or_none()
        if access_token and twin is not None:
            return twin  # the other send committed first: its donation is this one
        raise
    ensure_totals(project)
    if method == PayMethod.CARD:
        prepare_stripe_call("checkout", donation, key=f"donation-{donation.id}-checkout")
    record("donation.started", donation, actor=backer, changes={"amount": str(amount), "method": method})
    return donation


def open_donation_checkout(donation: Donation, *, success_url: str, cancel_url: str) -> str:
    """Create (or, with the same idempotency key, find again) the hosted Checkout for a donation;
    returns the URL to send the payer to."""
    if donation.state != DonationState.PENDING or donation.method != PayMethod.CARD:
        raise InvalidTransition(_l("This donation is not waiting for a card payment."))
    key = stored_key("checkout", donation)
    session = gateway.create_payment_checkout(
        amount=donation.amount,
        description=f"Hamvatan Fund: {donation.project.title}"[:200],
        success_url=success_url,
        cancel_url=cancel_url,
        metadata={"kind": "donation", "id": donation.id, "reference": donation.reference_code},
        customer_email=donation.email,
        idempotency_key=key,
    )
    donation.checkout_session_id = session.id
    complete_stripe_call(key, session.id)
    db.session.flush()
    return session.url


def get_donation_by_token(token: str) -> Donation:
    if not token or len(token) > 64:
        raise NotFound()
    d = db.session.scalars(select(Donation).where(Donation.access_token == token)).one_or_none()
    if d is None:
        raise NotFound()
    return d


def receive_donation(donation: Donation, *, legs=None, actor=None, via: str | None = None) -> Donation:
    """The donation's money has arrived: post it, count it, send the receipt (once)."""
    if receive(donation, method=via or donation.method, legs=legs, actor=actor) == "unexpected_state":
        raise InvalidTransition(_l("This donation cannot be received in its current state."))
    return donation


def _after_received(donation: Donation, entry, *, receipt) -> None:
    project = donation.project
    close_at_goal(project)
    if donation.backer is None and not donation.email:
        return  # a transfer that named no backing: nobody to thank
    queue_email(
        donation.backer or donation.email,
        _l("Thank you: your donation was received"),
        "funding/email/donation_receipt",
        donation=donation,
        project=project,
        link=external("funding.donation_status", token=donation.access_token),
        evidence_link=external("ledger_api.posting_receipt_proof", entry_id=entry.id),
    )


def _fail(donation: Donation, payment_intent: str | None) -> str:
    if donation.state == DonationState.PENDING:
        donation.state = DonationState.FAILED.value
        record("donation.failed", donation)
    return "failed" if donation.state == DonationState.FAILED else "noop"


def _stamp(donation: Donation, method: str) -> None:
    donation.received_at = utcnow()


DONATION = register_kind(
    Kind(
        name="donation",
        model=Donation,
        entry_kind="donation",
        key_prefix="donation",
        paid=DonationState.RECEIVED.value,
        # a card payment re-read as paid after all still lands on a donation marked failed
        payable={
            "card": (DonationState.PENDING, DonationState.FAILED),
            "transfer": (DonationState.PENDING,),
        },
        memo=lambda d, project, receipt: f"Donation {d.reference_code} to project {project.id}",
        counters=lambda d: {"raised_minor": d.amount_minor, "backers": 1},
        event=lambda receipt: "received",
        stamp=_stamp,
        after=_after_received,
        fail=_fail,
        unpayable=_l("The donation with this reference is not waiting for a payment."),
    )
)
