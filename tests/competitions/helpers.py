"""Driving an edition through its stages in tests."""

from __future__ import annotations

from fundapp.extensions import db

from .conftest import STATEMENT, make_org


def nominate_orgs(edition, people, names=("Navruz Centre", "Somon Centre", "Pamir House")):
    """Nominations of verified organisations in the edition's first category, consented by their
    admins (the nominator is a plain member)."""
    from fundapp.competitions import services

    out = []
    for i, name in enumerate(names):
        org = make_org(name, admin=people.org_admin if i % 2 == 0 else people.org_admin2)
        nom = services.nominate(
            edition,
            actor=people.nominator,
            category=edition.categories[i % 1],
            nominee_kind="organisation",
            organisation=org,
            statement=STATEMENT,
        )
        services.respond_to_nomination(
            nom, actor=people.org_admin if i % 2 == 0 else people.org_admin2, accept=True
        )
        out.append(nom)
    db.session.commit()
    return out


def through_eligibility(edition, people, noms, jurors):
    from fundapp.competitions import jury, services

    services.transition(edition, "close_nominations", actor=people.admin)
    for nom in noms:
        services.check_eligibility(nom, actor=people.admin, eligible=True)
    for user in jurors:
        jury.appoint_juror(edition, user, actor=people.admin)
    services.transition(edition, "start_judging", actor=people.admin)
    db.session.commit()


def score_all(edition, jurors, table):
    """``table[juror_index][nomination_index]`` = (impact, sustainability) scores."""
    from fundapp.competitions import jury, services

    noms = services.considered(edition)
    for j, user in enumerate(jurors):
        juror = jury.juror_for(edition, user)
        for n, nom in enumerate(noms):
            if table[j][n] is None:
                continue
            jury.declare(juror, nom, actor=user, conflict=False)
            a, b = table[j][n]
            crits = edition.criteria
            jury.submit_scorecard(
                juror,
                nom,
                actor=user,
                scores={
                    crits[0].id: {"score": str(a), "justification": "Well documented work with children."},
                    crits[1].id: {"score": str(b), "justification": "Funding secured for two more years."},
                },
            )
    db.session.commit()
