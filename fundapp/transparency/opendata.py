"""Open data: the journal as CSV and JSON, projects as 360Giving-style grants and IATI-style
activities. Every builder is a generator that reads in keyset batches, so a download of any size
streams in bounded memory and time per chunk.

Amounts are written from integer minor units as exact decimal text (never through a float).
No personal data: backers appear as their public label or "anonymous backer", recipients as the
project (never the owner's name), places as region and district.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from xml.etree import ElementTree as ET

from flask import url_for
from sqlalchemy import select

from fundapp.core.csvfile import csv_chunks
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.ledger import public as records
from fundapp.ledger.encoding import format_time
from fundapp.ledger.models import Checkpoint, JournalEntry
from fundapp.proposals.models import PUBLIC_STATES, Project

from . import counters
from . import services as svc

FUND_ID = "XI-HAMVATAN"
FUND_NAME = "Hamvatan Fund"
GRANT_PREFIX = "360G-hamvatan-"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
ANONYMOUS = "anonymous backer"
BACKER_KINDS = frozenset({"donation", "pledge_collection", "investment", "refund", "distribution"})
ENTRY_FIELDS = (
    "sequence",
    "posted_at",
    "kind",
    "memo",
    "project_id",
    "backer",
    "reverses_sequence",
    "leg_count",
    "leaf_hash",
    "proof_url",
)
LEG_FIELDS = (
    "sequence",
    "leg",
    "account_code",
    "account_name",
    "account_type",
    "account_project_id",
    "direction",
    "amount_minor",
    "amount",
    "currency",
)


def decimal_text(amount_minor: int, currency: str) -> str:
    exp = Money(0, currency).to_decimal().as_tuple().exponent  # -2 for TJS, 0 for JPY
    return f"{Money(int(amount_minor), currency).to_decimal():.{-exp}f}"


def backer_text(entry) -> str:
    if entry.kind not in BACKER_KINDS:
        return ""
    return entry.backer_label or ANONYMOUS


def entry_record(entry) -> dict:
    return {
        "sequence": entry.sequence,
        "posted_at": entry.posted_at.astimezone(UTC).isoformat(),
        "kind": entry.kind,
        "memo": entry.memo,
        "project_id": entry.project_id,
        "backer": backer_text(entry) or None,
        "reverses_sequence": entry.reverses_sequence,
        "leg_count": entry.leg_count,
        "leaf_hash": entry.leaf_hash.hex() if entry.leaf_hash else None,
        "proof_url": f"/api/v1/ledger/entries/{entry.sequence}/proof",
    }


def leg_records(entry) -> list[dict]:
    out = []
    for i, leg in enumerate(entry.legs, start=1):
        acc = leg.account
        out.append(
            {
                "sequence": entry.sequence,
                "leg": i,
                "account_code": acc.code,
                "account_name": acc.name,
                "account_type": acc.type,
                "account_project_id": acc.project_id,
                "direction": leg.direction,
                "amount_minor": int(leg.amount_minor),
                "amount": decimal_text(leg.amount_minor, leg.currency),
                "currency": leg.currency,
            }
        )
    return out


def _coverage_fields(cov) -> str:
    """The JSON fields that say which ledger entries a download includes (``counters.coverage()``)."""
    checkpoint = (
        {
            "tree_size": cov.checkpoint_size,
            "root_hash": cov.checkpoint_root.hex() if cov.checkpoint_root else None,
            "signed_at": cov.checkpoint_signed_at.astimezone(UTC).isoformat()
            if cov.checkpoint_signed_at
            else None,
        }
        if cov.checkpoint_size is not None
        else None
    )
    return f'"tree_size": {int(cov.tree_size)}, "checkpoint": {json.dumps(checkpoint)}, '


def _cov(cov):
    return cov if cov is not None else counters.coverage()


def entries_csv(cov=None) -> Iterator[str]:
    """Every entry sealed within the coverage's tree size (stated in the response's headers)."""
    size = _cov(cov).tree_size
    return csv_chunks(
        ENTRY_FIELDS,
        ([rec[f] for f in ENTRY_FIELDS] for rec in map(entry_record, svc.iter_entries(upto=size))),
    )


def legs_csv(cov=None) -> Iterator[str]:
    size = _cov(cov).tree_size
    rows = (
        [rec[f] for f in LEG_FIELDS] for entry in svc.iter_entries(upto=size) for rec in leg_records(entry)
    )
    return csv_chunks(LEG_FIELDS, rows)


def entries_json(cov=None) -> Iterator[str]:
    """``{"tree_size", "checkpoint", "entries": [{…, "legs": [...]}, …]}`` streamed entry by
    entry: exactly the entries 1 … tree_size."""
    cov = _cov(cov)
    yield '{"license": ' + json.dumps(LICENSE) + ", " + _coverage_fields(cov) + '"entries": ['
    first = True
    for entry in svc.iter_entries(upto=cov.tree_size):
        rec = entry_record(entry)
        rec["legs"] = leg_records(entry)
        yield ("" if first else ",") + "\n" + json.dumps(rec, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def legs_json(cov=None) -> Iterator[str]:
    cov = _cov(cov)
    yield '{"license": ' + json.dumps(LICENSE) + ", " + _coverage_fields(cov) + '"legs": ['
    first = True
    for entry in svc.iter_entries(upto=cov.tree_size):
        for rec in leg_records(entry):
            yield ("" if first else ",") + "\n" + json.dumps(rec, ensure_ascii=False)
            first = False
    yield "\n]}\n"


# -- projects ---------------------------------------------------------------------------------------
def iter_public_projects(batch: int = 200):

    last = 0
    while True:
        rows = list(
            db.session.scalars(
                select(Project)
                .where(
                    Project.id > last,
                    Project.state.in_([s.value for s in PUBLIC_STATES]),
                    Project.published_at.is_not(None),
                )
                .order_by(Project.id)
                .limit(batch)
            )
        )
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id


def project_entries(project_id: int, batch: int = 500):
    """The project's sealed entries, oldest first, via the (project_id, sequence) index."""
    last = 0
    while True:
        rows = list(
            db.session.scalars(
                select(JournalEntry)
                .where(JournalEntry.project_id == project_id, JournalEntry.sequence > last)
                .order_by(JournalEntry.sequence)
                .limit(batch)
            )
        )
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].sequence
        svc.release(rows)


