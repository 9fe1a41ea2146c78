"""A walk of the competitions forms converted from raw input: the juror's scores and the money prize,
submitted empty and with one bad field by the person who may use them: every problem in one 400
answer, what was typed kept, nothing written."""

from __future__ import annotations

import html

from sqlalchemy import func, select

from fundapp.competitions import jury, services
from fundapp.competitions.models import Prize, Scorecard
from fundapp.extensions import db
from tests.conftest import login_as

from .helpers import nominate_orgs, through_eligibility


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _judging(edition_factory, people):
    edition = edition_factory(public_vote=True, jury_weight=70)
    services.transition(edition, "open_nominations", actor=people.admin)
    (nom,) = nominate_orgs(edition, people, names=("Navruz Centre",))
    through_eligibility(edition, people, [nom], [people.juror1])
    jury.declare(jury.juror_for(edition, people.juror1), nom, actor=people.juror1, conflict=False)
    db.session.commit()
    return edition, nom


def test_an_empty_scorecard_reports_every_criterion_at_once(app, edition_factory, people):
    edition, nom = _judging(edition_factory, people)
    c = app.test_client()
    login_as(c, people.juror1)
    url = f"/competitions/editions/{edition.id}/jury/{nom.id}"
    r = c.post(url, data={})
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400 and "error-summary" in page
    for crit in edition.criteria:
        assert f'href="#score_{crit.id}"' in page and f'href="#justification_{crit.id}"' in page
    assert _count(Scorecard) == 0

    first, *rest = edition.criteria
    data = {f"score_{c.id}": "3" for c in edition.criteria}
    data |= {f"justification_{c.id}": f"Because {c.id}" for c in edition.criteria}
    data[f"score_{first.id}"] = "999"
    r = c.post(url, data=data)
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400
    assert f"Give a whole number from 1 to {edition.scale_max}." in page
    assert f"Because {first.id}" in page  # what was typed is kept
    assert _count(Scorecard) == 0


def test_the_prize_form_refuses_a_bad_amount_and_writes_nothing(app, edition_factory, people):
    edition, _nom = _judging(edition_factory, people)
    c = app.test_client()
    login_as(c, people.admin)
    before = _count(Prize)
    url = f"/competitions/admin/editions/{edition.id}/prizes"
    r = c.post(url, data={})
    assert r.status_code == 400
    r = c.post(
        url,
        data={"category": str(edition.categories[0].id), "place": "1", "amount": "1e3", "currency": "TJS"},
    )
    assert r.status_code == 400 and 'value="1e3"' in r.get_data(as_text=True)
    assert _count(Prize) == before
