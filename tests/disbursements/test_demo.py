"""The demo data of disbursements and reconciliation loads, twice without change, and shows."""

from __future__ import annotations

from sqlalchemy import func, select

from fundapp.disbursements.models import DisbursementRequest
from fundapp.extensions import db
from fundapp.reconciliation.models import ReconciliationRun
from tests.conftest import login_as


def test_demo_loads_once_and_its_pages_render(app, runner):
    """Does the demo give an executed and a pending payout and a reconciliation run, unchanged by a
    second load, and do the public and auditor pages show them?"""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    states = sorted(db.session.scalars(select(DisbursementRequest.state)).all())
    assert "executed" in states and "approved" in states
    runs = db.session.scalar(select(func.count(ReconciliationRun.id)))
    assert runs == 1
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert sorted(db.session.scalars(select(DisbursementRequest.state)).all()) == states
    assert db.session.scalar(select(func.count(ReconciliationRun.id))) == 1

    paid = db.session.scalars(
        select(DisbursementRequest).where(DisbursementRequest.state == "executed")
    ).first()
    page = app.test_client().get(f"/projects/{paid.project_id}").get_data(as_text=True)
    assert paid.payee_name in page
    from fundapp.accounts.models import User

    auditor = db.session.scalar(select(User).where(User.email.like("auditor@%")))
    c = app.test_client()
    login_as(c, auditor)
    urls = ("/auditor/", "/auditor/trial-balance", "/auditor/pending", "/auditor/disbursements",
            "/reconciliation/", "/reconciliation/runs/1", "/audit/", "/disbursements/",
            f"/disbursements/{paid.id}", f"/projects/{paid.project_id}")  # fmt: skip
    for lang in ("en", "tg", "ru"):
        for url in urls:
            assert c.get(f"{url}?lang={lang}").status_code == 200, (url, lang)
    owner = c.application.test_client()
    login_as(owner, paid.project.owner)
    assert owner.get(f"/projects/{paid.project_id}/delivery?lang=tg").status_code == 200
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
