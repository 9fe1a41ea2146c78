"""Open data: the downloads stream, agree with the dashboard and the ledger, and the 360Giving
and IATI files validate against the published schemas."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from fundapp.transparency import services as svc
from tests.conftest import need

SCHEMAS = Path(__file__).resolve().parents[2].parent / "shared" / "schemas"


@pytest.fixture
def money_moved(books, project_in):
    a = project_in("fundraising", home_district="kulob")
    b = project_in("implementing", home_district="khujand", category="water")
    books.donate(a, 12_345, label="Rustam from Moscow")
    books.donate(b, 50_000, channel="stripe_clearing")
    books.donate(b, 7_000, currency="USD")
    books.fee(150)
    books.disburse(b, 20_000)
    books.repay(b, 1_000, 50)
    books.seal()
    return a, b


def _get(client, name):
    r = client.get(f"/transparency/data/{name}")
    assert r.status_code == 200
    assert r.is_streamed
    assert "attachment" in r.headers["Content-Disposition"]
    return r.data.decode("utf-8-sig")


def test_csv_downloads_add_up_to_the_balances(client, money_moved):
    """Summing the legs in legs.csv per account, do we get exactly the stored balances, and does
    entries.csv list every sealed entry once?"""
    entries = list(csv.DictReader(io.StringIO(_get(client, "entries.csv"))))
    assert [int(e["sequence"]) for e in entries] == list(range(1, 7))
    assert entries[0]["backer"] == "Rustam from Moscow" and entries[1]["backer"] == "anonymous backer"
    assert entries[3]["backer"] == ""  # a fee has no backer
    legs = list(csv.DictReader(io.StringIO(_get(client, "legs.csv"))))
    sums = defaultdict(int)
    for leg in legs:
        sign = 1 if leg["direction"] == "debit" else -1
        sums[(leg["account_code"], leg["currency"])] += sign * int(leg["amount_minor"])
        assert Decimal(leg["amount"]) * 100 == int(leg["amount_minor"])
    from fundapp.ledger.public import balances

    for b in balances():
        natural = b["debits"] - b["credits"]
        assert sums[(b["code"], b["currency"])] == natural


def test_json_downloads_match_the_csv(client, money_moved):
    """Do entries.json (entries with legs) and legs.json carry the same records as the CSVs?"""
    data = json.loads(_get(client, "entries.json"))
    assert [e["sequence"] for e in data["entries"]] == list(range(1, 7))
    assert sum(len(e["legs"]) for e in data["entries"]) == 13
    legs = json.loads(_get(client, "legs.json"))["legs"]
    assert len(legs) == 13
    assert data["entries"][0]["proof_url"] == "/api/v1/ledger/entries/1/proof"


def test_downloads_agree_with_dashboard_and_api(client, money_moved):
    """Does the received total recomputed from the download equal the dashboard's and the API's?"""
    data = json.loads(_get(client, "entries.json"))
    received = defaultdict(int)
    for e in data["entries"]:
        if e["kind"] == "donation":
            for leg in e["legs"]:
                if leg["account_type"] == "asset" and leg["direction"] == "debit":
                    received[leg["currency"]] += leg["amount_minor"]
    api = {t["currency"]: t for t in client.get("/api/v1/transparency/totals").get_json()["currencies"]}
    dash = {t.currency: t for t in svc.fund_totals()}
    for cur, amount in received.items():
        assert api[cur]["received"] == dash[cur].received == amount


def test_ledger_export_passes_the_offline_verifier(client, money_moved, tmp_path):
    """Does the verifier's download pass tools/verify_ledger.py, and fail once an amount is changed?"""
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("verify_ledger", root / "tools" / "verify_ledger.py")
    verifier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(verifier)
    path = tmp_path / "export.json"
    path.write_text(_get(client, "ledger-export.json"))
    out = io.StringIO()
    data = verifier.load(str(path))
    assert verifier.check(data, out=out).failures == 0, out.getvalue()
    data["entries"][1]["legs"][0][3] += 1
    assert verifier.check(data, out=io.StringIO()).failures > 0


def _grants(client):
    return json.loads(_get(client, "grants-360giving.json"))


