"""The jury's verbs: appointment, automatic recusal where the portal knows of a tie (the
nominator, the nominee, a shared organisation, a shared project team), conflict declarations
made before a nomination is read in full, and scorecards with a justification for every score.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fundapp.accounts.models import User
from fundapp.audit.services import record
from fundapp.community.models import OrganisationMember
from fundapp.core.errors import DuplicateRequest, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.proposals.models import Project, TeamMember

from .models import (
    Declaration,
    DeclarationKind,
    Edition,
    EditionState,
    Juror,
    Nomination,
    NominationState,
    NomineeKind,
    Scorecard,
)
from .services import _require_admin, considered, lock_edition

ES = EditionState
NS = NominationState


# -- the jury ----------------------------------------------------------------------------------


def appoint_juror(edition: Edition, user: User | None, *, actor) -> Juror:
    _require_admin(actor)
    edition = lock_edition(edition.id)
    if edition.state in (ES.VOTING, ES.RESULTS_PUBLISHED):
        raise InvalidTransition(_l("The jury can no longer change."))
    if user is None or not user.is_active_account:
        raise ValidationFailed(_l("No account has this email address."), field="email")
    if db.session.scalar(select(Juror.id).where(Juror.edition_id == edition.id, Juror.user_id == user.id)):
        raise ValidationFailed(_l("This person is already on the jury."), field="email")
    juror = Juror(edition_id=edition.id, user_id=user.id, appointed_by_id=actor.id)
    db.session.add(juror)
    db.session.flush()
    record(
        "competition.juror_appointed", juror, actor=actor, changes={"user": user.id, "edition": edition.id}
    )
    if edition.state == ES.JUDGING:
        recuse_automatically(juror)
    return juror


def juror_for(edition: Edition, user) -> Juror | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Juror).where(Juror.edition_id == edition.id, Juror.user_id == user.id))


def _project_ids(user_id: int) -> set[int]:
    owned = set(db.session.scalars(select(Project.id).where(Project.owner_id == user_id)))
    return owned | set(db.session.scalars(select(TeamMember.project_id).where(TeamMember.user_id == user_id)))


def _org_ids(user_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(OrganisationMember.organisation_id).where(
                OrganisationMember.user_id == user_id, OrganisationMember.status == "active"
            )
        )
    )


def known_conflicts(user: User, nomination: Nomination) -> list[str]:
    """The ties the portal knows between a juror and a nomination (reasons, in English, for the
    record): the nominator, the nominee, a shared organisation, a shared project team."""
    reasons = []
    if nomination.nominated_by_id == user.id:
        reasons.append("nominator")
    orgs = _org_ids(user.id)
    if nomination.nominee_kind == NomineeKind.PERSON:
        if nomination.nominee_user_id == user.id:
            reasons.append("nominee")
        elif orgs & _org_ids(nomination.nominee_user_id):
            reasons.append("same organisation as the nominee")
        if nomination.nominee_user_id != user.id and _project_ids(user.id) & _project_ids(
            nomination.nominee_user_id
        ):
            reasons.append("same project team as the nominee")
    elif nomination.nominee_organisation_id in orgs:
        reasons.append("member of the nominated organisation")
    if nomination.on_behalf_of_id is not None and nomination.on_behalf_of_id in orgs:
        reasons.append("member of the nominating organisation")
    return reasons


def recuse_automatically(juror: Juror) -> list[Declaration]:
    """Record a recusal for every considered nomination the juror is known to be tied to."""
    made = []
    user = db.session.get(User, juror.user_id)
    for nom in considered(juror.edition):
        reasons = known_conflicts(user, nom)
        if not reasons:
            continue
        existing = db.session.scalar(
            select(Declaration).where(Declaration.juror_id == juror.id, Declaration.nomination_id == nom.id)
        )
        if existing is not None:
            if existing.kind != DeclarationKind.AUTO_RECUSED:
                existing.kind = DeclarationKind.AUTO_RECUSED
                existing.reason = "; ".join(reasons)
            continue
        decl = Declaration(
            juror_id=juror.id,
            nomination_id=nom.id,
            kind=DeclarationKind.AUTO_RECUSED,
            reason="; ".join(reasons),
        )
        db.session.add(decl)
        made.append(decl)
    db.session.flush()
    for decl in made:
        record("competition.juror_recused", decl, actor=None, reason=decl.reason)
    return made


def declaration_for(juror: Juror, nomination: Nomination) -> Declaration | None:
    return db.session.scalar(
        select(Declaration).where(
            Declaration.juror_id == juror.id, Declaration.nomination_id == nomination.id
        )
    )


def declare(
    juror: Juror, nomination: Nomination, *, actor, conflict: bool, note: str | None = None
) -> Declaration:
    """The juror says, before reading the nomination in full, whether they have a conflict."""
    if actor is None or actor.id != juror.user_id:
        raise NotPermitted(_l("Only the juror can declare their own conflicts."))
    if juror.edition.state != ES.JUDGING or nomination.edition_id != juror.edition_id:
        raise InvalidTransition(_l("Declarations are made while the jury is at work."))
    if nomination.state != NS.ELIGIBLE:
        raise InvalidTransition(_l("This nomination is not before the jury."))
    if declaration_for(juror, nomination) is not None:
        raise DuplicateRequest(_l("You have already declared for this nomination."))
    reasons = known_conflicts(actor, nomination)
    note = clean_text(note, 2000, "note", required=bool(conflict))
    if reasons:
        kind, text = DeclarationKind.AUTO_RECUSED, "; ".join(reasons)
    else:
        kind, text = (DeclarationKind.CONFLICT, note) if conflict else (DeclarationKind.NO_CONFLICT, "")
    decl = Declaration(juror_id=juror.id, nomination_id=nomination.id, kind=kind, reason=text)
    try:
        with db.session.begin_nested():
            db.session.add(decl)
    except IntegrityError:
        raise DuplicateRequest(_l("You have already declared for this nomination.")) from None
    record("competition.conflict_declared", decl, actor=actor, reason=text or None, changes={"kind": kind})
    return decl


def may_read_in_full(juror: Juror | None, nomination: Nomination) -> bool:
    if juror is None:
        return False
    decl = declaration_for(juror, nomination)
    return decl is not None and decl.kind == DeclarationKind.NO_CONFLICT


def submit_scorecard(juror: Juror, nomination: Nomination, *, actor, scores: dict) -> Scorecard:
    """Scores per criterion (whole numbers 1…scale), each with a written justification. A juror who
    has not declared "no conflict" cannot score; a submitted card is final."""
    if actor is None or actor.id != juror.user_id:
        raise NotPermitted(_l("Only the juror can submit their own scores."))
    edition = juror.edition
    if edition.state != ES.JUDGING:
        raise InvalidTransition(_l("Scores are given while the jury is at work."))
    if not may_read_in_full(juror, nomination):
        raise NotPermitted(_l("Declare that you have no conflict of interest before scoring."))
    if db.session.scalar(
        select(Scorecard.id).where(Scorecard.juror_id == juror.id, Scorecard.nomination_id == nomination.id)
    ):
        raise DuplicateRequest(_l("You have already submitted your scores for this nomination."))
    clean = {}
    for crit in edition.criteria:
        raw = scores.get(crit.id) or scores.get(str(crit.id)) or {}
        value = str(raw.get("score", "")).strip()
        if not value.isdigit() or not 1 <= int(value) <= edition.scale_max:
            raise ValidationFailed(
                _l("Give a whole number from 1 to %(max)s.", max=edition.scale_max), field=f"score_{crit.id}"
            )
        justification = clean_text(raw.get("justification"), 2000, f"justification_{crit.id}", required=True)
        clean[str(crit.id)] = {"score": int(value), "justification": justification}
    card = Scorecard(juror_id=juror.id, nomination_id=nomination.id, scores=clean)
    try:
        with db.session.begin_nested():
            db.session.add(card)
    except IntegrityError:
        raise DuplicateRequest(_l("You have already submitted your scores for this nomination.")) from None
    record("competition.scored", card, actor=actor, changes={"nomination": nomination.id})
    return card


def scorecard_for(juror: Juror, nomination: Nomination) -> Scorecard | None:
    return db.session.scalar(
        select(Scorecard).where(Scorecard.juror_id == juror.id, Scorecard.nomination_id == nomination.id)
    )


def progress(edition: Edition) -> list[dict]:
    """For staff: per juror, how many nominations they declared on and scored — never the scores,
    which nobody reads before the results."""
    out = []
    for juror in edition.jurors:
        declared = db.session.scalar(
            select(func.count(Declaration.id)).where(Declaration.juror_id == juror.id)
        )
        scored = db.session.scalar(select(func.count(Scorecard.id)).where(Scorecard.juror_id == juror.id))
        out.append({"juror": juror, "declared": declared, "scored": scored})
    return out


def evidence_access_rule(user, stored_file) -> bool:
    """Evidence of a nomination: its nominator, its nominee, and jurors who declared no conflict."""
    from .models import NominationEvidence
    from .services import is_nominee

    if user is None:
        return False
    ev = db.session.scalar(select(NominationEvidence).where(NominationEvidence.file_id == stored_file.id))
    if ev is None:
        return False
    nom = ev.nomination
    if nom.nominated_by_id == user.id or is_nominee(user, nom):
        return True
    return may_read_in_full(juror_for(nom.edition, user), nom)
