"""Money that arrived by bank or money transfer, as funding sees it: what a receipt pays for (the
backing named by its reference code, or a project), how much it credits and what the banks kept
(:func:`terms`, asked by payments before it stores a receipt), and the backing it pays once a
second staff member confirms it (:func:`on_receipt_confirmed`, in the confirmation's transaction).

Payments stores the receipt and posts nothing of a backing; it asks here through the registry in
``payments.purposes`` and announces the confirmation through ``payments.signals``.
"""

from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.core.errors import ValidationFailed
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.payments import purposes, signals
from fundapp.payments.services import convert
from fundapp.proposals.models import Project, ProjectState

from .common import new_reference
from .lifecycle import receive_or_refuse
from .models import Donation, DonationState, Investment, Pledge
from .totals import ensure_totals

FX_TOLERANCE_PER_MILLE = 30  # a converted transfer may differ from the backing by 3% (booked as FX)


def find_backing(reference: str):
    """The donation, investment or pledge with this reference code, or None."""
    ref = (reference or "").strip().upper().replace(" ", "").replace("-", "")
    model = {"D": Donation, "I": Investment, "P": Pledge}.get(ref[:1])
    if model is None:
        return None
    return db.session.scalars(select(model).where(model.reference_code == ref)).one_or_none()


def fee_tolerance(expected: Money) -> Money:
    """The largest shortfall of a transfer accepted as bank fees for a backing of ``expected``:
    the larger of ``RECEIPT_FEE_TOLERANCE_BP`` of it (rounded down) and the currency's fixed
    ``RECEIPT_FEE_TOLERANCE_MINOR``; never the whole amount."""
    cfg = current_app.config
    share = expected.amount * int(cfg.get("RECEIPT_FEE_TOLERANCE_BP", 0)) // 10000
    fixed = int((cfg.get("RECEIPT_FEE_TOLERANCE_MINOR") or {}).get(expected.currency, 0))
    return Money(min(max(share, fixed, 0), expected.amount - 1), expected.currency)


def receipt_projects() -> list[tuple[int, str]]:
    """Projects a transfer without a reference code may be recorded for."""
    rows = db.session.scalars(
        select(Project)
        .where(Project.state.in_([ProjectState.FUNDRAISING, ProjectState.FUNDED, ProjectState.IMPLEMENTING]))
        .order_by(Project.title)
    ).all()
    return [(p.id, f"{p.title} ({p.currency})") for p in rows]


def terms(draft: purposes.ReceiptDraft) -> purposes.ReceiptTerms:
    """What a receipt being recorded pays for and credits; refuses (naming the field) a reference
    nobody has, a missing or needless exchange rate, or an amount too far from the backing's (a
    shortfall within :func:`fee_tolerance` is the banks' fee and credits the backing in full)."""
    backing, project = None, None
    if draft.backing_reference:
        backing = find_backing(draft.backing_reference)
        if backing is None:
            raise ValidationFailed(_l("No backing has this reference code."), field="backing_reference")
        project = backing.project
    elif draft.project_id is not None:
        project = db.session.get(Project, draft.project_id)
    if project is None:
        raise ValidationFailed(
            _l("Give the backing's reference code or choose the project."), field="project"
        )
    amount, rate = draft.amount, draft.rate
    if amount.currency != project.currency:
        if rate is None:
            raise ValidationFailed(
                _l(
                    "The money came in %(received)s but the project is in %(project)s: "
                    "enter the exchange rate.",
                    received=amount.currency,
                    project=project.currency,
                ),
                field="fx_rate",
            )
        credited = convert(amount, rate, project.currency)
        if credited.amount <= 0:
            raise ValidationFailed(_l("The converted amount is zero; check the rate."), field="fx_rate")
    else:
        if rate is not None and rate != 1:
            raise ValidationFailed(
                _l("No exchange rate is needed for the project's own currency."), field="fx_rate"
            )
        rate, credited = None, amount
    fee = None
    if backing is not None:
        fee = _backing_fee(backing.amount, credited, same_currency=amount.currency == project.currency)
        credited = backing.amount
    return purposes.ReceiptTerms(project_id=project.id, credited=credited, fee=fee, rate=rate)


def _backing_fee(expected: Money, credited: Money, *, same_currency: bool) -> Money | None:
    if not same_currency:
        diff = abs(credited.amount - expected.amount)
        if diff * 1000 > expected.amount * FX_TOLERANCE_PER_MILLE:
            raise ValidationFailed(
                _l(
                    "At this rate the transfer is worth %(credited)s, too far from the backing's "
                    "%(expected)s. Check the amount and the rate.",
                    credited=str(credited),
                    expected=str(expected),
                ),
                field="fx_rate",
            )
        return None
    if credited == expected:
        return None
    shortfall = expected.amount - credited.amount
    if 0 < shortfall <= fee_tolerance(expected).amount:
        return Money(shortfall, expected.currency)  # what the banks kept on the way
    raise ValidationFailed(
        _l(
            "The backing with this reference is %(expected)s. Record the amount that arrived: "
            "up to %(tolerance)s less is accepted as the banks' fee. Otherwise record the "
            "transfer without a reference as a donation to the project.",
            expected=str(expected),
            tolerance=str(fee_tolerance(expected)),
        ),
        field="amount",
    )


@signals.receipt_confirmed.connect
def on_receipt_confirmed(receipt, *, legs, actor) -> int:
    """Receive the backing a confirmed receipt pays for (or a new donation when it names none);
    ``legs`` are the receipt's ledger legs (with the FX legs when currencies differ). Returns the
    id of the entry that posted it."""
    backing = find_backing(receipt.backing_reference) if receipt.backing_reference else None
    if backing is not None:
        receive_or_refuse(backing, method=receipt.method, legs=legs, actor=actor, receipt=receipt)
        return backing.ledger_entry_id
    project = receipt.project
    donation = Donation(
        project_id=project.id,
        backer_id=None,
        email="",
        amount_minor=receipt.credited_minor,
        currency=receipt.credited_currency,
        method=receipt.method,
        state=DonationState.PENDING.value,
        public_name=None,
        reference_code=new_reference("D"),
        access_token=secrets.token_urlsafe(24),
    )
    db.session.add(donation)
    db.session.flush()
    ensure_totals(project)
    receive_or_refuse(
        donation,
        method=receipt.method,
        legs=legs,
        actor=actor,
        receipt=receipt,
        memo=f"Transfer received for project {project.id}",
    )
    return donation.ledger_entry_id


purposes.register(terms=terms, projects=receipt_projects)
