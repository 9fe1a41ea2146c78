"""The verbs of competitions. Every function flushes, never commits, checks who may act and from
which state, and writes an audit record.

The edition's state machine (``TRANSITIONS``), each arrow run by an administrator::

    draft → nominations_open → eligibility → judging → voting → results_published
                                                  └────────(no public vote)───────┘
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from fundapp.accounts.models import User
from fundapp.audit.services import record
from fundapp.community import services as community
from fundapp.community.models import Organisation, OrganisationMember
from fundapp.core.db import lock_one, utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.files.services import store_upload
from fundapp.ledger import services as ledger
from fundapp.ledger.models import AccountType
from fundapp.mail.services import queue_email

from .models import (
    Category,
    Competition,
    Criterion,
    Edition,
    EditionState,
    Nomination,
    NominationEvidence,
    NominationState,
    NomineeKind,
)
from .phrases import PRIZE_FUND_NAME

ES = EditionState
NS = NominationState
PRIZE_FUND = "prize_fund"
MAX_EVIDENCE = 5

ledger.define_account(PRIZE_FUND, AccountType.LIABILITY, PRIZE_FUND_NAME, no_negative=True)


# -- the five competitions of the Plan ---------------------------------------------------------

PLAN_COMPETITIONS = (
    (
        "best-diaspora-organisations",
        NomineeKind.ORGANISATION,
        "Иттиҳоди беҳтарин ташкилотҳои диаспора",
        "Союз лучших диаспорских организаций",
        "The Union of the Best Diaspora Organizations",
    ),
    (
        "best-scientist",
        NomineeKind.PERSON,
        "Беҳтарин олими диаспораҳои тоҷик",
        "Лучший учёный таджикских диаспор",
        "Best scientist of Tajik diasporas",
    ),
    (
        "best-cultural-centre",
        NomineeKind.ORGANISATION,
        "Беҳтарин маркази фарҳангӣ",
        "Лучший культурный центр",
        "Best Cultural Center",
    ),
    (
        "best-school",
        NomineeKind.ORGANISATION,
        "Беҳтарин мактаби тоҷикии диаспораҳо",
        "Лучшая таджикская школа диаспор",
        "The best Tajik School of Diasporas",
    ),
    (
        "best-media-reporter",
        NomineeKind.PERSON,
        "Беҳтарин хабарнигори ВАО-и диаспораҳои тоҷик",
        "Лучший репортёр СМИ таджикских диаспор",
        "The best media reporter of Tajik diasporas",
    ),
)


def ensure_plan_competitions() -> list[Competition]:
    """The Plan's five competitions, created once by slug (their texts stay editable)."""
    out = []
    for slug, kind, tg, ru, en in PLAN_COMPETITIONS:
        comp = db.session.scalar(select(Competition).where(Competition.slug == slug))
        if comp is None:
            comp = Competition(slug=slug, nominee_kind=kind, name_tg=tg, name_ru=ru, name_en=en)
            db.session.add(comp)
            db.session.flush()
        out.append(comp)
    return out


def _require_admin(actor) -> None:
    if actor is None or not actor.has_role("administrator"):
        raise NotPermitted(_l("Only an administrator can do this."))


def edit_competition(comp: Competition, *, actor, **texts) -> Competition:
    """Change a competition's names and descriptions (administrators)."""
    _require_admin(actor)
    changes = {}
    for field in ("name_tg", "name_ru", "name_en"):
        value = clean_text(texts.get(field), 200, field, required=True)
        if value != getattr(comp, field):
            changes[field] = [getattr(comp, field), value]
            setattr(comp, field, value)
    for field in ("description_tg", "description_ru", "description_en"):
        value = clean_text(texts.get(field), 4000, field)
        if value != getattr(comp, field):
            changes[field] = [getattr(comp, field), value]
            setattr(comp, field, value)
    record("competition.edited", comp, actor=actor, changes=changes)
    db.session.flush()
    return comp