def _date(value) -> str | None:
    return value.astimezone(UTC).date().isoformat() if value else None


def _datetime(value) -> str | None:
    """360Giving dates as full date-times: its schema's oneOf(date-time, YYYY-MM-DD) is then
    unambiguous whether or not a validator checks formats."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat() if value else None


class _Num:
    """A number written verbatim into JSON (exact decimal text)."""

    def __init__(self, text: str):
        self.text = text


def _dumps(value) -> str:
    if isinstance(value, _Num):
        return value.text
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)}: {_dumps(v)}" for k, v in value.items() if v is not None) + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_dumps(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def grant_record(project) -> dict:
    from fundapp.core.geo import category_name, district_name, region_name

    figures = svc.project_figures(project)
    own = next((t for t in figures["currencies"] if t.currency == project.currency), None)
    disbursements = []
    for entry in project_entries(project.id):
        for metric, currency, _channel, amount in counters.classify(entry):
            if metric == "disbursed" and amount:
                disbursements.append(
                    {
                        "id": f"{GRANT_PREFIX}{project.id}-{entry.sequence}",
                        "transactionDate": _datetime(entry.posted_at),
                        "currency": currency,
                        "value": _Num(decimal_text(amount, currency)),
                        "description": entry.memo[:500],
                    }
                )
    award = project.decided_at or project.published_at or project.created_at
    awarded = max((own.received - own.refunded) if own else 0, own.disbursed if own else 0)
    record = {
        "id": f"{GRANT_PREFIX}{project.id}",
        "title": project.title,
        "description": project.summary or project.title,
        "currency": project.currency,
        "amountAppliedFor": _Num(decimal_text(project.goal_minor, project.currency)),
        "amountAwarded": _Num(decimal_text(awarded, project.currency)),
        "amountDisbursed": _Num(decimal_text(own.disbursed if own else 0, project.currency)),
        "awardDate": _datetime(award),
        "url": url_for("proposals.project_detail", project_id=project.id, _external=True)
        if _has_endpoint("proposals.project_detail")
        else None,
        "recipientOrganization": [
            {"id": f"{FUND_ID}-PROJECT-{project.id}", "name": f"{project.title} (project team)"}
        ],
        "fundingOrganization": [{"id": FUND_ID, "name": FUND_NAME}],
        "beneficiaryLocation": [
            {
                "name": f"{district_name(project.home_region, project.home_district)}, "
                f"{region_name(project.home_region)}",
                "countryCode": "TJ",
                "geoCode": f"{project.home_region}/{project.home_district}",
                "geoCodeType": "hamvatan-district",
            }
        ],
        "classifications": [
            {
                "vocabulary": "hamvatan-category",
                "code": project.category,
                "title": str(category_name(project.category)),
            }
        ],
        "disbursementTransaction": disbursements,
        "dateModified": project.updated_at.astimezone(UTC).isoformat() if project.updated_at else None,
    }
    if project.campaign_starts_at:
        record["plannedDates"] = [
            {
                "startDate": _datetime(project.campaign_starts_at),
                **({"endDate": _datetime(project.campaign_ends_at)} if project.campaign_ends_at else {}),
            }
        ]
    if not disbursements:
        record.pop("disbursementTransaction")
    return record


# A project's money has been awarded once its campaign succeeded; a project that failed or was
# cancelled was awarded only what it was actually paid.
AWARDED_STATES = frozenset({"funded", "implementing", "completed"})


def is_grant(project) -> bool:
    """Is the project a 360Giving grant: money given (not lent) and actually awarded? A campaign
    still raising has been awarded nothing yet; a loan is not a grant."""
    if project.funding_model == "loan":
        return False
    if project.state in AWARDED_STATES:
        return True
    own = next(
        (t for t in svc.project_figures(project)["currencies"] if t.currency == project.currency), None
    )
    return bool(own and own.disbursed)


def _has_endpoint(name: str) -> bool:
    from flask import current_app

    return name in current_app.view_functions


def grants_json() -> Iterator[str]:
    """A 360Giving data package (``{"grants": [...]}``) of every published project."""
    now = datetime.now(UTC)
    head = {
        "version": "1.4",
        "title": "Hamvatan Fund projects",
        "description": "Projects published by the Hamvatan Fund, as 360Giving grants.",
        "issued": now.replace(microsecond=0).isoformat(),
        "modified": now.replace(microsecond=0).isoformat(),
        "identifier": "hamvatan-grants",
        "publisher": {"identifier": FUND_ID, "name": FUND_NAME},
        "license": LICENSE,
    }
    yield _dumps(head)[:-1] + ', "grants": ['
    first = True
    for project in iter_public_projects():
        if not is_grant(project):
            continue
        yield ("" if first else ",") + "\n" + _dumps(grant_record(project))
        first = False
    yield "\n]}\n"


# -- IATI -----------------------------------------------------------------------------------------
ACTIVITY_STATUS = {
    "fundraising": "1",  # pipeline/identification
    "funded": "2",
    "implementing": "2",  # implementation
    "completed": "4",  # closed
    "unsuccessful": "5",  # cancelled
    "cancelled": "5",
}
TRANSACTION_TYPES = {
    "received": ("1", "Incoming funds"),
    "refunded": ("1", "Refund to backers (negative incoming funds)"),
    "disbursed": ("3", "Disbursement"),
    "repayments": ("6", "Loan repayment"),
    "interest": ("5", "Interest payment"),
}
# Not exported: "repaid", the fund passing a project's repayment on to its investors. The
# repayment itself is the loan's movement (type 6 for the principal, 5 for the interest); the
# payout moves the same money again, and exporting it too would count every repayment twice.


_TAJIK_LETTERS = frozenset("ғӣқӯҳҷҒӢҚӮҲҶ")


def text_language(text: str) -> str:
    """The language of text the project's people wrote: Tajik (Cyrillic with Tajik letters),
    Russian (other Cyrillic) or English, for IATI's xml:lang."""
    if any(ch in _TAJIK_LETTERS for ch in text):
        return "tg"
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        return "ru"
    return "en"


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _narrative(parent, tag: str, text: str, *, written_by_people: bool = False, **attrs):
    """An element with one narrative; text people wrote carries its own xml:lang (the
    activity's default language is English, the language of what the fund writes)."""
    el = ET.SubElement(parent, tag, attrs)
    narrative = ET.SubElement(el, "narrative")
    narrative.text = text
    if written_by_people and (lang := text_language(text)) != "en":
        narrative.set(XML_LANG, lang)
    return el


