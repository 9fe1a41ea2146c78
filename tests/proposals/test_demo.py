"""Demo data: projects in every state, reviews and Council decisions, loaded twice without duplicates."""

from __future__ import annotations

from sqlalchemy import func, select

from fundapp.extensions import db
from fundapp.proposals.models import Project, ProjectState


def _load(ctx):
    from fundapp.accounts import demo as accounts_demo
    from fundapp.council import demo as council_demo
    from fundapp.proposals import demo as proposals_demo
    from fundapp.reviews import demo as reviews_demo

    for module in (accounts_demo, council_demo, proposals_demo, reviews_demo):
        module.load(ctx)
        db.session.commit()


def test_demo_projects_cover_every_state_and_load_idempotently(app, client):
    """Does the demo give a project in every state (three campaigns with different funding models),
    reviews and a Council decision, in ctx["projects"][state] — and does a second load add nothing?"""
    ctx: dict = {"passwords": {}}
    _load(ctx)
    assert set(ctx["projects"]) == {s.value for s in ProjectState}
    for state, projects in ctx["projects"].items():
        assert all(p.state == state for p in projects)
    models = {p.funding_model for p in ctx["projects"]["fundraising"]}
    assert models == {"donation", "pledge", "loan"} and len(ctx["projects"]["fundraising"]) == 3
    assert ctx["reviews"] and ctx["council_decisions"]
    assert any(p.council_decision_id for p in ctx["projects"]["fundraising"])
    count = db.session.scalar(select(func.count(Project.id)))
    _load({"passwords": {}})
    assert db.session.scalar(select(func.count(Project.id))) == count
    listing = client.get("/projects").get_data(as_text=True)
    assert "Боми нав барои мактаби №12 дар Кӯлоб" in listing
    assert "Майдони варзишӣ" not in listing  # the draft stays private