# -- editions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    weight: int
    levels: list


def create_edition(
    comp: Competition,
    *,
    actor,
    title: str,
    nominations_open_on: datetime,
    nominations_close_on: datetime,
    results_on: datetime,
    eligibility_rules: str,
    categories: Iterable[str],
    criteria: Iterable[CriterionSpec],
    public_vote: bool = False,
    jury_weight: int = 100,
    voter_min_account_days: int = 30,
    name_jurors: bool = False,
    scale_max: int = 10,
) -> Edition:
    """A new edition in draft, with its categories and rubric."""
    _require_admin(actor)
    title = clean_text(title, 200, "title", required=True)
    rules = clean_text(eligibility_rules, 8000, "eligibility_rules", required=True)
    if nominations_close_on <= nominations_open_on:
        raise ValidationFailed(_l("Nominations must close after they open."), field="nominations_close_on")
    if results_on < nominations_close_on:
        raise ValidationFailed(_l("Results come after nominations close."), field="results_on")
    if not 0 <= int(jury_weight) <= 100:
        raise ValidationFailed(_l("The jury's weight is a percentage from 0 to 100."), field="jury_weight")
    if not public_vote:
        jury_weight = 100
    if not 2 <= int(scale_max) <= 100:
        raise ValidationFailed(_l("The scale runs from 1 to a number between 2 and 100."), field="scale_max")
    if db.session.scalar(select(Edition.id).where(Edition.competition_id == comp.id, Edition.title == title)):
        raise ValidationFailed(_l("This competition already has an edition with this title."), field="title")
    names = [clean_text(c, 200, "categories") for c in categories]
    names = [n for n in names if n]
    if not names or len(set(names)) != len(names):
        raise ValidationFailed(_l("Give at least one category, each name once."), field="categories")
    specs = list(criteria)
    if not specs or len({s.name for s in specs}) != len(specs):
        raise ValidationFailed(_l("Give at least one criterion, each name once."), field="criteria")
    for spec in specs:
        if not 1 <= int(spec.weight) <= 100:
            raise ValidationFailed(
                _l("A criterion's weight is a whole number from 1 to 100."), field="criteria"
            )
    edition = Edition(
        competition_id=comp.id,
        title=title,
        eligibility_rules=rules,
        nominations_open_on=nominations_open_on,
        nominations_close_on=nominations_close_on,
        results_on=results_on,
        public_vote=bool(public_vote),
        jury_weight=int(jury_weight),
        voter_min_account_days=max(0, int(voter_min_account_days)),
        name_jurors=bool(name_jurors),
        scale_max=int(scale_max),
        state=ES.DRAFT,
    )
    db.session.add(edition)
    db.session.flush()
    for name in names:
        db.session.add(Category(edition_id=edition.id, name=name))
    for spec in specs:
        db.session.add(
            Criterion(
                edition_id=edition.id, name=spec.name, weight=int(spec.weight), levels=list(spec.levels)
            )
        )
    db.session.flush()
    record("competition.edition_created", edition, actor=actor, changes={"title": title})
    return edition


def lock_edition(edition_id: int) -> Edition:
    return lock_one(Edition, edition_id, InvalidTransition(_l("This edition does not exist.")))


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset
    target: EditionState
    label: object


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("open_nominations", frozenset({ES.DRAFT}), ES.NOMINATIONS_OPEN, _l("open nominations")),
        Transition(
            "close_nominations", frozenset({ES.NOMINATIONS_OPEN}), ES.ELIGIBILITY, _l("close nominations")
        ),
        Transition("start_judging", frozenset({ES.ELIGIBILITY}), ES.JUDGING, _l("start judging")),
        Transition("open_voting", frozenset({ES.JUDGING}), ES.VOTING, _l("open the public vote")),
        Transition(
            "publish_results",
            frozenset({ES.JUDGING, ES.VOTING}),
            ES.RESULTS_PUBLISHED,
            _l("publish the results"),
        ),
    )
}


