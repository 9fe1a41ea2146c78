"""Demo payouts: on the implementing project an executed payout with evidence and an approved one
awaiting payment; on the completed project its payouts and milestone reports; and a reconciliation
run of the bank account. Idempotent: nothing is added when the projects already have payouts."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime

from sqlalchemy import select

from fundapp.core.money import Money
from fundapp.extensions import db

from . import services
from .models import DisbursementRequest, DisbursementState, MilestoneReport, MilestoneReportFile


def _png(rgb=(40, 120, 80)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    w = h = 8
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _upload(data: bytes, name: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data), filename=name)


def _fund(project, amount: Money) -> None:
    """The money the campaign raised, held for the project (the demo's backers were before the ledger)."""
    from fundapp.ledger import services as ledger

    if ledger.available(ledger.project_account(project.id, amount.currency)) >= amount:
        return
    ledger.post_entry(
        ledger.EntryKind.DONATION,
        [
            ledger.Leg.debit(ledger.get_account("bank", amount.currency), amount),
            ledger.Leg.credit(ledger.project_account(project.id, amount.currency), amount),
        ],
        memo=f"Campaign proceeds of project {project.id} (demo)",
        idempotency_key=f"demo:disbursements:proceeds:{project.id}",
        source_type="demo",
        source_id=project.id,
        project_id=project.id,
    )


def _evidence():
    return [
        services.EvidenceUpload(_upload(PDF, "hisob-faktura.pdf"), "invoice", "Ҳисобнома-фактура № 118"),
        services.EvidenceUpload(_upload(_png(), "site.png"), "photo", "Мавод дар майдони корӣ"),
        services.EvidenceUpload(_upload(PDF, "sanadi-qabul.pdf"), "act", "Санади қабули корҳо"),
    ]


def _request(project, milestone, owner, amount: Money, payee: str):
    return services.request_disbursement(
        project,
        milestone,
        actor=owner,
        amount=amount,
        payee_name=payee,
        payee_bank="ҶСК «Амонатбонк»",
        payee_account="TJ20 3500 0000 0000 1234",
        payee_bank_code="AMNBTJ22",
        work_done=f"{milestone.title}: мавод харида ва ба деҳа расонида шуд, устоҳо корро анҷом доданд.",
        evidence=_evidence(),
    )


def _decision_for(amount: Money, ctx, project):
    """The carried decision about ``project`` (the one that approved it, else the latest carried
    one, recorded as being about it too)."""
    from fundapp.council.services import tie_to_project

    if not services.needs_council_amount(amount):
        return None
    if project.council_decision is not None and project.council_decision.carried:
        return project.council_decision
    decisions = ctx.get("council_decisions") or []
    carried = [d for d in decisions if d.carried]
    if not carried:
        return None
    tie_to_project(carried[-1], project)
    return carried[-1]


def _historic_payout(project, milestone, users, amount: Money, ctx, n: int) -> DisbursementRequest:
    """A payout of a project that is already completed: the same ledger steps, recorded afterwards."""
    from fundapp.ledger import services as ledger

    admin, treasurer = users["administrator"], users["treasurer"]
    req = DisbursementRequest(
        project_id=project.id,
        milestone_id=milestone.id,
        requested_by_id=project.owner_id,
        amount_minor=amount.amount,
        amount_currency=amount.currency,
        payee_name="ХК «Сохтмони Ҳисор»",
        payee_bank="ҶСК «Ориёнбонк»",
        payee_account="TJ41 2000 0000 0000 5678",
        work_done=f"{milestone.title}: корҳо тибқи смета анҷом ёфтанд.",
        state=DisbursementState.REQUESTED.value,
    )
    db.session.add(req)
    services._store_evidence(
        req.evidence, services.DisbursementEvidence, _evidence(), actor=project.owner, field="e"
    )
    db.session.flush()
    decision = _decision_for(amount, ctx, project)
    pending = ledger.create_pending(
        ledger.EntryKind.DISBURSEMENT,
        [
            ledger.Leg.debit(ledger.project_account(project.id, amount.currency), amount),
            ledger.Leg.credit(ledger.get_account("bank", amount.currency), amount),
        ],
        memo=f"Disbursement #{req.id}: {project.title[:120]} — {milestone.title[:120]}",
        idempotency_key=f"disbursement:{req.id}:reserve",
        actor=admin,
        source_type="disbursement",
        source_id=req.id,
        project_id=project.id,
    )
    entry = ledger.post_pending(pending, actor=treasurer, idempotency_key=f"disbursement:{req.id}:execute")
    now = datetime.now(UTC)
    req.pending_transfer_id = pending.id
    req.decided_by_id, req.decided_at = admin.id, now
    req.council_decision_id = decision.id if decision is not None else None
    req.executed_by_id, req.executed_at = treasurer.id, now
    req.bank_reference = f"ORN-2026-{n:04d}"
    req.journal_entry_id = entry.id
    req.state = DisbursementState.EXECUTED.value
    from fundapp.files.services import make_public

    for ev in req.evidence:
        make_public(ev.file)
    report = MilestoneReport(
        project_id=project.id, milestone=milestone, author_id=project.owner_id, summary=req.work_done
    )
    report.files.append(MilestoneReportFile(file=req.evidence[1].file, caption="Пас аз анҷоми кор"))
    db.session.add(report)
    milestone.status = "done"
    db.session.flush()
    return req


def load(ctx: dict) -> None:
    users = ctx.get("users") or {}
    projects = ctx.get("projects") or {}
    needed = ("administrator", "administrator2", "treasurer", "treasurer2", "auditor")
    if any(users.get(k) is None for k in needed):
        return
    implementing = (projects.get("implementing") or [None])[0]
    completed = (projects.get("completed") or [None])[0]
    if implementing is not None and not _has_payouts(implementing):
        _fund(implementing, implementing.goal)
        first, second = implementing.milestones[0], implementing.milestones[1]
        paid = _request(implementing, first, implementing.owner, first.amount, "ҶДММ «Энергия-Помир»")
        services.approve_disbursement(
            paid,
            actor=users["administrator"],
            council_decision=_decision_for(first.amount, ctx, implementing),
        )
        services.execute_disbursement(paid, actor=users["treasurer"], bank_reference="AMN-2026-0311")
        services.start_milestone(second, actor=implementing.owner)
        waiting = _request(implementing, second, implementing.owner, second.amount, "ҶДММ «Канал-Сохт»")
        services.approve_disbursement(
            waiting,
            actor=users["administrator2"],
            council_decision=_decision_for(second.amount, ctx, implementing),
        )
        db.session.flush()
    if completed is not None and not _has_payouts(completed):
        _fund(completed, completed.goal)
        for n, milestone in enumerate(completed.milestones, start=1):
            _historic_payout(completed, milestone, users, milestone.amount, ctx, n)
    _reconcile(users["auditor"])


def _has_payouts(project) -> bool:
    return (
        db.session.scalar(select(DisbursementRequest.id).where(DisbursementRequest.project_id == project.id))
        is not None
    )


def _reconcile(auditor) -> None:
    """A bank statement of the demo's bank movements in somoni: all but one as in the ledger, one
    receipt 10 somoni short, one bank fee the ledger does not know."""
    from fundapp.reconciliation import services as reconciliation
    from fundapp.reconciliation.models import ReconciliationRun

    if db.session.scalar(select(ReconciliationRun.id)) is not None:
        return
    today = datetime.now(UTC).date()
    items = reconciliation.ledger_items("bank", "TJS", today.replace(day=1), today)
    if len(items) < 2:
        return
    rows = ["date,amount,currency,reference,counterparty"]
    for i, item in enumerate(items[:-1]):  # the last movement is missing from the statement
        amount = item.amount.amount - (1000 if i == 0 and item.amount.amount > 1000 else 0)
        ref = next((r for r in item.references if len(r) <= 40), "")
        rows.append(f"{item.on.isoformat()},{Money(amount, 'TJS').to_decimal()},TJS,{ref},Амонатбонк")
    rows.append(f"{today.isoformat()},-25.00,TJS,FEE-{today:%Y%m},Хизматрасонии бонк")
    reconciliation.import_bank_statement(
        ("\n".join(rows) + "\n").encode(), actor=auditor, filename="demo.csv"
    )
