"""Fixtures for disbursements: the cast of a payout, a funded project holding its money, evidence."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from werkzeug.datastructures import FileStorage

from fundapp.core.money import Money
from fundapp.extensions import db


def png_bytes() -> bytes:
    """A real 1×1 PNG, so that content detection accepts it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def evidence(kind: str = "invoice", name: str = "invoice.png", caption: str = "Invoice No. 17"):
    from fundapp.disbursements.services import EvidenceUpload

    return EvidenceUpload(FileStorage(io.BytesIO(png_bytes()), filename=name), kind=kind, caption=caption)


@pytest.fixture
def cast(make_user):
    """The people of a payout: the owner, two administrators, two treasurers, reviewers, a person
    who is both administrator and treasurer, an auditor and a stranger."""

    class Cast:
        owner = make_user("member", full_name="Farrukh Saidov")
        admin = make_user("administrator", full_name="Zarina Odinaeva")
        admin2 = make_user("administrator", full_name="Rustam Nazarov")
        treasurer = make_user("treasurer", full_name="Malika Sharipova")
        treasurer2 = make_user("treasurer", full_name="Jamshed Kurbonov")
        both = make_user("administrator", "treasurer", full_name="Sino Rahimova")
        reviewer1 = make_user("reviewer")
        reviewer2 = make_user("reviewer")
        auditor = make_user("auditor")
        stranger = make_user("member")

    return Cast


@pytest.fixture
def funded_project(app, cast):
    """``funded_project(goal="30000", held="30000")`` → a funded project of ``cast.owner`` whose
    project account holds ``held`` (posted as donations through the ledger)."""
    from fundapp.ledger import services as ledger
    from fundapp.proposals.factories import advance, create_complete_draft

    def make(
        goal: str = "30000", held: str | None = None, state: str = "funded", currency: str = "TJS", owner=None
    ):
        project = create_complete_draft(owner or cast.owner, goal=goal, currency=currency)
        decision = None
        from fundapp.proposals.services import needs_council

        if needs_council(project):
            decision = council_decision(cast.admin)
        advance(
            project,
            state,
            admin=cast.admin,
            reviewers=[cast.reviewer1, cast.reviewer2],
            council_decision=decision,
        )
        amount = Money.parse(held or goal, currency)
        if amount.amount:
            ledger.post_entry(
                ledger.EntryKind.DONATION,
                [
                    ledger.Leg.debit(ledger.get_account("bank", currency), amount),
                    ledger.Leg.credit(ledger.project_account(project.id, currency), amount),
                ],
                memo=f"Donations to project {project.id}",
                idempotency_key=f"test-donation:{project.id}",
                project_id=project.id,
            )
        db.session.commit()
        return project

    return make


_numbers = iter(range(1, 10_000))


def council_decision(admin, *, carried: bool = True, project=None):
    """A decision, about ``project`` when given (only then may the project cite it)."""
    from datetime import date

    from fundapp.council.models import CouncilDecision

    decision = CouncilDecision(
        number=f"CC-2026/{next(_numbers):03d}",
        decided_on=date(2026, 3, 1),
        agenda_item="Payout for the school roof",
        summary="The Council authorises the payout.",
        votes_for=7 if carried else 2,
        votes_against=1 if carried else 6,
        votes_abstained=0,
        recorded_by_id=admin.id,
    )
    db.session.add(decision)
    db.session.flush()
    if project is not None:
        from fundapp.council.services import tie_to_project

        tie_to_project(decision, project)
    return decision


@pytest.fixture
def requested(app, cast, funded_project):
    """``requested(amount="10000")`` → a fresh disbursement request (committed) on a funded project."""
    from fundapp.disbursements import services

    def make(amount: str = "10000", project=None, milestone_index: int = 0):
        project = project or funded_project()
        req = services.request_disbursement(
            project,
            project.milestones[milestone_index],
            actor=project.owner,
            amount=Money.parse(amount, project.currency),
            payee_name="Kulob Roofing LLC",
            payee_bank="Amonatbonk",
            payee_account="TJ12 3456 7890 1234",
            payee_bank_code="AMNTJ22",
            work_done="Steel sheets bought and delivered to the school.",
            evidence=[evidence(), evidence("photo", "site.png", "The sheets at the school")],
        )
        db.session.commit()
        return req

    return make