def activity_element(project) -> ET.Element:
    from fundapp.core.geo import category_name, district_name, region_name

    act = ET.Element(
        "iati-activity",
        {
            "last-updated-datetime": (project.updated_at or project.created_at)
            .astimezone(UTC)
            .replace(microsecond=0)
            .isoformat(),
            XML_LANG: "en",
            "default-currency": project.currency,
        },
    )
    ET.SubElement(act, "iati-identifier").text = f"{FUND_ID}-PROJECT-{project.id}"
    _narrative(act, "reporting-org", FUND_NAME, ref=FUND_ID, type="22")
    _narrative(act, "title", project.title, written_by_people=True)
    _narrative(act, "description", project.summary or project.title, written_by_people=True, type="1")
    _narrative(act, "participating-org", FUND_NAME, ref=FUND_ID, role="1", type="22")
    _narrative(act, "participating-org", f"{project.title} (project team)", written_by_people=True, role="4")
    ET.SubElement(act, "activity-status", code=ACTIVITY_STATUS.get(project.state, "2"))
    start = project.campaign_starts_at or project.published_at or project.created_at
    ET.SubElement(act, "activity-date", type="2", **{"iso-date": _date(start)})
    ET.SubElement(act, "recipient-country", code="TJ", percentage="100")
    loc = ET.SubElement(act, "location", ref=f"{project.home_region}/{project.home_district}")
    ET.SubElement(
        ET.SubElement(loc, "name"), "narrative"
    ).text = (
        f"{district_name(project.home_region, project.home_district)}, {region_name(project.home_region)}"
    )
    _narrative(act, "sector", str(category_name(project.category)), vocabulary="99", code=project.category)
    for entry in project_entries(project.id):
        parts = counters.classify(entry)
        interest = {c: a for m, c, _ch, a in parts if m == "interest"}
        for metric, currency, _channel, amount in parts:
            if metric not in TRANSACTION_TYPES or metric == "fees" or not amount:
                continue
            if metric == "repayments":
                amount -= interest.get(currency, 0)  # the principal part; interest is its own line
                if not amount:
                    continue
            if metric == "refunded":
                amount = -amount
            code, label = TRANSACTION_TYPES[metric]
            tx = ET.SubElement(act, "transaction", ref=f"{entry.sequence}-{metric}")
            ET.SubElement(tx, "transaction-type", code=code)
            day = _date(entry.posted_at)
            ET.SubElement(tx, "transaction-date", **{"iso-date": day})
            value = ET.SubElement(tx, "value", currency=currency, **{"value-date": day})
            value.text = decimal_text(amount, currency)
            _narrative(tx, "description", f"{label}: ledger entry {entry.sequence}")
    return act


