"""``/api/v1/projects``: published projects as JSON (public, paginated)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _

from fundapp.core import geo
from fundapp.core.params import whole_number
from fundapp.core.security import public
from fundapp.extensions import db

from . import services
from .models import Project

bp = Blueprint("proposals_api", __name__, url_prefix="/api/v1")


def _money(m) -> dict | None:
    if m is None:
        return None
    return {"amount_minor": m.amount, "currency": m.currency, "amount": str(m.to_decimal())}


def _iso(value):
    return value.isoformat() if value is not None else None


def _campaign(prog: dict, p: Project) -> tuple:
    money = prog.get("money")
    if money is not None and money.campaign is not None:
        return money.campaign.starts_at, money.campaign.ends_at
    return p.campaign_starts_at, p.campaign_ends_at


def project_summary(p: Project, prog: dict | None = None) -> dict:
    """A project's public summary; its figures are the one account of its money
    (``services.progress``), stated with the ledger tree size they cover."""
    prog = prog if prog is not None else services.progress(p)
    money = prog.get("money")
    starts, ends = _campaign(prog, p)
    return {
        "id": p.id,
        "title": p.title,
        "summary": p.summary,
        "state": p.state,
        "category": p.category,
        "category_name": str(geo.category_name(p.category)),
        "home_region": p.home_region,
        "home_district": p.home_district,
        "funding_model": p.funding_model,
        "goal": _money(p.goal),
        "raised": _money(prog["raised"]),
        "pledged": _money(prog["pledged"]),
        "percent": prog["percent"],
        "backers": prog["backers"],
        "money": money.as_dict() if money is not None else None,
        "campaign_starts_at": _iso(starts),
        "campaign_ends_at": _iso(ends),
        "published_at": _iso(p.published_at),
        "url": url_for("proposals.project_detail", project_id=p.id, _external=True),
    }


@bp.get("/projects")
@public
def projects():
    page = whole_number(request.args.get("page", "1"))
    per_page = whole_number(request.args.get("per_page", "20"))
    if page is None or per_page is None:
        abort(400)
    page, per_page = max(1, min(page, 10_000)), max(1, min(per_page, 100))
    from .routes import search_projects

    items, total, pages = search_projects(request.args, page, per_page)
    progress = services.progress_many(items)
    return jsonify(
        items=[project_summary(p, progress[p.id]) for p in items],
        page=page,
        per_page=per_page,
        total=total,
        pages=pages,
    )


@bp.get("/projects/<int:project_id>")
@public
def project(project_id: int):
    p = db.session.get(Project, project_id)
    if p is None or not p.is_public:
        abort(404)
    prog = services.progress(p)
    data = project_summary(p, prog)
    states = {m.milestone_id: m for m in prog["money"].milestones} if prog.get("money") else {}
    data.update(
        description_html=p.description_html,
        diaspora_organisation=p.diaspora_organisation,
        campaign_days=p.campaign_days,
        loan=(
            {
                "annual_rate_bp": p.annual_rate_bp,
                "term_months": p.term_months,
                "repayment_type": p.repayment_type,
            }
            if p.funding_model == "loan"
            else None
        ),
        budget=[{"label": b.label, "amount": _money(b.amount)} for b in p.budget_lines],
        milestones=[
            {
                "id": m.id,
                "title": m.title,
                "due_date": _iso(m.due_date),
                "amount": _money(m.amount),
                "status": m.status,
                "state": states[m.id].state if m.id in states else m.status,
                "paid": _money(states[m.id].paid) if m.id in states else None,
            }
            for m in p.milestones
        ],
        team=[
            {"name": p.public_team_name(t) or str(_("Project team")), "role": t.role} for t in p.team_members
        ],
        council_decision=(
            {"id": p.council_decision.id, "number": p.council_decision.number} if p.council_decision else None
        ),
        timeline=[
            {"kind": e.kind, "to_state": e.to_state, "at": _iso(e.created_at), "text": e.text}
            for e in p.timeline
            if e.public
        ],
        updates=[{"title": u.title, "body_html": u.body_html, "at": _iso(u.created_at)} for u in p.updates],
    )
    return jsonify(data)
