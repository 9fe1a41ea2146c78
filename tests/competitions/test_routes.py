"""The pages, route by route: who may reach each (visitor, member, nominee, juror, staff), and that
bad input gets a clear message and changes nothing. The same table is in docs/ARCHITECTURE.md."""

from __future__ import annotations

import pytest

from fundapp.competitions import jury, services, voting
from fundapp.competitions.models import Nomination, Prize
from fundapp.extensions import db
from tests.conftest import login_as

from .conftest import STATEMENT, make_org, old_account
from .helpers import nominate_orgs, score_all, through_eligibility

LOGIN = "login"


@pytest.fixture
def world(app, edition_factory, people, make_user):
    """A judging edition with one eligible nomination (nominee: org_admin's organisation), a juror
    who declared no conflict, and one published edition."""
    edition = edition_factory(public_vote=True, jury_weight=70)
    services.transition(edition, "open_nominations", actor=people.admin)
    (nom,) = nominate_orgs(edition, people, names=("Navruz Centre",))
    through_eligibility(edition, people, [nom], [people.juror1])
    jury.declare(jury.juror_for(edition, people.juror1), nom, actor=people.juror1, conflict=False)
    db.session.commit()
    auditor = make_user("auditor")
    return {"edition": edition, "nom": nom, "auditor": auditor}


def _client(app, user):
    c = app.test_client()
    if user is not None:
        login_as(c, user)
    return c


def _status(r):
    if r.status_code == 302 and "/login" in r.headers["Location"]:
        return LOGIN
    return r.status_code


def test_permission_table_route_by_route(app, world, people):
    """Does each page answer each kind of person as the architecture's table says?"""
    e, n = world["edition"].id, world["nom"].id
    who = {
        "visitor": None,
        "member": people.stranger,
        "nominee": people.org_admin,
        "nominator": people.nominator,
        "juror": people.juror1,
        "administrator": people.admin,
        "treasurer": people.treasurer,
        "auditor": world["auditor"],
    }
    table = {
        "/competitions": dict.fromkeys(who, 200),
        f"/competitions/editions/{e}": dict.fromkeys(who, 200),
        "/competitions/receipt": dict.fromkeys(who, 200),
        f"/competitions/editions/{e}/tally.json": dict.fromkeys(who, 404),  # until results
        "/competitions/mine": {"visitor": LOGIN, **dict.fromkeys(list(who)[1:], 200)},
        f"/competitions/nominations/{n}": {
            "visitor": LOGIN,
            "member": 404,
            "nominee": 200,
            "nominator": 200,
            "juror": 200,  # declared no conflict
            "administrator": 200,
            "treasurer": 404,
            "auditor": 200,
        },
        f"/competitions/editions/{e}/jury": {
            "visitor": LOGIN,
            **dict.fromkeys(["member", "nominee", "nominator", "administrator", "treasurer", "auditor"], 404),
            "juror": 200,
        },
        f"/competitions/editions/{e}/jury/{n}": {
            "visitor": LOGIN,
            **dict.fromkeys(["member", "nominee", "nominator", "administrator", "treasurer", "auditor"], 404),
            "juror": 200,
        },
        "/competitions/admin": {
            "visitor": LOGIN,
            **dict.fromkeys(["member", "nominee", "nominator", "juror"], 403),
            **dict.fromkeys(["administrator", "treasurer", "auditor"], 200),
        },
        f"/competitions/admin/editions/{e}": {
            "visitor": LOGIN,
            **dict.fromkeys(["member", "nominee", "nominator", "juror"], 403),
            **dict.fromkeys(["administrator", "treasurer", "auditor"], 200),
        },
        "/competitions/admin/editions/new": {
            "visitor": LOGIN,
            **dict.fromkeys(["member", "nominee", "nominator", "juror", "treasurer", "auditor"], 403),
            "administrator": 200,
        },
    }
    clients = {k: _client(app, u) for k, u in who.items()}
    problems = []
    for url, expected in table.items():
        for role, status in expected.items():
            got = _status(clients[role].get(url))
            if got != status:
                problems.append(f"{role} GET {url}: {got}, expected {status}")
    assert not problems, "\n".join(problems)


def test_staff_posts_are_refused_to_others(app, world, people):
    """Are the staff forms refused (403) to members, nominees and jurors?"""
    e, n = world["edition"].id, world["nom"].id
    posts = [
        f"/competitions/admin/editions/{e}/transition/open_voting",
        f"/competitions/admin/nominations/{n}/eligibility",
        f"/competitions/admin/editions/{e}/jurors",
        f"/competitions/admin/editions/{e}/prizes",
    ]
    for user in (people.stranger, people.org_admin, people.juror1, people.treasurer):
        c = _client(app, user)
        for url in posts:
            assert c.post(url, data={}).status_code == 403, url


