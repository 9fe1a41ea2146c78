"""A project is backed only in the way its funding model names: the other kinds' pages are not
offered, and their forms are refused with nothing written."""

from sqlalchemy import func, select

from fundapp.extensions import db
from fundapp.funding.models import Donation, Pledge


def test_pledge_page_of_a_donations_project_sends_to_the_donation_form(app, client_for, make_project):
    """Does a donations-only project offer no pledge form: the pledge page sends to the donation
    form (saying why), and a pledge posted anyway is refused with nothing saved?"""
    project = make_project(model="donation")
    c, _ = client_for("member")
    r = c.get(f"/back/projects/{project.id}/pledge?lang=en")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/back/projects/{project.id}/donate")
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "This project takes donations only." in page and 'name="amount"' in page
    r = c.post(f"/back/projects/{project.id}/pledge?lang=en", data={"amount": "50", "confirm": "1"})
    assert r.status_code == 409 and "not funded this way" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Pledge.id))) == 0
    page = c.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    assert f"/back/projects/{project.id}/donate" in page and f"/back/projects/{project.id}/pledge" not in page


def test_donation_page_of_a_pledge_project_sends_to_the_pledge_form(app, client_for, make_project):
    """And the other way round: a pledge project's donation page sends to its pledge page, and a
    donation posted anyway is refused."""
    project = make_project(model="pledge")
    c, _ = client_for("member")
    r = c.get(f"/back/projects/{project.id}/donate?lang=en")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/back/projects/{project.id}/pledge")
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "This project takes all-or-nothing pledges only." in page
    r = c.post(
        f"/back/projects/{project.id}/donate?lang=en",
        data={"amount": "50", "method": "bank", "confirm": "1"},
    )
    assert r.status_code == 409
    assert db.session.scalar(select(func.count(Donation.id))) == 0
