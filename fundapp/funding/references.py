"""The references by which the outside world knows the entries of backings, for reconciliation
(which registers these readers): a card payment's PaymentIntent, the bank or operator reference
of the transfer that paid a donation or an investment (or of a bank fee's receipt), a loan
repayment's reference."""

from __future__ import annotations

from sqlalchemy import select

from fundapp.extensions import db
from fundapp.payments.models import OfflineReceipt

from .models import Donation, Investment, Pledge, Repayment


def payment_intent_references(entries) -> dict[int, list[str]]:
    """Card payments are known to Stripe by their PaymentIntent; the entries carry the backing's id."""
    models = {"donation": Donation, "pledge": Pledge, "investment": Investment}
    wanted: dict[str, dict[int, list[int]]] = {}
    for e in entries:
        if e.source_type in models and e.source_id and e.source_id.isdigit():
            wanted.setdefault(e.source_type, {}).setdefault(int(e.source_id), []).append(e.id)
    out: dict[int, list[str]] = {}
    for source_type, by_id in wanted.items():
        model = models[source_type]
        rows = db.session.execute(select(model.id, model.payment_intent_id).where(model.id.in_(list(by_id))))
        for obj_id, pi in rows:
            if pi:
                for entry_id in by_id[obj_id]:
                    out.setdefault(entry_id, []).append(pi)
    return out


def transfer_references(entries) -> dict[int, list[str]]:
    """For reconciliation: the bank or operator reference by which a transfer's entry is known
    (receipts paying a donation or an investment, and loan repayments)."""
    wanted: dict[str, dict[int, list[int]]] = {}
    for e in entries:
        if (
            e.source_type in ("donation", "investment", "repayment", "offline_receipt")
            and e.source_id
            and str(e.source_id).isdigit()
        ):
            wanted.setdefault(e.source_type, {}).setdefault(int(e.source_id), []).append(e.id)
    out: dict[int, list[str]] = {}
    for source_type, model in (("donation", Donation), ("investment", Investment)):
        by_id = wanted.get(source_type)
        if not by_id:
            continue
        rows = db.session.execute(
            select(model.id, OfflineReceipt.transfer_reference)
            .join(OfflineReceipt, OfflineReceipt.id == model.receipt_id)
            .where(model.id.in_(list(by_id)))
        )
        for obj_id, ref in rows:
            for entry_id in by_id[obj_id]:
                out.setdefault(entry_id, []).append(ref)
    by_id = wanted.get("offline_receipt")  # a bank fee's entry: known by its transfer's reference
    if by_id:
        for receipt_id, ref in db.session.execute(
            select(OfflineReceipt.id, OfflineReceipt.transfer_reference).where(
                OfflineReceipt.id.in_(list(by_id))
            )
        ):
            for entry_id in by_id[receipt_id]:
                out.setdefault(entry_id, []).append(ref)
    by_id = wanted.get("repayment")
    if by_id:
        for rep_id, ref in db.session.execute(
            select(Repayment.id, Repayment.reference).where(Repayment.id.in_(list(by_id)))
        ):
            for entry_id in by_id[rep_id]:
                out.setdefault(entry_id, []).append(ref)
    return out