def allowed_transitions(edition: Edition) -> list[Transition]:
    out = []
    for t in TRANSITIONS.values():
        if edition.state not in t.sources:
            continue
        if t.name == "open_voting" and not edition.public_vote:
            continue
        if t.name == "publish_results" and edition.public_vote and edition.state == ES.JUDGING:
            continue
        out.append(t)
    return out


def transition(edition: Edition, name: str, *, actor, comment: str | None = None) -> Edition:
    """Move an edition one step on; administrators only, each step audited."""
    _require_admin(actor)
    if name not in TRANSITIONS:
        raise ValidationFailed(_l("Unknown action."), field="action")
    edition = lock_edition(edition.id)
    t = TRANSITIONS[name]
    if t not in allowed_transitions(edition):
        raise InvalidTransition(
            _l(
                "You cannot %(action)s: the edition is “%(state)s”.",
                action=t.label,
                state=edition.state_label,
            )
        )
    comment = clean_text(comment, 2000, "comment") or None
    if name == "open_nominations" and (not edition.categories or not edition.criteria):
        raise InvalidTransition(_l("An edition needs categories and a rubric before nominations open."))
    if name == "start_judging":
        waiting = db.session.scalar(
            select(func.count(Nomination.id)).where(
                Nomination.edition_id == edition.id, Nomination.state == NS.CONSENTED
            )
        )
        if waiting:
            raise InvalidTransition(_l("Every consented nomination must be checked for eligibility first."))
        if not edition.jurors:
            raise InvalidTransition(_l("Appoint the jury before judging starts."))
    before = edition.state
    if name == "publish_results":
        from .voting import publish_tally

        publish_tally(edition, actor=actor)
    edition.state = t.target.value
    db.session.flush()
    if name == "start_judging":
        for juror in edition.jurors:
            from .jury import recuse_automatically

            recuse_automatically(juror)
    record(
        f"competition.{name}",
        edition,
        actor=actor,
        reason=comment,
        changes={"state": [before, t.target.value]},
    )
    return edition


# -- nominations -------------------------------------------------------------------------------


def _nominee_key(kind: str, obj) -> str:
    return f"{kind}:{obj.id}"