def iati_xml() -> Iterator[str]:
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<iati-activities version="2.03" generated-datetime="{now}">\n'
    for project in iter_public_projects():
        yield ET.tostring(activity_element(project), encoding="unicode") + "\n"
    yield "</iati-activities>\n"


# -- the verifier's format ------------------------------------------------------------------------
def ledger_export() -> Iterator[str]:
    """The public ledger in the format ``tools/verify_ledger.py`` checks offline (the same as
    ``flask ledger export``), streamed: the latest signed checkpoint, the balances and every entry
    it covers. Read-only: it signs nothing new."""

    cov = counters.coverage()
    cp = None
    if cov.checkpoint_size is not None:
        cp = db.session.scalars(
            select(Checkpoint)
            .where(Checkpoint.tree_size == cov.checkpoint_size)
            .order_by(Checkpoint.id.desc())
            .limit(1)
        ).first()
    record = records.checkpoint_record(cp) if cp is not None else None
    size = cp.tree_size if cp is not None else 0
    yield '{"format":"hamvatan-fund-ledger-export/v1",'
    yield f'"exported_at":{json.dumps(format_time(datetime.now(UTC)))},'
    yield f'"public_key":{json.dumps(record["public_key"] if record else None)},'
    yield f'"checkpoint":{json.dumps(record)},'
    yield f'"checkpoints":{json.dumps([record] if record else [])},'
    # the balances as exactly the listed entries make them (the checkpoint's tree size)
    yield f'"balances_tree_size":{size},'
    yield f'"balances":{json.dumps(records.balances(as_of=size))},'
    yield '"entries":['
    after, first = 0, True
    while after < size:
        chunk = [e for e in records.entries_after(after, min(1000, size - after)) if e["seq"] <= size]
        if not chunk:
            break
        for e in chunk:
            yield ("" if first else ",") + json.dumps(e, sort_keys=True)
            first = False
        after = chunk[-1]["seq"]
    yield "]}\n"
