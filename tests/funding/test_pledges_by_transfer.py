"""Pledges without a card: made by transfer promise, asked for when the campaign succeeds, paid
through a confirmed offline receipt, reminded once per reminder, lapsed once after the deadline;
the project's pledge figures; backers cancelling what they have not paid."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fundapp.audit.models import AuditEvent
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import donations, pledges, settlement
from fundapp.funding import totals as funding_totals
from fundapp.funding.models import Donation, Pledge, PledgeState
from fundapp.ledger.models import JournalEntry
from fundapp.mail.models import OutboxMessage
from fundapp.proposals.models import Project
from fundapp.transparency.money import project_money
from tests.conftest import login_as
from tests.fakes.backing import entry_count


def _end(project):
    project = db.session.get(Project, project.id)
    project.campaign_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()


def _pledge_by_form(c, project, amount="600"):
    r = c.post(f"/back/projects/{project.id}/pledge", data={"amount": amount, "method": "transfer"})
    assert r.status_code == 200 and "Confirm my pledge" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Pledge.id))) in (0, 1)  # the check step writes nothing new
    r = c.post(
        f"/back/projects/{project.id}/pledge",
        data={"amount": amount, "method": "transfer", "confirm": "1"},
    )
    assert r.status_code == 303
    return db.session.scalars(select(Pledge).order_by(Pledge.id.desc())).first()


def _mails(user, subject_part):
    return db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.user_id == user.id, OutboxMessage.subject.contains(subject_part)
        )
    ).all()


def _audits(action, obj_id):
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == action, AuditEvent.object_id == str(obj_id)
        )
    )


def test_pledge_without_card_counts_at_once_and_is_asked_for_when_the_campaign_succeeds(
    app, client_for, make_project
):
    """Without any card configured, a member pledges by transfer; it counts towards the goal; when
    the campaign closes funded the backer gets a reference, a deadline, a mail with the bank
    details, and sees the instructions on "My backing" and the payment page."""
    project = make_project(model="pledge", goal_minor=100_000)
    c, backer = client_for("member", preferred_language="en")
    page = c.get(f"/back/projects/{project.id}/pledge").get_data(as_text=True)
    assert "bank or money transfer" in page and "cannot be made" not in page
    pledge = _pledge_by_form(c, project, "1000")
    assert pledge.state == PledgeState.ACTIVE and pledge.method == "transfer"
    assert funding_totals.project_totals(project)["pledged"] == Money(100_000, "TJS")
    _end(project)
    settlement.close_due_campaigns()
    db.session.refresh(pledge)
    assert db.session.get(Project, project.id).state == "funded"
    assert pledge.state == PledgeState.AWAITING_TRANSFER
    assert pledge.reference_code.startswith("P") and pledge.grace_until is not None
    days = (pledge.grace_until - pledge.payment_requested_at).days
    assert days == app.config["PLEDGE_TRANSFER_GRACE_DAYS"]
    [mail] = _mails(backer, "please pay your pledge")
    assert pledge.reference_code in mail.body_text and "SAMPLE" in mail.body_text
    mine = c.get("/back/mine").get_data(as_text=True)
    assert f'data-testid="pledge-to-pay-{pledge.id}"' in mine and pledge.reference_code in mine
    pay = c.get(f"/back/pledges/{pledge.id}/pay").get_data(as_text=True)
    assert pledge.reference_code in pay and "Beneficiary" in pay
    assert _audits("pledge.payment_requested", pledge.id) == 1
    # a second close changes nothing and mails nothing more
    settlement.close_due_campaigns()
    assert len(_mails(backer, "please pay your pledge")) == 1


def test_another_member_cannot_see_or_cancel_a_pledge(app, client_for, make_project):
    """The payment page and the cancel page of a pledge are its backer's only (404 for others)."""
    project = make_project(model="pledge")
    c, _ = client_for("member", preferred_language="en")
    pledge = _pledge_by_form(c, project)
    other, _ = client_for("member", preferred_language="en")
    assert other.get(f"/back/pledges/{pledge.id}/pay").status_code == 404
    assert other.get(f"/back/pledges/{pledge.id}/cancel").status_code == 404
    assert other.post(f"/back/pledges/{pledge.id}/cancel").status_code == 404
    db.session.refresh(pledge)
    assert pledge.state == PledgeState.ACTIVE