def test_a_nomination_through_the_form(app, edition_factory, people):
    """Does the form record a nomination with evidence, and does bad input come back with its message
    next to the field and nothing stored?"""
    import io

    from tests.disbursements.conftest import png_bytes

    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    org = make_org("Navruz Centre", admin=people.org_admin)
    c = _client(app, people.nominator)
    url = f"/competitions/editions/{edition.id}/nominate"
    assert c.get(url).status_code == 200
    r = c.post(url, data={"category": edition.categories[0].id, "organisation": org.id, "statement": "short"})
    assert r.status_code == 400
    assert "at least 50" in r.get_data(as_text=True).lower() or "50" in r.get_data(as_text=True)
    assert db.session.query(Nomination).count() == 0
    r = c.post(
        url,
        data={
            "category": edition.categories[0].id,
            "organisation": org.id,
            "on_behalf_of": 0,
            "statement": STATEMENT,
            "evidence": (io.BytesIO(png_bytes()), "photo.png"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    nom = db.session.query(Nomination).one()
    assert len(nom.evidence) == 1 and nom.state == "awaiting_consent"
    r = c.post(
        url,
        data={
            "category": edition.categories[1].id,
            "organisation": org.id,
            "on_behalf_of": 0,
            "statement": STATEMENT,
        },
    )
    assert r.status_code == 400
    assert "already nominated" in r.get_data(as_text=True)
    nominee = _client(app, people.org_admin)
    r = nominee.post(f"/competitions/nominations/{nom.id}/answer", data={"answer": "accept"})
    assert r.status_code == 303
    db.session.refresh(nom)
    assert nom.state == "consented"


def test_voting_through_the_page_gives_a_receipt_once(app, edition_factory, people, make_user):
    """Does a vote on the page show a receipt, and a second one in the category a refusal?"""
    edition = edition_factory(public_vote=True, jury_weight=70)
    services.transition(edition, "open_nominations", actor=people.admin)
    noms = nominate_orgs(edition, people, names=("Navruz Centre", "Somon Centre"))
    through_eligibility(edition, people, noms, [people.juror1])
    score_all(edition, [people.juror1], [[(8, 8), (4, 4)]])
    services.transition(edition, "open_voting", actor=people.admin)
    db.session.commit()
    voter = old_account(make_user("member"))
    c = _client(app, voter)
    r = c.post(f"/competitions/editions/{edition.id}/vote", data={"nomination": noms[0].id})
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert f"{edition.id}-0-" in body
    assert r.headers["Cache-Control"] == "no-store"
    r = c.post(f"/competitions/editions/{edition.id}/vote", data={"nomination": noms[1].id})
    assert r.status_code == 409
    assert "already voted" in r.get_data(as_text=True)


def test_prize_payment_needs_a_fresh_code_and_a_second_person(app, edition_factory, people):
    """Is the payment page's request sent to the step-up without a fresh code, and is the payment
    by the requester refused?"""
    from fundapp.competitions import prizes
    from fundapp.core.money import Money

    from .test_prizes import fund_prizes

    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    noms = nominate_orgs(edition, people, names=("Navruz Centre",))
    prize = prizes.add_prize(
        edition,
        actor=people.admin,
        category=edition.categories[0],
        place=1,
        amount=Money.parse("100", "TJS"),
        description="",
    )
    through_eligibility(edition, people, noms, [people.juror1])
    score_all(edition, [people.juror1], [[(8, 8)]])
    services.transition(edition, "publish_results", actor=people.admin)
    db.session.commit()
    fund_prizes("500")
    stale = app.test_client()
    login_as(stale, people.admin, mfa=False)
    from fundapp.core.security import MFA_SESSION_KEY

    with stale.session_transaction() as s:
        s[MFA_SESSION_KEY] = 1  # passed TOTP long ago
    r = stale.post(f"/competitions/admin/prizes/{prize.id}/request", data={"payee": "Navruz"})
    assert r.status_code == 302 and "confirm-it-is-you" in r.headers["Location"]
    admin = _client(app, people.admin)
    r = admin.post(f"/competitions/admin/prizes/{prize.id}/request", data={"payee": "Navruz Centre"})
    assert r.status_code == 303
    treasurer = _client(app, people.treasurer)
    r = treasurer.post(f"/competitions/admin/prizes/{prize.id}/pay", data={"bank_reference": ""})
    assert r.status_code == 400
    r = treasurer.post(f"/competitions/admin/prizes/{prize.id}/pay", data={"bank_reference": "PAY-77"})
    assert r.status_code == 303
    assert db.session.get(Prize, prize.id).state == "paid"
    page = _client(app, None).get(f"/competitions/editions/{edition.id}").get_data(as_text=True)
    assert "Navruz Centre" in page and "Download the tally" in page
    assert _client(app, None).get(f"/competitions/editions/{edition.id}/tally.json").status_code == 200


def test_receipt_page(app, edition_factory, people, make_user):
    """Does the receipt page confirm a counted vote after the results and refuse nonsense?"""
    edition = edition_factory(public_vote=True, jury_weight=70)
    services.transition(edition, "open_nominations", actor=people.admin)
    noms = nominate_orgs(edition, people, names=("Navruz Centre",))
    through_eligibility(edition, people, noms, [people.juror1])
    score_all(edition, [people.juror1], [[(8, 8)]])
    services.transition(edition, "open_voting", actor=people.admin)
    receipt = voting.cast_vote(edition, noms[0], voter=old_account(make_user("member")))
    db.session.commit()
    c = _client(app, None)
    assert "still open" in c.get("/competitions/receipt", query_string={"code": receipt.code}).get_data(
        as_text=True
    )
    services.transition(edition, "publish_results", actor=people.admin)
    db.session.commit()
    assert "Counted" in c.get("/competitions/receipt", query_string={"code": receipt.code}).get_data(
        as_text=True
    )
    assert "not a receipt" in c.get("/competitions/receipt", query_string={"code": "x"}).get_data(
        as_text=True
    )
