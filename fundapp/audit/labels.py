"""The audit trail's codes in the reader's language.

Rows keep their action (``donation.received``) and object type (``donations``) as stable codes:
filters, exports and other tools read them. Pages show them through these labels; a code with no
label yet is shown as it is."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "audit.exported": _l("Audit log exported"),
    "auditor.exported": _l("Auditor's export taken"),
    "council.record_decision": _l("Council decision recorded"),
    "disbursement.requested": _l("Payout requested"),
    "disbursement.approved": _l("Payout approved"),
    "disbursement.executed": _l("Payout paid"),
    "disbursement.returned": _l("Payout request sent back"),
    "disbursement.voided": _l("Payout request voided"),
    "donation.started": _l("Donation started"),
    "donation.received": _l("Donation received"),
    "donation.failed": _l("Donation failed"),
    "donation.refunded": _l("Donation refunded"),
    "donation.late_payment_refunded": _l("Late card payment refunded"),
    "investment.committed": _l("Investment committed"),
    "investment.paid": _l("Investment paid"),
    "investment.cancelled": _l("Investment cancelled"),
    "investment.return_due": _l("Investment to be returned"),
    "investment.paid_back": _l("Investment paid back"),
    "investment.late_payment_refunded": _l("Late card payment refunded"),
    "milestone.started": _l("Milestone started"),
    "milestone.reported_done": _l("Milestone reported done"),
    "offline_receipt.recorded": _l("Receipt recorded"),
    "offline_receipt.confirmed": _l("Receipt confirmed"),
    "offline_receipt.rejected": _l("Receipt rejected"),
    "pledge.made": _l("Pledge made"),
    "pledge.changed": _l("Pledge changed"),
    "pledge.card_saved": _l("Card saved for a pledge"),
    "pledge.cancelled": _l("Pledge cancelled"),
    "pledge.collected": _l("Pledge collected"),
    "pledge.charge_failed": _l("Pledge charge failed"),
    "pledge.released": _l("Pledge released"),
    "pledge.lapsed": _l("Pledge lapsed"),
    "pledge.paid": _l("Pledge paid"),
    "pledge.reminded": _l("Pledge reminder sent"),
    "pledge.late_payment_refunded": _l("Late card payment refunded"),
    "project.create": _l("Draft created"),
    "project.edit": _l("Proposal edited"),
    "project.attach": _l("File attached"),
    "project.delete": _l("Draft deleted"),
    "project.update_posted": _l("Update posted"),
    "project.submit_proposal": _l("Proposal submitted"),
    "project.start_review": _l("Review started"),
    "project.request_changes": _l("Changes requested"),
    "project.resubmit_proposal": _l("Changed proposal sent"),
    "project.approve_proposal": _l("Proposal approved"),
    "project.reject_proposal": _l("Proposal rejected"),
    "project.withdraw_proposal": _l("Proposal withdrawn"),
    "project.open_campaign": _l("Campaign opened"),
    "project.mark_funded": _l("Project funded"),
    "project.mark_unsuccessful": _l("Campaign unsuccessful"),
    "project.start_implementation": _l("Implementation started"),
    "project.complete_project": _l("Project completed"),
    "project.cancel_project": _l("Project cancelled"),
    "reconciliation.imported": _l("Statement imported"),
    "reconciliation.item_resolved": _l("Statement line resolved"),
    "reconciliation.adjustment_proposed": _l("Adjustment proposed"),
    "reconciliation.adjustment_posted": _l("Adjustment posted"),
    "reconciliation.adjustment_rejected": _l("Adjustment rejected"),
    "reconciliation.exported": _l("Reconciliation exported"),
    "repayment.recorded": _l("Repayment recorded"),
    "repayment_schedule.generated": _l("Repayment schedule made"),
    "review.assign": _l("Reviewer assigned"),
    "review.reopen": _l("Review reopened"),
    "review.withdraw": _l("Reviewer withdrawn"),
    "review.declare_conflict": _l("Conflict of interest declared"),
    "review.declare_no_conflict": _l("No conflict of interest declared"),
    "review.submit": _l("Review submitted"),
    "user.created": _l("Account created"),
    "user.registered": _l("Registered"),
    "user.email_confirmed": _l("Email confirmed"),
    "user.signed_in": _l("Signed in"),
    "user.profile_updated": _l("Profile updated"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.role_granted": _l("Role granted"),
    "user.role_revoked": _l("Role revoked"),
    "user.totp_enrolled": _l("Two-step sign-in set up"),
    "user.totp_reset": _l("Two-step sign-in reset"),
}

OBJECT_LABELS = {
    "system": _l("The system"),
    "users": _l("Person"),
    "projects": _l("Project"),
    "donations": _l("Donation"),
    "pledges": _l("A pledge"),
    "investments": _l("Investment"),
    "offline_receipts": _l("An offline receipt"),
    "review_assignments": _l("Review assignment"),
    "disbursement": _l("Payout request"),
    "milestone": _l("Milestone"),
    "repayments": _l("Repayment"),
    "repayment_schedules": _l("Repayment schedule"),
    "reconciliation_run": _l("Reconciliation"),
    "reconciliation_item": _l("Statement line"),
    "reconciliation_adjustment": _l("Adjustment"),
    "council_decisions": _l("Council decision"),
    "audit_events": _l("Audit log"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def object_label(code: str) -> str:
    return str(OBJECT_LABELS.get(code, code))
