"""A backer cancels a backing they have not paid: a donation still waiting for its payment, or a
pledge (see ``pledges.cancel_pledge``: until the campaign's end it is cancelled, after a success
an unpaid one lapses at once). Only the backer may; a second click changes nothing; the change is
audited. Nothing was posted for an unpaid backing, so nothing is posted or reversed; a card payment
that still arrives afterwards is refunded at once (``lifecycle.refund_late_payment``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted

from . import offline_pledges
from .common import campaign_running, lock
from .models import Donation, DonationState, Pledge


def donation_cancellable(donation: Donation) -> bool:
    return donation.state == DonationState.PENDING and donation.backer_id is not None


def pledge_cancellable(pledge: Pledge) -> bool:
    if pledge.state in offline_pledges.AWAITING_PAYMENT:
        return True
    return pledge.is_open and campaign_running(pledge.project)


def cancel_donation(donation: Donation, *, actor) -> Donation:
    """The backer withdraws a donation whose money has not arrived. Idempotent."""
    if actor is None or donation.backer_id is None or actor.id != donation.backer_id:
        raise NotPermitted(_l("Only the backer can cancel this donation."))
    donation = lock(Donation, donation.id)
    if donation.state == DonationState.CANCELLED:
        return donation
    if donation.state != DonationState.PENDING:
        raise InvalidTransition(_l("This donation was already paid or closed: it cannot be cancelled."))
    donation.state = DonationState.CANCELLED.value
    donation.cancelled_at = utcnow()
    record("donation.cancelled", donation, actor=actor)
    return donation
