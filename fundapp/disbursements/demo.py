"""Demo payouts, on the demo's timeline: the implementing project's first milestone paid and
reported months ago and its second approved this week, awaiting payment; the completed project's
payouts and milestone reports, which completed it; and a reconciliation run of the bank account.
Idempotent: nothing is added when the projects already have payouts."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta

from sqlalchemy import select

from fundapp.core.db import utcnow
from fundapp.core.demo import schedule
from fundapp.core.money import Money
from fundapp.council.services import tie_to_project
from fundapp.extensions import db
from fundapp.proposals import services as proposals

from . import services
from .models import DisbursementRequest


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


def _payout(ctx, project, milestone, *, at, payee: str, bank_reference: str | None, started: bool = False):
    """The owner asks for a milestone's money at ``at``; an administrator approves two days later;
    a treasurer pays it two days after that (when ``bank_reference`` is given)."""
    users = ctx["users"]
    holder: dict = {}

    def ask():
        if started:
            services.start_milestone(milestone, actor=project.owner)
        holder["req"] = _request(project, milestone, project.owner, milestone.amount, payee)

    def approve():
        services.approve_disbursement(
            holder["req"],
            actor=users["administrator"],
            council_decision=_decision_for(milestone.amount, ctx, project),
        )

    def pay():
        services.execute_disbursement(holder["req"], actor=users["treasurer"], bank_reference=bank_reference)

    schedule(ctx, at, ask)
    schedule(ctx, at + timedelta(days=2), approve)
    if bank_reference:
        schedule(ctx, at + timedelta(days=4), pay)


def _report(ctx, project, milestone, *, at, summary: str) -> None:
    def report():
        services.report_milestone_done(
            milestone,
            actor=project.owner,
            summary=summary,
            evidence=[
                services.EvidenceUpload(
                    _upload(_png((90, 140, 60)), "pas-az-kor.png"), "photo", "Пас аз кор"
                ),
                services.EvidenceUpload(_upload(PDF, "sanadi-qabul.pdf"), "act", "Санади қабули корҳо"),
            ],
        )

    schedule(ctx, at, report)


def _begin(ctx, project, at) -> None:
    def begin():
        proposals.start_implementation(project, actor=ctx["users"]["administrator"])
        proposals.post_update(
            project,
            actor=project.owner,
            title="Корҳо сар шуданд",
            body="Мавод ба деҳа расид, устоҳо кор мекунанд. Ташаккур ба ҳамаи ҳамватанон!",
        )

    schedule(ctx, at, begin)


def _schedule_implementing(ctx, project) -> None:
    """Funded half a year ago: the first milestone paid and reported, the second asked for this
    week and approved, waiting for the treasurer."""
    closed = project.campaign_ends_at + timedelta(days=3)
    first, second = project.milestones[0], project.milestones[1]
    _begin(ctx, project, closed)
    _payout(ctx, project, first, at=closed + timedelta(days=30), payee="ҶДММ «Энергия-Помир»",
            bank_reference="AMN-2026-0311")  # fmt: skip
    _report(ctx, project, first, at=closed + timedelta(days=70),
            summary="Турбина ва генератор ба Ванҷ оварда шуданд; санади қабул имзо шуд.")  # fmt: skip
    _payout(ctx, project, second, at=utcnow() - timedelta(days=6), payee="ҶДММ «Канал-Сохт»",
            bank_reference=None, started=True)  # fmt: skip


def _schedule_completed(ctx, project) -> None:
    """Funded ten months ago, built in five: both milestones paid and reported, which completed it."""
    closed = project.campaign_ends_at + timedelta(days=3)
    first, second = project.milestones[0], project.milestones[1]
    _begin(ctx, project, closed)
    _payout(ctx, project, first, at=closed + timedelta(days=20), payee="ХК «Сохтмони Ҳисор»",
            bank_reference="ORN-2026-0001")  # fmt: skip
    _report(ctx, project, first, at=closed + timedelta(days=60),
            summary="Бом ва тирезаҳои боғча иваз шуданд; сурат ва санади қабул замима шуданд.")  # fmt: skip
    _payout(ctx, project, second, at=closed + timedelta(days=120), payee="ХК «Сохтмони Ҳисор»",
            bank_reference="ORN-2026-0002", started=True)  # fmt: skip
    _report(ctx, project, second, at=closed + timedelta(days=150),
            summary="Ҳоҷатхона ва майдончаи бозӣ сохта шуданд; боғча 80 кӯдакро қабул кард.")  # fmt: skip


def load(ctx: dict) -> None:
    users = ctx.get("users") or {}
    projects = ctx.get("projects") or {}
    needed = ("administrator", "administrator2", "treasurer", "treasurer2", "auditor")
    if any(users.get(k) is None for k in needed):
        return
    implementing = (projects.get("implementing") or [None])[0]
    completed = (projects.get("completed") or [None])[0]
    if implementing is not None and not _has_payouts(implementing):
        _schedule_implementing(ctx, implementing)
    if completed is not None and not _has_payouts(completed):
        _schedule_completed(ctx, completed)


def _has_payouts(project) -> bool:
    return (
        db.session.scalar(select(DisbursementRequest.id).where(DisbursementRequest.project_id == project.id))
        is not None
    )
