"""One set of books, many views: the dashboard, a project's money page, the JSON API, the downloads,
the funding domain's own counters and `flask ledger verify` must all tell the same story."""

from __future__ import annotations

import json
import re

from fundapp.core.money import Money
from fundapp.extensions import db


def _minor(html: str, key: str) -> int:
    m = re.search(rf'data-total="{key}">([\d,.]+)\s*[A-Z]{{3}}', html)
    assert m, key
    return int(m.group(1).replace(",", "").replace(".", ""))


def test_every_view_agrees_with_the_books(app, client, runner, people, project_in, books, make_user):
    """After donations through the funding services (by bank and money-transfer operator), a
    refund and a disbursement: do the dashboard, the project's money page, the APIs, the
    download and the funding counters agree, and do `flask ledger verify` and `flask transparency
    check` pass?"""
    from fundapp.funding import donations as donation_services
    from fundapp.funding import refunds

    app.config["TRANSPARENCY_MIN_GROUP_BACKERS"] = 1  # every country shown (small groups: test_privacy)
    p = project_in("fundraising", home_district="khujand")
    backers = [make_user("member", country_of_residence=c) for c in ("RU", "KZ", "RU")]
    donations = []
    for backer, (amount, method) in zip(
        backers, ((40_000, "bank"), (15_000, "mto"), (7_500, "bank")), strict=True
    ):
        donations.append(
            donation_services.start_donation(
                p, amount=Money(amount, "TJS"), method=method, email=None, backer=backer
            )
        )
    db.session.commit()
    for d in donations:
        donation_services.receive_donation(d, actor=people.treasurer, via=d.method)
    db.session.commit()
    refund = refunds.request_refund(
        donations[2], actor=people.treasurer, reason="Sent twice by mistake", bank_reference="PP-1"
    )
    refunds.confirm_refund(refund, actor=people.admin)
    db.session.commit()
    books.disburse(p, 10_000)
    books.seal()

    received, refunded, disbursed = 62_500, 7_500, 10_000
    held = received - refunded - disbursed

    dash = client.get("/transparency?lang=en").get_data(as_text=True)
    assert _minor(dash, "received-TJS") == received
    assert _minor(dash, "refunded-TJS") == refunded
    assert _minor(dash, "disbursed-TJS") == disbursed
    assert _minor(dash, "held-TJS") == held

    page = client.get(f"/projects/{p.id}/money?lang=en").get_data(as_text=True)
    assert _minor(page, "received-TJS") == received
    assert _minor(page, "held-TJS") == held
    assert _minor(page, "channel-bank-TJS") == 47_500 and _minor(page, "channel-mto-TJS") == 15_000

    totals = client.get("/api/v1/transparency/totals").get_json()
    tjs = next(t for t in totals["currencies"] if t["currency"] == "TJS")
    assert (tjs["received"], tjs["refunded"], tjs["disbursed"], tjs["held"]) == (
        received,
        refunded,
        disbursed,
        held,
    )
    assert totals["backers"] == 3

    countries = client.get("/api/v1/transparency/breakdown/country?currency=TJS").get_json()["items"]
    assert countries == [{"key": "RU", "amount": 47_500}, {"key": "KZ", "amount": 15_000}]

    # the funding domain's own counters: raised = received − refunded
    project_api = client.get(f"/api/v1/projects/{p.id}").get_json()
    assert project_api["raised"]["amount_minor"] == received - refunded

    # the ledger's published balances: what the project account holds
    balances = client.get("/api/v1/ledger/balances").get_json()["balances"]
    project_balance = next(b for b in balances if b["code"] == f"project:{p.id}")
    assert project_balance["balance"] == held

    # the download, summed by hand
    entries = json.loads(client.get("/transparency/data/entries.json").get_data(as_text=True))["entries"]
    cash_in = sum(
        leg["amount_minor"]
        for e in entries
        if e["kind"] == "donation"
        for leg in e["legs"]
        if leg["account_type"] == "asset" and leg["direction"] == "debit"
    )
    assert cash_in == received
    assert [e["backer"] for e in entries if e["kind"] == "donation"] == ["anonymous backer"] * 3

    verify = runner.invoke(args=["ledger", "verify"])
    assert verify.exit_code == 0, verify.output
    check = runner.invoke(args=["transparency", "check"])
    assert check.exit_code == 0, check.output