def test_360giving_package_validates(client, money_moved):
    """Does the 360Giving download validate against the published package and grant schemas?"""
    need((SCHEMAS / "360giving").is_dir(), f"the 360Giving schemas are missing at {SCHEMAS}")
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    package = json.loads((SCHEMAS / "360giving" / "360-giving-package-schema.json").read_text())
    grant = json.loads((SCHEMAS / "360giving" / "360-giving-schema.json").read_text())
    grant_ref = package["properties"]["grants"]["items"]["$ref"]
    # The files name their dialect "http://…/draft/2020-12/schema" (not the canonical https URI),
    # so the dialect is given explicitly.
    resource = DRAFT202012.create_resource(grant)
    registry = Registry().with_resources([(grant_ref, resource), (grant["$id"], resource)])
    validator = Draft202012Validator(
        package, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    doc = _grants(client)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert len(doc["grants"]) == 1  # the project still raising money has been awarded nothing


def test_360giving_amounts_and_disbursements(client, money_moved):
    """Do the grants carry exact amounts, the place, the funder, and the disbursements made?"""
    a, b = money_moved
    grants = {g["id"]: g for g in _grants(client)["grants"]}
    gb = grants[f"360G-hamvatan-{b.id}"]
    assert gb["currency"] == "TJS" and gb["amountAwarded"] == 500.0  # received, not the goal
    assert gb["fundingOrganization"][0]["name"] == "Hamvatan Fund"
    assert gb["beneficiaryLocation"][0]["countryCode"] == "TJ"
    assert [t["value"] for t in gb["disbursementTransaction"]] == [200.0]
    assert gb["amountDisbursed"] == 200.0
    assert f"360G-hamvatan-{a.id}" not in grants


def test_iati_activities_validate(client, money_moved):
    """Does the IATI download validate against the IATI 2.03 activity schema?"""
    need((SCHEMAS / "iati-2.03").is_dir(), f"the IATI schemas are missing at {SCHEMAS}")
    import xmlschema

    schema = xmlschema.XMLSchema(str(SCHEMAS / "iati-2.03" / "iati-activities-schema.xsd"))
    xml = _get(client, "activities-iati.xml")
    errors = list(schema.iter_errors(xml))
    assert errors == [], [str(e)[:300] for e in errors[:3]]


def test_iati_transactions(client, money_moved):
    """Are incoming funds, disbursements and loan repayments there with the right type codes and
    exact values?"""
    from xml.etree import ElementTree as ET

    a, b = money_moved
    root = ET.fromstring(_get(client, "activities-iati.xml"))
    acts = {x.findtext("iati-identifier"): x for x in root.findall("iati-activity")}
    act = acts[f"XI-HAMVATAN-PROJECT-{b.id}"]
    tx = sorted(
        (t.find("transaction-type").get("code"), t.find("value").get("currency"), t.findtext("value"))
        for t in act.findall("transaction")
    )
    assert tx == [
        ("1", "TJS", "500.00"),
        ("1", "USD", "70.00"),
        ("3", "TJS", "200.00"),
        ("5", "TJS", "0.50"),
        ("6", "TJS", "10.00"),
    ]
    assert act.find("activity-status").get("code") == "2"


def test_downloads_stream_in_batches(app, books, project_in, monkeypatch):
    """Are entries read in bounded keyset batches (never all at once)?"""
    p = project_in("fundraising")
    for i in range(5):
        books.donate(p, 100 + i)
    books.seal()
    sizes = []
    real = svc.iter_entries

    def spy(batch=1000, **kw):
        sizes.append(batch)
        return real(batch=2, **kw)

    monkeypatch.setattr(svc, "iter_entries", spy)
    from fundapp.transparency import opendata

    lines = list(opendata.entries_csv())
    assert len(lines) == 6 and sizes


def test_each_iati_type_adds_up_to_the_ledger_and_a_repayment_counts_once(client, books, money_moved):
    """When a repayment is passed on to investors, is it still exported once (type 6 principal,
    type 5 interest), and do the exported values per type and project add up to the ledger's own
    figures: 1 = received − refunded, 3 = disbursed, 5 = interest, 6 = repayments − interest?"""
    from xml.etree import ElementTree as ET

    from fundapp.core.money import Money
    from fundapp.transparency import services as svc

    a, b = money_moved
    m = Money(1_050, "TJS")
    L = books.ledger.Leg
    books._post(
        "distribution", [L.debit(books.acc("general_fund"), m), L.credit(books.acc("bank"), m)], project=b
    )
    books.refund(b, 5_000)
    books.seal()
    root = ET.fromstring(_get(client, "activities-iati.xml"))
    for project in (a, b):
        act = next(
            x
            for x in root.findall("iati-activity")
            if x.findtext("iati-identifier").endswith(f"-{project.id}")
        )
        sums: dict[tuple[str, str], int] = {}
        for t in act.findall("transaction"):
            key = (t.find("transaction-type").get("code"), t.find("value").get("currency"))
            sums[key] = sums.get(key, 0) + Money.parse(t.findtext("value"), key[1]).amount
        for tot in svc.project_figures(project)["cash"]:  # as paid, in each currency
            c = tot.currency
            assert sums.get(("1", c), 0) == tot.received - tot.refunded, (project.id, c)
            assert sums.get(("3", c), 0) == tot.disbursed
            assert sums.get(("5", c), 0) == tot.interest
            assert sums.get(("6", c), 0) == tot.repayments - tot.interest
    assert sums[("6", "TJS")] == 1_000  # not 2 050: the payout to investors is not a second repayment


def test_iati_narratives_say_their_language(client, project_in, books):
    """Is a project's Tajik title tagged xml:lang="tg" and a Russian one "ru", while the fund's own
    English text keeps the activity's default "en"?"""
    from xml.etree import ElementTree as ET

    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    tj = project_in("implementing", title="Обёрасонии деҳаи Ғарм")
    ru = project_in("implementing", title="Водопровод для села")
    books.donate(tj, 100)
    books.seal()
    root = ET.fromstring(_get(client, "activities-iati.xml"))
    acts = {x.findtext("iati-identifier"): x for x in root.findall("iati-activity")}
    act_tj, act_ru = acts[f"XI-HAMVATAN-PROJECT-{tj.id}"], acts[f"XI-HAMVATAN-PROJECT-{ru.id}"]
    assert act_tj.get(lang) == "en"
    assert act_tj.find("title/narrative").get(lang) == "tg"
    assert act_ru.find("title/narrative").get(lang) == "ru"
    assert act_tj.find("reporting-org/narrative").get(lang) is None  # the fund's English name
