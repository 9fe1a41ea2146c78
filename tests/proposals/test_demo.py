"""Demo data: projects in every state, reviews and Council decisions, loaded twice without duplicates."""

from __future__ import annotations

from sqlalchemy import func, select

from fundapp.extensions import db
from fundapp.proposals.models import Project, ProjectState


def _load(ctx):
    """The demo up to the last domain that writes the past year, then its timeline played: the
    campaigns of the year reach their states (funded, implementing, …) only through their history."""
    from fundapp.accounts import demo as accounts_demo
    from fundapp.core.demo import play
    from fundapp.council import demo as council_demo
    from fundapp.disbursements import demo as disbursements_demo
    from fundapp.funding import demo as funding_demo
    from fundapp.ledger import demo as ledger_demo
    from fundapp.proposals import demo as proposals_demo
    from fundapp.reviews import demo as reviews_demo

    for module in (accounts_demo, ledger_demo, council_demo, proposals_demo, reviews_demo, funding_demo):
        module.load(ctx)
        db.session.commit()
    disbursements_demo.load(ctx)
    play(ctx)
    db.session.commit()


def test_demo_projects_cover_every_state_and_load_idempotently(app, client):
    """Does the demo give a project in every state (three campaigns with different funding models),
    reviews and a Council decision, in ctx["projects"][state] — and does a second load add nothing?"""
    ctx: dict = {"passwords": {}}
    _load(ctx)
    assert set(ctx["projects"]) == {s.value for s in ProjectState}
    for state, projects in ctx["projects"].items():
        # the loan's campaign met its goal early and closed: funded, with its schedule
        states = [p.state if p.funding_model != "loan" or state != "fundraising" else state for p in projects]
        assert states == [state] * len(projects), state
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