def test_confirmed_receipt_pays_the_pledge_once_and_posts_it(app, client_for, make_project):
    """A treasurer records the transfer naming the pledge's reference, a second staff member
    confirms it: the pledge is collected, one entry credits the project, the figures say paid."""
    project = make_project(model="pledge", goal_minor=50_000)
    c, backer = client_for("member", preferred_language="en")
    pledge = _pledge_by_form(c, project, "500")
    _end(project)
    settlement.close_due_campaigns()
    db.session.refresh(pledge)
    t1, _ = client_for("treasurer")
    t2, _ = client_for("administrator")
    staff = t1.get("/back/staff").get_data(as_text=True)
    assert pledge.reference_code in staff.split('id="pledges-to-pay"')[1].split("<h2")[0]
    r = t1.post(
        "/payments/receipts/new",
        data={
            "method": "mto",
            "operator": "Zolotaya Korona",
            "transfer_reference": "ZK-77",
            "sender_name": "Backer",
            "amount": "500",
            "currency": "TJS",
            "received_on": date.today().isoformat(),
            "backing_reference": pledge.reference_code.lower(),
        },
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    receipt_id = int(r.location.rsplit("/", 1)[1])
    before = entry_count()
    r = t2.post(f"/payments/receipts/{receipt_id}/confirm")
    assert r.status_code == 303
    db.session.refresh(pledge)
    assert pledge.state == PledgeState.COLLECTED and pledge.receipt_id == receipt_id
    assert entry_count() == before + 1
    entry = db.session.scalars(select(JournalEntry).where(JournalEntry.id == pledge.ledger_entry_id)).one()
    assert entry.idempotency_key == f"pledge-collection:{pledge.id}"
    totals = funding_totals.project_totals(project)
    assert totals["raised"] == Money(50_000, "TJS") and totals["pledged"] == Money(0, "TJS")
    assert totals["by_channel"]["mto"] == Money(50_000, "TJS")
    money = project_money(project)  # the one account: nothing is still promised, nothing lapsed
    assert money.pledged == Money(0, "TJS") and money.pledges_lapsed == Money(0, "TJS")
    assert money.pledges_by_state == {"collected": 50_000}
    assert _mails(backer, "collected")
    # a second confirmation is refused and posts nothing
    assert t2.post(f"/payments/receipts/{receipt_id}/confirm").status_code == 409
    assert entry_count() == before + 1


def test_a_transfer_before_the_campaign_succeeds_is_refused(app, client_for, make_project):
    """Money for a pledge whose campaign is still running cannot be taken yet (all or nothing)."""
    project = make_project(model="pledge")
    c, _ = client_for("member", preferred_language="en")
    pledge = _pledge_by_form(c, project)
    pledge.reference_code = "PABCDEFGH"
    db.session.commit()
    t1, _ = client_for("treasurer")
    t2, _ = client_for("treasurer")
    r = t1.post(
        "/payments/receipts/new",
        data={
            "method": "bank",
            "operator": "Bank",
            "transfer_reference": "EARLY-1",
            "sender_name": "Backer",
            "amount": "600",
            "currency": "TJS",
            "received_on": date.today().isoformat(),
            "backing_reference": "PABCDEFGH",
        },
    )
    receipt_id = int(r.location.rsplit("/", 1)[1])
    assert t2.post(f"/payments/receipts/{receipt_id}/confirm").status_code == 409
    db.session.refresh(pledge)
    assert pledge.state == PledgeState.ACTIVE


def test_reminders_are_sent_once_each_and_unpaid_pledges_lapse_once(app, client_for, make_project):
    """`flask campaigns remind` mails each configured reminder once however often it runs;
    `flask campaigns lapse` lapses a pledge past its deadline once: audited, mailed, uncounted."""
    project = make_project(model="pledge", goal_minor=30_000)
    c, backer = client_for("member", preferred_language="en")
    pledge = _pledge_by_form(c, project, "300")
    _end(project)
    settlement.close_due_campaigns()
    db.session.refresh(pledge)
    runner = app.test_cli_runner()
    assert "reminders sent: 0" in runner.invoke(args=["campaigns", "remind"]).output
    # 6 days before the deadline: the 7-day reminder is due, the 2-day one not yet
    pledge.grace_until = datetime.now(UTC) + timedelta(days=6)
    db.session.commit()
    for expected in ("1", "0"):
        assert f"reminders sent: {expected}" in runner.invoke(args=["campaigns", "remind"]).output
    pledge.grace_until = datetime.now(UTC) + timedelta(days=1)
    db.session.commit()
    for expected in ("1", "0"):
        assert f"reminders sent: {expected}" in runner.invoke(args=["campaigns", "remind"]).output
    assert len(_mails(backer, "Reminder")) == 2 and _audits("pledge.reminded", pledge.id) == 2
    assert "lapsed pledges: 0" in runner.invoke(args=["campaigns", "lapse"]).output
    pledge = db.session.get(Pledge, pledge.id)
    pledge.grace_until = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    before = entry_count()
    for expected in ("1", "0"):
        assert f"lapsed pledges: {expected}" in runner.invoke(args=["campaigns", "lapse"]).output
    db.session.refresh(pledge)
    assert pledge.state == PledgeState.LAPSED and pledge.lapsed_at is not None
    assert entry_count() == before  # nothing was posted, nothing is reversed
    assert _audits("pledge.lapsed", pledge.id) == 1 and len(_mails(backer, "lapsed")) == 1
    assert funding_totals.project_totals(project)["pledged"] == Money(0, "TJS")
    money = project_money(project)
    assert money.pledges_lapsed == Money(30_000, "TJS") and money.pledged == Money(0, "TJS")


def test_the_database_holds_the_shape_of_a_pledge_waiting_for_a_transfer(app, make_user, make_project):
    """A pledge waiting for a transfer without its reference, deadline or request date, a card
    pledge waiting for a transfer, or an unknown state are refused by the database itself."""
    project = make_project(model="pledge")
    backer = make_user()
    pledge = pledges.make_pledge(project, backer=backer, amount=Money(10_000, "TJS"), method="transfer")
    db.session.commit()
    bad_rows = [
        {"state": "awaiting_transfer"},
        {"state": "awaiting_card"},
        {"state": "dreaming"},
        {"state": "lapsed"},
        {"method": "cash"},
    ]
    for values in bad_rows:
        with pytest.raises(IntegrityError):
            db.session.execute(db.update(Pledge).where(Pledge.id == pledge.id).values(**values))
            db.session.flush()
        db.session.rollback()


def test_backer_cancels_a_pledge_waiting_for_transfer_with_confirmation(app, client_for, make_project):
    """After the campaign succeeded, the backer may say they will not pay: a confirmation page,
    then the pledge lapses at once (audited, mailed); a second click changes nothing."""
    project = make_project(model="pledge", goal_minor=10_000)
    c, backer = client_for("member", preferred_language="en")
    pledge = _pledge_by_form(c, project, "100")
    _end(project)
    settlement.close_due_campaigns()
    page = c.get(f"/back/pledges/{pledge.id}/cancel").get_data(as_text=True)
    assert "Yes, cancel my pledge" in page
    db.session.refresh(pledge)
    assert pledge.state == PledgeState.AWAITING_TRANSFER  # asking changes nothing
    for _ in range(2):
        assert c.post(f"/back/pledges/{pledge.id}/cancel").status_code == 303
    db.session.refresh(pledge)
    assert pledge.state == PledgeState.LAPSED
    assert _audits("pledge.lapsed", pledge.id) == 1 and len(_mails(backer, "lapsed")) == 1
    assert project_money(project).pledges_lapsed == Money(10_000, "TJS")


def test_backer_cancels_an_unpaid_donation_once_and_nothing_is_posted(app, client_for, make_project):
    """A transfer donation still waiting can be cancelled by its backer from "My backing" after a
    confirmation; twice is the same as once; someone else gets 404; nothing touches the ledger."""
    project = make_project(model="donation")
    c, backer = client_for("member", preferred_language="en")
    donation = donations.start_donation(
        project, amount=Money(5_000, "TJS"), method="bank", email=None, backer=backer
    )
    db.session.commit()
    mine = c.get("/back/mine").get_data(as_text=True)
    assert f'data-testid="cancel-donation-{donation.id}"' in mine
    other, _ = client_for("member", preferred_language="en")
    assert other.post(f"/back/donations/{donation.id}/cancel").status_code == 404
    assert "Yes, cancel my donation" in c.get(f"/back/donations/{donation.id}/cancel").get_data(as_text=True)
    before = entry_count()
    for _ in range(2):
        assert c.post(f"/back/donations/{donation.id}/cancel").status_code == 303
    donation = db.session.get(Donation, donation.id)
    db.session.refresh(donation)
    assert donation.state == "cancelled" and donation.cancelled_at is not None
    assert entry_count() == before
    assert _audits("donation.cancelled", donation.id) == 1
    # money that arrives later for it is not taken as the donation
    t1, _ = client_for("treasurer")
    r = t1.post(
        "/payments/receipts/new",
        data={
            "method": "bank",
            "operator": "Bank",
            "transfer_reference": "LATE-1",
            "sender_name": "Backer",
            "amount": "50",
            "currency": "TJS",
            "received_on": date.today().isoformat(),
            "backing_reference": donation.reference_code,
        },
    )
    receipt_id = int(r.location.rsplit("/", 1)[1])
    t2, _ = client_for("administrator")
    assert t2.post(f"/payments/receipts/{receipt_id}/confirm").status_code == 409


def test_a_received_donation_cannot_be_cancelled(app, make_user, make_project, client_for):
    """Money that arrived is given back only by the four-eyes refund, never by the backer's cancel."""
    project = make_project(model="donation")
    c, backer = client_for("member", preferred_language="en")
    donation = donations.start_donation(
        project, amount=Money(5_000, "TJS"), method="bank", email=None, backer=backer
    )
    db.session.commit()
    donations.receive_donation(donation, via="bank")
    db.session.commit()
    page = c.get(f"/back/donations/{donation.id}/cancel").get_data(as_text=True)
    assert "cannot be cancelled any more" in page
    assert c.post(f"/back/donations/{donation.id}/cancel").status_code == 409
    assert db.session.get(Donation, donation.id).state == "received"


def test_signed_out_visitor_is_sent_to_sign_in(app, make_project, make_user):
    """Cancelling needs the backer signed in."""
    project = make_project(model="donation")
    backer = make_user()
    donation = donations.start_donation(
        project, amount=Money(5_000, "TJS"), method="bank", email=None, backer=backer
    )
    db.session.commit()
    c = app.test_client()
    r = c.get(f"/back/donations/{donation.id}/cancel")
    assert r.status_code in (302, 303)
    login_as(c, backer)
    assert c.get(f"/back/donations/{donation.id}/cancel").status_code == 200


def test_the_pledge_form_reports_every_error_at_once_and_keeps_what_was_typed(app, client_for, make_project):
    """A misread amount and a too long public name are both reported in one answer, beside their
    fields, with what was typed still there; nothing is written."""
    project = make_project(model="pledge")
    c, _ = client_for("member", preferred_language="en")
    r = c.post(
        f"/back/projects/{project.id}/pledge",
        data={"amount": "1e9", "method": "transfer", "named": "y", "public_name": "n" * 130},
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and page.count('class="field-error"') == 2
    assert 'value="1e9"' in page and 'href="#amount"' in page and 'href="#public_name"' in page
    assert db.session.scalar(select(func.count(Pledge.id))) == 0
    # a way of paying that is not offered (no card payments here) is refused too
    r = c.post(f"/back/projects/{project.id}/pledge", data={"amount": "10", "method": "card", "confirm": "1"})
    assert r.status_code == 400 and 'id="method-error"' in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Pledge.id))) == 0


def test_the_payment_instructions_speak_tajik_and_russian(app, client_for, make_project):
    """The page that tells a backer how to transfer their pledge, and its mail, are in the reader's
    language."""
    project = make_project(model="pledge", goal_minor=10_000)
    c, backer = client_for("member", preferred_language="ru")
    pledge = pledges.make_pledge(project, backer=backer, amount=Money(10_000, "TJS"), method="transfer")
    db.session.commit()
    _end(project)
    settlement.close_due_campaigns()
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == backer.id)).all()[-1:]
    assert "Кампания успешна" in mail.subject and "Укажите код" in mail.body_text
    ru = c.get(f"/back/pledges/{pledge.id}/pay?lang=ru").get_data(as_text=True)
    assert "Оплатить до" in ru and "Ваш код платежа" in ru and "Pay by" not in ru
    tg = c.get(f"/back/pledges/{pledge.id}/pay?lang=tg").get_data(as_text=True)
    assert "Пардохт то" in tg and "Рамзи пардохти шумо" in tg and "Pay by" not in tg
    tg = c.get(f"/back/pledges/{pledge.id}/cancel?lang=tg").get_data(as_text=True)
    assert "Ҳа, ваъдаи маро бекор кунед" in tg