def nominate(
    edition: Edition,
    *,
    actor,
    category: Category | None,
    nominee_kind: str,
    statement: str,
    organisation: Organisation | None = None,
    person: User | None = None,
    on_behalf_of: Organisation | None = None,
    evidence: Iterable = (),
) -> Nomination:
    """A member (or an admin of a verified organisation, on its behalf) nominates an organisation
    or a person. The nominee consents before the nomination is considered; when the nominator is
    an admin of the nominated organisation, its consent is given with the nomination."""
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.email_confirmed_at is None:
        raise NotPermitted(_l("Confirm your email address before nominating."))
    edition = lock_edition(edition.id)
    if edition.state != ES.NOMINATIONS_OPEN:
        raise InvalidTransition(_l("Nominations for this edition are not open."))
    if category is None or category.edition_id != edition.id:
        raise ValidationFailed(_l("Choose a category."), field="category")
    if on_behalf_of is not None and on_behalf_of.id not in {
        o.id for o in community.admin_organisations(actor)
    }:
        raise ValidationFailed(
            _l("You can nominate on behalf of a verified organisation you are an admin of."),
            field="on_behalf_of",
        )
    kind = edition.competition.nominee_kind
    if nominee_kind != kind:
        raise ValidationFailed(
            _l("This competition is for organisations.")
            if kind == NomineeKind.ORGANISATION
            else _l("This competition is for people."),
            field="nominee",
        )
    if kind == NomineeKind.ORGANISATION:
        if organisation is None or not organisation.verified:
            raise ValidationFailed(_l("Choose a verified organisation."), field="nominee")
        nominee = organisation
    else:
        if person is None or not person.is_active_account or person.email_confirmed_at is None:
            raise ValidationFailed(_l("No confirmed account has this email address."), field="nominee")
        if person.id == actor.id:
            raise ValidationFailed(_l("Someone else must nominate you."), field="nominee")
        nominee = person
    statement = clean_text(statement, 8000, "statement", required=True)
    if len(statement) < 50:
        raise ValidationFailed(
            _l("Say in at least 50 characters why the nominee deserves it."), field="statement"
        )
    files = [f for f in evidence if f is not None and getattr(f, "filename", None)]
    if len(files) > MAX_EVIDENCE:
        raise ValidationFailed(_l("At most %(n)s files.", n=MAX_EVIDENCE), field="evidence")
    key = _nominee_key(kind, nominee)
    if db.session.scalar(
        select(Nomination.id).where(Nomination.edition_id == edition.id, Nomination.nominee_key == key)
    ):
        raise ValidationFailed(_l("This nominee is already nominated in this edition."), field="nominee")
    nomination = Nomination(
        edition_id=edition.id,
        category_id=category.id,
        nominee_kind=kind,
        nominee_organisation_id=nominee.id if kind == NomineeKind.ORGANISATION else None,
        nominee_user_id=nominee.id if kind == NomineeKind.PERSON else None,
        nominee_key=key,
        nominated_by_id=actor.id,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of is not None else None,
        statement=statement,
        state=NS.AWAITING_CONSENT,
    )
    try:
        with db.session.begin_nested():
            db.session.add(nomination)
    except IntegrityError:
        raise ValidationFailed(
            _l("This nominee is already nominated in this edition."), field="nominee"
        ) from None
    for upload in files:
        stored = store_upload(upload, uploaded_by=actor, field="evidence")
        db.session.add(NominationEvidence(nomination_id=nomination.id, file_id=stored.id, caption=""))
    db.session.flush()
    record(
        "competition.nominated", nomination, actor=actor, changes={"nominee": key, "category": category.id}
    )
    if kind == NomineeKind.ORGANISATION and community.is_organisation_admin(actor, nominee):
        _consent(nomination, actor=actor, accept=True)
    else:
        _notify_nominee(nomination)
    return nomination


def nominee_deciders(nomination: Nomination) -> list[User]:
    if nomination.nominee_kind == NomineeKind.PERSON:
        return [nomination.nominee_user]
    return list(
        db.session.scalars(
            select(User)
            .join(OrganisationMember, OrganisationMember.user_id == User.id)
            .where(
                OrganisationMember.organisation_id == nomination.nominee_organisation_id,
                OrganisationMember.role == "admin",
                OrganisationMember.status == "active",
            )
            .order_by(User.id)
        )
    )


def is_nominee(user, nomination: Nomination) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if nomination.nominee_kind == NomineeKind.PERSON:
        return nomination.nominee_user_id == user.id
    return community.is_organisation_admin(user, nomination.nominee_organisation)


def _notify_nominee(nomination: Nomination) -> None:
    for user in nominee_deciders(nomination):
        queue_email(
            user,
            _l("You have been nominated: please say whether you agree"),
            "competitions/email/consent",
            nomination=nomination,
            link=public_link("competitions.nomination", nomination_id=nomination.id),
        )


def _consent(nomination: Nomination, *, actor, accept: bool) -> None:
    nomination.state = NS.CONSENTED if accept else NS.DECLINED
    nomination.consent_by_id = actor.id
    nomination.consent_at = utcnow()
    db.session.flush()
    record(
        "competition.nomination_consented" if accept else "competition.nomination_declined",
        nomination,
        actor=actor,
        changes={"state": [NS.AWAITING_CONSENT.value, nomination.state]},
    )


def lock_nomination(nomination_id: int) -> Nomination:
    return lock_one(Nomination, nomination_id, InvalidTransition(_l("This nomination does not exist.")))


