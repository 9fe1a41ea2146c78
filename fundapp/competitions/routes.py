"""Competition pages: thin handlers that validate a form, call a service, commit once, redirect.

Who sees what: editions other than drafts, their eligible nominees, results and the tally are
public; a nomination's page is for its nominator, its nominee, administrators and auditors, and
jurors who declared no conflict; the jury's pages are for that edition's jurors; the staff pages
for administrators (treasurers and auditors read them, treasurers pay prizes). Anyone else gets 404.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from fundapp.accounts.models import User
from fundapp.community import services as community
from fundapp.community.models import Organisation, OrganisationStatus
from fundapp.core.errors import DomainError
from fundapp.core.forms import put_errors
from fundapp.core.security import public, roles_required, step_up_required
from fundapp.extensions import db, limiter

from . import jury, prizes, services, tally, voting
from .forms import (
    AnswerForm,
    CompetitionForm,
    DeclareForm,
    EditionForm,
    EligibilityForm,
    JurorForm,
    NominateForm,
    PrizeForm,
    PrizePayForm,
    PrizeRequestForm,
    TransitionForm,
    VoteForm,
    score_form_for,
)
from .models import Competition, Edition, EditionState, Nomination, NominationState, Prize

bp = Blueprint("competitions", __name__)
READERS = ("administrator", "treasurer", "auditor")


def _me():
    return current_user._get_current_object()


def _is(roles) -> bool:
    return current_user.is_authenticated and current_user.has_any_role(*roles)


def _edition(edition_id: int, *, public_only: bool = True) -> Edition:
    edition = db.session.get(Edition, edition_id)
    if edition is None or (public_only and edition.state == EditionState.DRAFT and not _is(READERS)):
        abort(404)
    return edition


def _run(fn, form=None, *, on_error):
    """Run a verb; commit on success; on a refusal roll back, put the message on the form (or flash
    it) and return ``on_error(status)``."""
    try:
        result = fn()
    except DomainError as exc:
        db.session.rollback()
        if form is not None:
            put_errors(form, exc, flash_rest=True)
        else:
            flash(str(exc.message), "error")
        return False, on_error(exc.status_code)
    db.session.commit()
    return True, result


# -- public pages ----------------------------------------------------------------------------------


@bp.get("/competitions")
@public
def index():
    comps = db.session.scalars(select(Competition).order_by(Competition.id)).all()
    return render_template("competitions/index.html", competitions=comps)


@bp.get("/competitions/editions/<int:edition_id>")
@public
def edition(edition_id: int):
    edition = _edition(edition_id)
    return _render_edition(edition)


def _render_edition(edition, status=200, vote_form=None):
    shown_states = (NominationState.ELIGIBLE,)
    nominees = services.considered(edition) if edition.state not in (EditionState.DRAFT,) else []
    results = voting.published_results(edition)
    reasons = voting.justifications(edition) if results else {}
    voted = {}
    refusal = None
    if edition.state == EditionState.VOTING:
        refusal = voting.voting_refusal(edition, current_user)
        if current_user.is_authenticated:
            voted = {c.id: voting.has_voted(c, current_user) for c in edition.categories}
    names = {n.id: n for n in nominees}
    cp = voting.checkpoint(edition)
    return (
        render_template(
            "competitions/edition.html",
            edition=edition,
            nominees=nominees,
            names=names,
            results=results,
            reasons=reasons,
            checkpoint=cp,
            voted=voted,
            refusal=refusal,
            vote_form=vote_form or VoteForm(),
            shown_states=shown_states,
            juror=jury.juror_for(edition, current_user),
            categories={c.id: c for c in edition.categories},
            criteria={str(c.id): c for c in edition.criteria},
        ),
        status,
    )


@bp.get("/competitions/editions/<int:edition_id>/tally.json")
@public
def tally_json(edition_id: int):
    edition = _edition(edition_id)
    doc = voting.tally_document(edition)
    if doc is None:
        abort(404)
    body = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="tally-{edition.id}.json"'},
    )


@bp.get("/competitions/receipt")
@public
def receipt():
    code = (request.args.get("code") or "").strip()
    outcome = None
    if code:
        parsed = voting.parse_receipt(code)
        if parsed is None:
            outcome = "malformed"
        else:
            edition = db.session.get(Edition, parsed.edition_id)
            doc = voting.tally_document(edition) if edition is not None else None
            if edition is None:
                outcome = "unknown"
            elif doc is None:
                outcome = "pending"
            else:
                outcome = (
                    "counted"
                    if tally.verify_receipt(doc, seq=parsed.seq, nonce=parsed.nonce)
                    else "not_found"
                )
    return render_template("competitions/receipt.html", code=code, outcome=outcome)


# -- nominating and answering ----------------------------------------------------------------------


def _nominate_choices(form, edition):
    form.category.choices = [SelectChoice(c.id, c.name) for c in edition.categories]
    orgs = db.session.scalars(
        select(Organisation)
        .where(Organisation.status == OrganisationStatus.verified)
        .order_by(Organisation.name)
    ).all()
    form.organisation.choices = [SelectChoice(0, "—")] + [
        SelectChoice(o.id, f"{o.name} ({o.city or o.country})") for o in orgs
    ]
    form.on_behalf_of.choices = [SelectChoice(0, _("Myself"))] + [
        (o.id, o.name) for o in community.admin_organisations(_me())
    ]


@bp.route("/competitions/editions/<int:edition_id>/nominate", methods=["GET", "POST"])
def nominate(edition_id: int):
    edition = _edition(edition_id)
    form = NominateForm()
    _nominate_choices(form, edition)
    if edition.state != EditionState.NOMINATIONS_OPEN:
        flash(_("Nominations for this edition are not open."), "error")
        return redirect(url_for("competitions.edition", edition_id=edition.id))
    if request.method == "POST":
        valid = form.validate()
        person = None
        if form.person_email.data:
            person = db.session.scalar(
                select(User).where(func.lower(User.email) == form.person_email.data.strip().lower())
            )
        if valid:
            ok, result = _run(
                lambda: services.nominate(
                    edition,
                    actor=_me(),
                    category=db.session.get(services.Category, form.category.data or 0),
                    nominee_kind=edition.competition.nominee_kind,
                    organisation=db.session.get(Organisation, form.organisation.data or 0),
                    person=person,
                    on_behalf_of=db.session.get(Organisation, form.on_behalf_of.data or 0),
                    statement=form.statement.data,
                    evidence=request.files.getlist("evidence"),
                ),
                form,
                on_error=lambda status: status,
            )
            if ok:
                flash(_("Thank you: the nomination is recorded."), "success")
                return redirect(url_for("competitions.nomination", nomination_id=result.id), code=303)
            edition = db.session.get(Edition, edition_id)
            _nominate_choices(form, edition)
            return render_template("competitions/nominate.html", edition=edition, form=form), result
        return render_template("competitions/nominate.html", edition=edition, form=form), 400
    return render_template("competitions/nominate.html", edition=edition, form=form)


def _can_view_nomination(nom: Nomination) -> bool:
    if not current_user.is_authenticated:
        return False
    if _is(("administrator", "auditor")) or nom.nominated_by_id == current_user.id:
        return True
    if services.is_nominee(current_user, nom):
        return True
    return jury.may_read_in_full(jury.juror_for(nom.edition, current_user), nom)


def _nomination(nomination_id: int) -> Nomination:
    nom = db.session.get(Nomination, nomination_id)
    if nom is None or not _can_view_nomination(nom):
        abort(404)
    return nom


def _render_nomination(nom, status=200, **forms):
    forms.setdefault("answer_form", AnswerForm())
    forms.setdefault("eligibility_form", EligibilityForm())
    return (
        render_template(
            "competitions/nomination.html",
            nom=nom,
            is_nominee=services.is_nominee(current_user, nom),
            **forms,
        ),
        status,
    )


@bp.get("/competitions/nominations/<int:nomination_id>")
def nomination(nomination_id: int):
    return _render_nomination(_nomination(nomination_id))


@bp.post("/competitions/nominations/<int:nomination_id>/answer")
def answer(nomination_id: int):
    nom = _nomination(nomination_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_nomination(nom, 400, answer_form=form)
    ok, result = _run(
        lambda: services.respond_to_nomination(nom, actor=_me(), accept=form.answer.data == "accept"),
        form,
        on_error=lambda status: _render_nomination(
            db.session.get(Nomination, nomination_id), status, answer_form=form
        ),
    )
    if not ok:
        return result
    flash(_("Thank you: your answer is recorded."), "success")
    return redirect(url_for("competitions.nomination", nomination_id=nomination_id), code=303)


@bp.get("/competitions/mine")
def mine():
    from .models import Juror

    jurors = db.session.scalars(
        select(Juror).where(Juror.user_id == current_user.id).order_by(Juror.id.desc())
    ).all()
    return render_template(
        "competitions/mine.html", nominations=services.nominations_of(_me()), jurors=jurors
    )


# -- the public vote -------------------------------------------------------------------------------


def _vote_limit() -> str:
    from flask import current_app

    return current_app.config.get("COMPETITION_VOTE_RATE_LIMIT", "10 per minute;100 per day")


@bp.post("/competitions/editions/<int:edition_id>/vote")
@limiter.limit(_vote_limit, key_func=lambda: f"vote:{getattr(current_user, 'id', None)}")
def vote(edition_id: int):
    edition = _edition(edition_id)
    form = VoteForm()
    form.nomination.choices = [SelectChoice(n.id, n.nominee_name) for n in services.considered(edition)]
    if not form.validate_on_submit():
        flash(_("Choose one of the nominations."), "error")
        return _render_edition(edition, 400, vote_form=form)
    ok, result = _run(
        lambda: voting.cast_vote(edition, db.session.get(Nomination, form.nomination.data), voter=_me()),
        on_error=lambda status: _render_edition(db.session.get(Edition, edition_id), status),
    )
    if not ok:
        return result
    response = Response(render_template("competitions/voted.html", edition=edition, receipt=result))
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the jury --------------------------------------------------------------------------------------


def _juror(edition_id: int):
    edition = _edition(edition_id)
    juror = jury.juror_for(edition, current_user)
    if juror is None:
        abort(404)
    return edition, juror


@bp.get("/competitions/editions/<int:edition_id>/jury")
def jury_desk(edition_id: int):
    edition, juror = _juror(edition_id)
    rows = []
    for nom in services.considered(edition):
        rows.append(
            {
                "nom": nom,
                "declaration": jury.declaration_for(juror, nom),
                "scored": jury.scorecard_for(juror, nom) is not None,
            }
        )
    return render_template(
        "competitions/jury.html", edition=edition, juror=juror, rows=rows, form=DeclareForm()
    )


@bp.post("/competitions/editions/<int:edition_id>/jury/<int:nomination_id>/declare")
def declare(edition_id: int, nomination_id: int):
    edition, juror = _juror(edition_id)
    nom = db.session.get(Nomination, nomination_id)
    if nom is None or nom.edition_id != edition.id:
        abort(404)
    form = DeclareForm()
    if not form.validate_on_submit():
        flash(_("Say whether you have a conflict of interest."), "error")
        return redirect(url_for("competitions.jury_desk", edition_id=edition.id), code=303)
    ok, result = _run(
        lambda: jury.declare(
            juror, nom, actor=_me(), conflict=form.conflict.data == "yes", note=form.note.data
        ),
        on_error=lambda status: redirect(url_for("competitions.jury_desk", edition_id=edition_id), code=303),
    )
    if not ok:
        return result
    if jury.may_read_in_full(juror, nom):
        return redirect(
            url_for("competitions.score", edition_id=edition_id, nomination_id=nomination_id), code=303
        )
    flash(_("Your declaration is recorded: you will not judge this nomination."), "info")
    return redirect(url_for("competitions.jury_desk", edition_id=edition_id), code=303)


@bp.route("/competitions/editions/<int:edition_id>/jury/<int:nomination_id>", methods=["GET", "POST"])
def score(edition_id: int, nomination_id: int):
    edition, juror = _juror(edition_id)
    nom = db.session.get(Nomination, nomination_id)
    if nom is None or nom.edition_id != edition.id or not jury.may_read_in_full(juror, nom):
        abort(404)
    form = score_form_for(edition)()
    card = jury.scorecard_for(juror, nom)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                jury.submit_scorecard(juror, nom, actor=_me(), scores=form.scores(edition.criteria))
            except DomainError as exc:
                db.session.rollback()
                put_errors(form, exc)
            else:
                db.session.commit()
                flash(_("Your scores are submitted."), "success")
                return redirect(url_for("competitions.jury_desk", edition_id=edition_id), code=303)
        edition = db.session.get(Edition, edition_id)
        nom = db.session.get(Nomination, nomination_id)
        return render_template("competitions/score.html", edition=edition, nom=nom, form=form, card=None), 400
    return render_template("competitions/score.html", edition=edition, nom=nom, form=form, card=card)


# -- staff -----------------------------------------------------------------------------------------


@bp.get("/competitions/admin")
@roles_required(*READERS)
def admin_index():
    comps = db.session.scalars(select(Competition).order_by(Competition.id)).all()
    return render_template("competitions/admin_index.html", competitions=comps)


@bp.route("/competitions/admin/competitions/<int:competition_id>", methods=["GET", "POST"])
@roles_required("administrator")
def admin_competition(competition_id: int):
    comp = db.session.get(Competition, competition_id)
    if comp is None:
        abort(404)
    form = CompetitionForm(obj=comp)
    if request.method == "POST":
        if form.validate_on_submit():
            ok, result = _run(
                lambda: services.edit_competition(
                    comp, actor=_me(), **{f.name: f.data for f in form if f.name != "csrf_token"}
                ),
                form,
                on_error=lambda status: status,
            )
            if ok:
                flash(_("Saved."), "success")
                return redirect(url_for("competitions.admin_index"), code=303)
            return render_template("competitions/admin_competition.html", comp=comp, form=form), result
        return render_template("competitions/admin_competition.html", comp=comp, form=form), 400
    return render_template("competitions/admin_competition.html", comp=comp, form=form)


def _day(d, end=False) -> datetime:
    return datetime.combine(d, time(23, 59) if end else time(0, 0), tzinfo=UTC)


@bp.route("/competitions/admin/editions/new", methods=["GET", "POST"])
@roles_required("administrator")
def admin_new_edition():
    form = EditionForm()
    form.competition.choices = [
        SelectChoice(c.id, c.name) for c in db.session.scalars(select(Competition).order_by(Competition.id))
    ]
    if request.method == "POST":
        if form.validate_on_submit():

            def create():
                return services.create_edition(
                    db.session.get(Competition, form.competition.data),
                    actor=_me(),
                    title=form.title.data,
                    nominations_open_on=_day(form.nominations_open_on.data),
                    nominations_close_on=_day(form.nominations_close_on.data, end=True),
                    results_on=_day(form.results_on.data, end=True),
                    eligibility_rules=form.eligibility_rules.data,
                    categories=form.categories.data.splitlines(),
                    criteria=services.parse_rubric(form.criteria.data),
                    public_vote=form.public_vote.data,
                    jury_weight=form.jury_weight.data,
                    voter_min_account_days=form.voter_min_account_days.data,
                    name_jurors=form.name_jurors.data,
                    scale_max=form.scale_max.data,
                )

            if db.session.get(Competition, form.competition.data or 0) is None:
                form.competition.errors = [_("Choose a competition.")]
            else:
                ok, result = _run(create, form, on_error=lambda status: status)
                if ok:
                    flash(_("The edition is created as a draft."), "success")
                    return redirect(url_for("competitions.admin_edition", edition_id=result.id), code=303)
                form.competition.choices = [
                    SelectChoice(c.id, c.name)
                    for c in db.session.scalars(select(Competition).order_by(Competition.id))
                ]
                return render_template("competitions/admin_new_edition.html", form=form), result
        return render_template("competitions/admin_new_edition.html", form=form), 400
    return render_template("competitions/admin_new_edition.html", form=form)


def _render_admin_edition(edition, status=200, **forms):
    from .models import Nomination as N

    noms = db.session.scalars(select(N).where(N.edition_id == edition.id).order_by(N.category_id, N.id)).all()
    forms.setdefault("transition_form", TransitionForm())
    forms.setdefault("juror_form", JurorForm())
    prize_form = forms.setdefault("prize_form", PrizeForm())
    prize_form.category.choices = [SelectChoice(c.id, c.name) for c in edition.categories]
    forms.setdefault("request_form", PrizeRequestForm())
    forms.setdefault("pay_form", PrizePayForm())
    return (
        render_template(
            "competitions/admin_edition.html",
            edition=edition,
            nominations=noms,
            transitions=services.allowed_transitions(edition),
            progress=jury.progress(edition),
            fund={
                c: prizes.prize_fund_balance(c)
                for c in {p.amount_currency for p in edition.prizes if p.amount_currency}
            },
            **forms,
        ),
        status,
    )


@bp.get("/competitions/admin/editions/<int:edition_id>")
@roles_required(*READERS)
def admin_edition(edition_id: int):
    return _render_admin_edition(_edition(edition_id, public_only=False))


def _admin_act(edition_id: int, form_name: str, form, fn, done: str):
    edition = _edition(edition_id, public_only=False)
    if not form.validate_on_submit():
        return _render_admin_edition(edition, 400, **{form_name: form})
    ok, result = _run(
        fn,
        form,
        on_error=lambda status: _render_admin_edition(
            db.session.get(Edition, edition_id), status, **{form_name: form}
        ),
    )
    if not ok:
        return result
    flash(done, "success")
    return redirect(url_for("competitions.admin_edition", edition_id=edition_id), code=303)


@bp.post("/competitions/admin/editions/<int:edition_id>/transition/<name>")
@roles_required("administrator")
def admin_transition(edition_id: int, name: str):
    form = TransitionForm()
    edition = _edition(edition_id, public_only=False)
    return _admin_act(
        edition_id,
        "transition_form",
        form,
        lambda: services.transition(edition, name, actor=_me(), comment=form.comment.data),
        _("Done: the edition moved on."),
    )


@bp.post("/competitions/admin/nominations/<int:nomination_id>/eligibility")
@roles_required("administrator")
def admin_eligibility(nomination_id: int):
    nom = db.session.get(Nomination, nomination_id)
    if nom is None:
        abort(404)
    form = EligibilityForm()
    if not form.validate_on_submit():
        return _render_nomination(nom, 400, eligibility_form=form)
    ok, result = _run(
        lambda: services.check_eligibility(
            nom, actor=_me(), eligible=form.eligible.data == "yes", reason=form.reason.data
        ),
        form,
        on_error=lambda status: _render_nomination(
            db.session.get(Nomination, nomination_id), status, eligibility_form=form
        ),
    )
    if not ok:
        return result
    flash(_("The eligibility decision is recorded."), "success")
    return redirect(url_for("competitions.admin_edition", edition_id=nom.edition_id), code=303)


@bp.post("/competitions/admin/editions/<int:edition_id>/jurors")
@roles_required("administrator")
def admin_juror(edition_id: int):
    form = JurorForm()
    edition = _edition(edition_id, public_only=False)

    def appoint():
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == (form.email.data or "").strip().lower())
        )
        return jury.appoint_juror(edition, user, actor=_me())

    return _admin_act(edition_id, "juror_form", form, appoint, _("The juror is appointed."))


@bp.post("/competitions/admin/editions/<int:edition_id>/prizes")
@roles_required("administrator")
def admin_prize(edition_id: int):
    edition = _edition(edition_id, public_only=False)
    form = PrizeForm()
    form.category.choices = [SelectChoice(c.id, c.name) for c in edition.categories]

    def add():
        return prizes.add_prize(
            edition,
            actor=_me(),
            category=db.session.get(services.Category, form.category.data or 0),
            place=form.place.data,
            amount=form.amount.data,
            description=form.description.data,
        )

    return _admin_act(edition_id, "prize_form", form, add, _("The prize is added."))


def _prize(prize_id: int) -> Prize:
    prize = db.session.get(Prize, prize_id)
    if prize is None:
        abort(404)
    return prize


@bp.post("/competitions/admin/prizes/<int:prize_id>/request")
@roles_required("administrator")
@step_up_required
def prize_request(prize_id: int):
    prize = _prize(prize_id)
    form = PrizeRequestForm()
    return _admin_act(
        prize.edition_id,
        "request_form",
        form,
        lambda: prizes.request_prize_payment(prize, actor=_me(), payee=form.payee.data),
        _("The payment is requested: the amount is reserved for a treasurer to pay."),
    )


@bp.post("/competitions/admin/prizes/<int:prize_id>/pay")
@roles_required("treasurer")
@step_up_required
def prize_pay(prize_id: int):
    prize = _prize(prize_id)
    form = PrizePayForm()
    return _admin_act(
        prize.edition_id,
        "pay_form",
        form,
        lambda: prizes.execute_prize_payment(prize, actor=_me(), bank_reference=form.bank_reference.data),
        _("The prize is paid and posted to the ledger."),
    )


@bp.post("/competitions/admin/prizes/<int:prize_id>/award")
@roles_required("administrator")
def prize_award(prize_id: int):
    prize = _prize(prize_id)
    return _admin_act(
        prize.edition_id,
        "transition_form",
        TransitionForm(),
        lambda: prizes.award_honour(prize, actor=_me()),
        _("The honour is awarded."),
    )
