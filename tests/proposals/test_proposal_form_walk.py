"""Each proposal form, submitted empty and with one bad field by the person who may use it: every
error in one answer, what was typed kept, and nothing written."""

from __future__ import annotations

from sqlalchemy import func, select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.proposals.factories import create_complete_draft
from fundapp.proposals.models import BudgetLine, Project

FORM = {
    "title": "Водопровод в Айни",
    "summary": "Питьевая вода для 300 семей кишлака.",
    "description": "Труба длиной 4 км от родника до кишлака.",
    "category": "water",
    "home_district": "ayni",
    "funding_model": "donation",
    "goal": "45 000,50",
    "currency": "TJS",
    "campaign_days": "45",
}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_an_empty_proposal_gets_every_error_in_one_answer(app, client_for):
    """Does an empty proposal get all its errors at once (each beside its field and in the summary
    at the top), with a 400 and no row written?"""
    c, _user = client_for("member")
    before = _count(Project)
    r = c.post("/proposals/new?lang=en", data={})
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    for name in ("title", "summary", "category", "home_district", "funding_model", "goal", "currency"):
        assert f'id="{name}-error"' in body, name
        assert f'href="#{name}"' in body, name
    assert "error-summary" in body
    assert _count(Project) == before


def test_one_bad_field_is_named_and_the_rest_is_kept(app, client_for):
    """Is "1,500" refused on a Russian page with an example of how to write it, while every other
    typed value stays in the form, and nothing is written?"""
    c, _user = client_for("member")
    before = _count(Project)
    r = c.post("/proposals/new?lang=ru", data={**FORM, "goal": "1,500"})
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert 'id="goal-error"' in body and "1 500,50" in body
    assert 'value="1,500"' in body and 'value="Водопровод в Айни"' in body
    assert 'id="title-error"' not in body
    assert _count(Project) == before


def test_a_loan_without_its_terms_names_each_missing_term(app, client_for):
    c, _user = client_for("member")
    r = c.post("/proposals/new?lang=en", data={**FORM, "goal": "45000", "funding_model": "loan"})
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    for name in ("annual_rate", "term_months", "repayment_type"):
        assert f'id="{name}-error"' in body, name


def test_budget_amounts_are_read_in_the_page_language(app, client_for):
    """In a budget line, "1 500" on a Russian page and "1,500" on an English page are 1500;
    "1,500" on a Russian page is refused with an example and writes nothing."""
    c, user = client_for("member")
    project = create_complete_draft(user, goal="30000")
    db.session.commit()
    pid = project.id
    lines = _count(BudgetLine)
    r = c.post(f"/proposals/{pid}/budget?lang=ru", data={"label": "Трубы", "amount": "1,500"})
    assert r.status_code == 303
    assert _count(BudgetLine) == lines
    page = c.get(f"/proposals/{pid}/edit?lang=ru").get_data(as_text=True)
    assert "1 500,50" in page
    assert (
        c.post(f"/proposals/{pid}/budget?lang=ru", data={"label": "A", "amount": "1 500"}).status_code == 303
    )
    assert (
        c.post(f"/proposals/{pid}/budget?lang=en", data={"label": "B", "amount": "1,500"}).status_code == 303
    )
    db.session.expire_all()
    amounts = [b.amount for b in db.session.get(Project, pid).budget_lines[-2:]]
    assert amounts == [Money(150000, "TJS"), Money(150000, "TJS")]


def test_an_empty_budget_line_names_both_fields_at_once(app, client_for):
    c, user = client_for("member")
    project = create_complete_draft(user, goal="30000")
    db.session.commit()
    lines = _count(BudgetLine)
    c.post(f"/proposals/{project.id}/budget?lang=en", data={})
    page = c.get(f"/proposals/{project.id}/edit?lang=en").get_data(as_text=True)
    assert "Item:" in page and "Amount:" in page
    assert _count(BudgetLine) == lines