def respond_to_nomination(nomination: Nomination, *, actor, accept: bool) -> Nomination:
    """The nominee (the person, or an admin of the organisation) agrees or declines."""
    nomination = lock_nomination(nomination.id)
    if not is_nominee(actor, nomination):
        raise NotPermitted(_l("Only the nominee can answer this nomination."))
    if nomination.state != NS.AWAITING_CONSENT:
        raise InvalidTransition(_l("This nomination has already been answered."))
    if nomination.edition.state not in (ES.NOMINATIONS_OPEN, ES.ELIGIBILITY):
        raise InvalidTransition(_l("It is too late to answer this nomination."))
    _consent(nomination, actor=actor, accept=accept)
    return nomination


def check_eligibility(
    nomination: Nomination, *, actor, eligible: bool, reason: str | None = None
) -> Nomination:
    """An administrator decides whether a consented nomination meets the edition's rules; a
    nomination found not eligible carries the reason, which the nominator and nominee see."""
    _require_admin(actor)
    nomination = lock_nomination(nomination.id)
    if nomination.edition.state not in (ES.NOMINATIONS_OPEN, ES.ELIGIBILITY):
        raise InvalidTransition(_l("Eligibility is decided before judging starts."))
    if nomination.state not in (NS.CONSENTED, NS.ELIGIBLE, NS.NOT_ELIGIBLE):
        raise InvalidTransition(_l("Only a nomination the nominee agreed to can be checked."))
    reason = clean_text(reason, 2000, "reason", required=not eligible) or None
    before = nomination.state
    nomination.state = NS.ELIGIBLE if eligible else NS.NOT_ELIGIBLE
    nomination.eligibility_reason = None if eligible else reason
    nomination.checked_by_id = actor.id
    nomination.checked_at = utcnow()
    db.session.flush()
    record(
        "competition.eligibility_checked",
        nomination,
        actor=actor,
        reason=reason,
        changes={"state": [before, nomination.state]},
    )
    return nomination


def considered(edition: Edition) -> list[Nomination]:
    """The nominations that go before the jury and the public: eligible ones."""
    return list(
        db.session.scalars(
            select(Nomination)
            .where(Nomination.edition_id == edition.id, Nomination.state == NS.ELIGIBLE)
            .order_by(Nomination.category_id, Nomination.id)
        )
    )


def parse_rubric(text: str) -> list[CriterionSpec]:
    """Rubric lines "name | weight | 1: meaning; 4: meaning" → criteria (``ValidationFailed`` on
    ``criteria`` naming the line that is wrong)."""
    specs = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not parts[0] or not parts[1].isdigit():
            raise ValidationFailed(
                _l("Line %(n)s: write name | weight | levels.", n=number), field="criteria"
            )
        levels = []
        for piece in parts[2].split(";"):
            score, _sep, meaning = piece.partition(":")
            if not score.strip().isdigit() or not meaning.strip():
                raise ValidationFailed(
                    _l("Line %(n)s: each level is “score: meaning”, separated by “;”.", n=number),
                    field="criteria",
                )
            levels.append({"from": int(score), "meaning": clean_text(meaning, 300, "criteria")})
        specs.append(
            CriterionSpec(
                clean_text(parts[0], 200, "criteria"), int(parts[1]), sorted(levels, key=lambda x: x["from"])
            )
        )
    return specs


def public_link(endpoint: str, **values) -> str:
    """An absolute link for mail, always on the configured public address."""
    from flask import current_app, url_for

    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def nominations_of(user) -> list[Nomination]:
    """Nominations a person made or is the nominee (or an admin of the nominee) of."""
    admin_ids = [o.id for o in community.admin_organisations(user, verified_only=False)]
    return list(
        db.session.scalars(
            select(Nomination)
            .where(
                or_(
                    Nomination.nominated_by_id == user.id,
                    Nomination.nominee_user_id == user.id,
                    Nomination.nominee_organisation_id.in_(admin_ids),
                )
            )
            .order_by(Nomination.id.desc())
        )
    )
