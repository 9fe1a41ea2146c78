"""A paid disbursement is public, but the names on it follow each person's choice."""

from __future__ import annotations

from fundapp.extensions import db
from tests.conftest import login_as


def _paid(cast, requested):
    from fundapp.disbursements import services

    req = requested()
    services.approve_disbursement(req, actor=cast.admin)
    services.execute_disbursement(req, actor=cast.treasurer, bank_reference="PP-1")
    db.session.commit()
    return req


def test_payout_page_hides_names_of_people_who_chose_not_to_be_named(app, cast, requested):
    """Does a visitor see neither the requester's nor the approver's name when they chose not to
    be named publicly, while staff still see both?"""
    cast.owner.show_name_publicly = False
    cast.admin.show_name_publicly = False
    db.session.commit()
    req = _paid(cast, requested)
    page = app.test_client().get(f"/disbursements/{req.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert cast.owner.full_name not in body and cast.admin.full_name not in body
    assert "Project team" in body and "An administrator of the fund" in body
    staff = app.test_client()
    login_as(staff, cast.auditor)
    body = staff.get(f"/disbursements/{req.id}").get_data(as_text=True)
    assert cast.owner.full_name in body and cast.admin.full_name in body


def test_payout_page_names_people_who_chose_to_be_named(app, cast, requested):
    """When the requester chose to be named publicly, does the visitor see their name?"""
    cast.owner.show_name_publicly = True
    db.session.commit()
    req = _paid(cast, requested)
    body = app.test_client().get(f"/disbursements/{req.id}").get_data(as_text=True)
    assert cast.owner.display_name in body
