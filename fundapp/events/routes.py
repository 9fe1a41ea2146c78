"""Event pages: the public calendar and archive, an event's page with registration, calendar
files and feeds, the organiser's forms, the door page, the report and certificates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import segno
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from fundapp.community.models import Organisation, OrganisationStatus
from fundapp.core.db import utcnow
from fundapp.core.errors import DomainError
from fundapp.core.forms import put_errors
from fundapp.core.security import public
from fundapp.extensions import db

from . import display, documents, notices, registration, reporting, seats, services
from .forms import (
    LANG_NAMES,
    DoorForm,
    EventForm,
    PhotoForm,
    ReportForm,
    StateForm,
    registration_form_for,
)
from .models import (
    AUDIENCE_LABELS,
    KIND_LABELS,
    LANGS,
    PUBLIC_EVENT_STATES,
    Event,
    EventOrganisation,
    EventState,
    Registration,
    RegistrationStatus,
)

bp = Blueprint("events", __name__)
PER_PAGE = 20


def featured_celebration():
    return display.featured_celebration()


def _lang() -> str:
    return display.default_lang()


def _event_or_404(event_id: int, *, manage: bool = False) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or not services.can_see(current_user, event):
        abort(404)
    if manage and not services.can_manage(current_user, event):
        abort(403)
    return event


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1


def _filters(query, args):
    if args.get("country"):
        query = query.where(Event.country == args["country"].upper()[:2])
    if args.get("city"):
        query = query.where(func.lower(Event.city) == args["city"].strip().lower()[:120])
    if args.get("kind") in {k.value for k in KIND_LABELS}:
        query = query.where(Event.kind == args["kind"])
    if args.get("audience") in {a.value for a in AUDIENCE_LABELS}:
        query = query.where(Event.audience == args["audience"])
    if args.get("organisation", "").isdigit():
        oid = int(args["organisation"])
        query = query.where(
            or_(
                Event.organisation_id == oid,
                Event.id.in_(
                    select(EventOrganisation.event_id).where(EventOrganisation.organisation_id == oid)
                ),
            )
        )
    month = args.get("month", "")
    if (
        len(month) == 7
        and month[4] == "-"
        and month[:4].isdigit()
        and month[5:].isdigit()
        and 1 <= int(month[5:]) <= 12
    ):
        start = datetime(int(month[:4]), int(month[5:]), 1, tzinfo=UTC)
        end = (start + timedelta(days=32)).replace(day=1)
        query = query.where(Event.starts_at < end, Event.ends_at > start)
    return query


def _filter_args() -> dict:
    keys = ("country", "city", "kind", "audience", "month", "organisation")
    return {k: request.args.get(k, "").strip()[:120] for k in keys if request.args.get(k, "").strip()}


def _listing(*, past: bool):
    now = utcnow()
    args = _filter_args()
    query = select(Event).where(Event.state.in_([s.value for s in PUBLIC_EVENT_STATES]))
    if past:
        query = query.where(Event.ends_at <= now, Event.state == EventState.published).order_by(
            Event.starts_at.desc()
        )
    else:
        query = query.where(Event.ends_at > now).order_by(Event.starts_at, Event.id)
    query = _filters(query, args)
    result = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    countries = sorted(
        c for c in db.session.scalars(
            select(Event.country).where(Event.state.in_([s.value for s in PUBLIC_EVENT_STATES])).distinct()
        ) if c
    )  # fmt: skip
    organisations = db.session.scalars(
        select(Organisation)
        .where(Organisation.status == OrganisationStatus.verified)
        .order_by(Organisation.name)
    ).all()
    return render_template(
        "events/list.html",
        result=result,
        events=result.items,
        args=args,
        past=past,
        countries=countries,
        organisations=organisations,
        kinds=KIND_LABELS,
        audiences=AUDIENCE_LABELS,
        lang=_lang(),
        reader_zone=services.user_timezone(current_user),
        times=display.event_times,
        place_line=display.place_line,
        can_create=services.can_create(current_user),
    )


@bp.get("/events")
@public
def calendar():
    return _listing(past=False)


@bp.get("/events/archive")
@public
def archive():
    return _listing(past=True)


@bp.get("/events/<int:event_id>")
@public
def event_detail(event_id: int):
    return _detail_page(_event_or_404(event_id))


def _detail_page(event: Event, *, reg_form=None, state_form=None, status: int = 200):
    """The event's page; a refused registration or change of state is shown again on it with its
    errors beside the fields (and summed up at the top of that form)."""
    lang = _lang()
    reg = registration.registration_of(event, current_user)
    manage = services.can_manage(current_user, event)
    qr = None
    if reg is not None and reg.status == RegistrationStatus.confirmed:
        qr = segno.make(_door_url(event, reg.code), error="m").svg_inline(scale=4, dark="#111", light="#fff")
    projects = [p.project for p in event.projects if p.project.is_public]
    return render_template(
        "events/detail.html",
        event=event,
        lang=lang,
        reg=reg,
        qr=qr,
        manage=manage,
        times=display.event_times(event, services.user_timezone(current_user)),
        place=display.place_line(event),
        links=display.add_to_calendar_links(event, lang),
        taken=seats.seats_taken(event),
        waiting=seats.waiting_count(event),
        open=registration.registration_open(event),
        show_online=bool(event.online_url)
        and (manage or (reg is not None and reg.status == RegistrationStatus.confirmed)),
        projects=projects,
        now=utcnow(),
        transitions=[s.value for s in services.TRANSITIONS[EventState(event.state)]],
        reg_form=reg_form or registration_form_for(event)(formdata=None),
        state_form=state_form,
    ), status


def _door_url(event: Event, code: str) -> str:
    return notices.external_url("events.door", event_id=event.id, code=code)


def _ics(events, name: str, filename: str) -> Response:
    body = display.calendar_file(events, name, _lang())
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "public, max-age=300",
        },
    )


@bp.get("/events/<int:event_id>/event.ics")
@public
def event_ics(event_id: int):
    event = db.session.get(Event, event_id)
    if event is None or not event.is_public:
        abort(404)
    return _ics([event], event.text("title", _lang()), f"event-{event.id}.ics")


def _feed_events(*conditions):
    since = utcnow() - timedelta(days=90)
    return db.session.scalars(
        select(Event)
        .where(Event.state.in_([s.value for s in PUBLIC_EVENT_STATES]), Event.ends_at > since, *conditions)
        .order_by(Event.starts_at)
        .limit(500)
    ).all()


@bp.get("/events/calendar.ics")
@public
def feed_all():
    return _ics(_feed_events(), _("Hamvatan Fund events"), "hamvatan-events.ics")


@bp.get("/events/organisations/<int:org_id>/calendar.ics")
@public
def feed_organisation(org_id: int):
    org = db.session.get(Organisation, org_id)
    if org is None or not org.verified:
        abort(404)
    co = select(EventOrganisation.event_id).where(EventOrganisation.organisation_id == org.id)
    events = _feed_events(or_(Event.organisation_id == org.id, Event.id.in_(co)))
    return _ics(events, _("Events: %(name)s", name=org.name), f"events-organisation-{org.id}.ics")


@bp.get("/events/countries/<country>/calendar.ics")
@public
def feed_country(country: str):
    code = country.upper()
    if len(code) != 2 or not code.isalpha():
        abort(404)
    from fundapp.core.i18n import country_name

    return _ics(
        _feed_events(Event.country == code),
        _("Events: %(name)s", name=country_name(code)),
        f"events-{code}.ics",
    )


# -- the organiser's side ----------------------------------------------------------------------


@bp.get("/events/manage")
def manage():
    """The events a person organises and the ones they registered for."""
    orgs = services.admin_organisations(current_user, verified_only=True)
    query = select(Event).order_by(Event.starts_at.desc())
    if services.is_events_staff(current_user):
        managed = db.session.scalars(query.limit(200)).all()
    elif orgs:
        managed = db.session.scalars(
            query.where(Event.organisation_id.in_([o.id for o in orgs])).limit(200)
        ).all()
    else:
        managed = []
    regs = db.session.scalars(
        select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id == current_user.id, Registration.status != RegistrationStatus.cancelled)
        .order_by(Event.starts_at.desc())
    ).all()
    return render_template(
        "events/manage.html",
        managed=managed,
        regs=regs,
        can_create=services.can_create(current_user),
        lang=_lang(),
    )


def _initial(event: Event | None) -> dict:
    """What the form shows before the first submit."""
    if event is None:
        orgs = services.organisations_for(current_user)
        return {
            "timezone": services.user_timezone(current_user),
            "capacity": "50",
            "max_guests": "2",
            "organisation_id": str(orgs[0].id) if orgs and not services.is_events_staff(current_user) else "",
        }
    fmt = "%Y-%m-%dT%H:%M"
    zone = event.zone

    def local(value):
        return value.astimezone(zone).strftime(fmt) if value else ""

    values = {
        "kind": event.kind, "audience": event.audience, "organisation_id": str(event.organisation_id or ""),
        "country": event.country, "city": event.city, "venue": event.venue, "address": event.address,
        "online_url": event.online_url, "timezone": event.timezone,
        "starts_at": local(event.starts_at), "ends_at": local(event.ends_at),
        "registration_opens_at": local(event.registration_opens_at),
        "registration_closes_at": local(event.registration_closes_at),
        "capacity": str(event.capacity), "max_guests": str(event.max_guests),
        "questions": "\n".join(q.text for q in event.questions),
        "co_organiser_ids": [str(c.organisation_id) for c in event.co_organisers],
        "project_ids": ", ".join(str(p.project_id) for p in event.projects),
    }  # fmt: skip
    for lang in LANGS:
        values[f"title_{lang}"] = getattr(event, f"title_{lang}")
        values[f"description_{lang}"] = getattr(event, f"description_{lang}")
    return values


def _event_form(event: Event | None) -> EventForm:
    verified = db.session.scalars(
        select(Organisation)
        .where(Organisation.status == OrganisationStatus.verified)
        .order_by(Organisation.name)
    ).all()
    form = EventForm(data=None if request.method == "POST" else _initial(event))
    return form.setup(
        holders=services.organisations_for(current_user),
        staff=services.is_events_staff(current_user),
        verified=verified,
    )


def _form_page(event: Event | None, form: EventForm, status: int = 200):
    return (
        render_template(
            "events/form.html",
            event=event,
            form=form,
            langs=LANG_NAMES,
            zones=services.timezone_choices(),
        ),
        status,
    )


def _save_event(form: EventForm, save) -> bool:
    """Run ``save`` with what was typed when the form is sound; every problem goes beside its
    field. Nothing is written unless everything is right."""
    if not form.validate_on_submit():
        return False
    try:
        save(form.values())
    except DomainError as exc:
        db.session.rollback()
        put_errors(form, exc)
        return False
    db.session.commit()
    return True


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    if not services.can_create(current_user):
        if request.method == "POST":
            abort(403)
        return render_template("events/cannot_create.html")
    form = _event_form(None)
    created = []
    if request.method == "POST":
        actor = current_user._get_current_object()
        if _save_event(form, lambda values: created.append(services.create_event(actor, values))):
            flash(_("The draft is saved. Publish it when it is ready."), "info")
            return redirect(url_for("events.event_detail", event_id=created[0].id), 303)
        return _form_page(None, form, 400)
    return _form_page(None, form)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    event = _event_or_404(event_id, manage=True)
    form = _event_form(event)
    if request.method == "POST":
        actor = current_user._get_current_object()
        if _save_event(form, lambda values: services.update_event(event, actor, values)):
            flash(_("Saved."), "info")
            return redirect(url_for("events.event_detail", event_id=event.id), 303)
        return _form_page(event, form, 400)
    return _form_page(event, form)


def _refused(form, exc: DomainError) -> int:
    """Put a service's refusal on the form (beside its field, or at the top); the status to answer."""
    db.session.rollback()
    put_errors(form, exc)
    return exc.status_code if exc.status_code >= 400 else 400


@bp.post("/events/<int:event_id>/state")
def change_state(event_id: int):
    event = _event_or_404(event_id, manage=True)
    form = StateForm()
    action = form.action.data
    if action in ("postpone", "cancel"):
        form.for_action(action)
    if not form.validate():
        if form.action.errors:
            abort(400)
        return _detail_page(event, state_form=form, status=400)
    actor = current_user._get_current_object()
    reason = form.reason.data or ""
    verbs = {
        "publish": (lambda: services.publish_event(event, actor), _("The event is published.")),
        "postpone": (
            lambda: services.postpone_event(event, actor, reason),
            _("The event is postponed; registered people are told."),
        ),
        "cancel": (
            lambda: services.cancel_event(event, actor, reason),
            _("The event is cancelled; registered people are told."),
        ),
    }
    verb, message = verbs[action]
    try:
        verb()
    except DomainError as exc:
        status = _refused(form, exc)
        return _detail_page(_event_or_404(event_id, manage=True), state_form=form, status=status)
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("events.event_detail", event_id=event_id), 303)


# -- registration ------------------------------------------------------------------------------


@bp.post("/events/<int:event_id>/register")
def register(event_id: int):
    event = _event_or_404(event_id)
    form = registration_form_for(event)()
    if not form.validate():
        return _detail_page(event, reg_form=form, status=400)
    try:
        reg = registration.register(
            event,
            current_user._get_current_object(),
            guests=form.guests.data or "0",
            answers=form.answers(event),
        )
    except DomainError as exc:
        status = _refused(form, exc)
        return _detail_page(_event_or_404(event_id), reg_form=form, status=status)
    db.session.commit()
    if reg.status == RegistrationStatus.confirmed:
        flash(_("You are registered. Your code is %(code)s.", code=reg.code), "info")
    else:
        flash(
            _("The event is full: you are on the waiting list and will get a mail if a seat frees up."),
            "info",
        )
    return redirect(url_for("events.event_detail", event_id=event_id) + "#my-registration", 303)


@bp.post("/events/<int:event_id>/registration/cancel")
def cancel_registration(event_id: int):
    event = _event_or_404(event_id)
    reg = registration.registration_of(event, current_user)
    if reg is None:
        abort(404)
    try:
        registration.cancel_registration(reg, current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Your registration is cancelled."), "info")
    return redirect(url_for("events.event_detail", event_id=event_id), 303)


# -- at the door -------------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/door", methods=["GET", "POST"])
def door(event_id: int):
    event = _event_or_404(event_id, manage=True)
    form = DoorForm(request.values)
    code = form.code.data or ""
    found = registration.find_registration(event, code) if code else None
    if request.method == "POST" and form.validate_on_submit():
        try:
            reg = registration.check_in(
                event, current_user._get_current_object(), code, guests=form.guests.data
            )
        except DomainError as exc:
            db.session.rollback()
            put_errors(form, exc, default="code")
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s is checked in (%(n)s guests).",
                    name=reg.user.display_name,
                    n=reg.attended_guests,
                ),
                "info",
            )
            return redirect(url_for("events.door", event_id=event.id), 303)
    regs = registration.attendees(event)
    confirmed = [r for r in regs if r.status == RegistrationStatus.confirmed]
    failed = request.method == "POST"
    return render_template(
        "events/door.html",
        event=event,
        lang=_lang(),
        code=registration.normalise_code(code),
        found=found,
        form=form,
        errors={name: " ".join(map(str, f.errors)) for name, f in form._fields.items() if f.errors},
        confirmed=confirmed,
        came=sum(1 + r.attended_guests for r in confirmed if r.attended_at),
        expected=sum(r.seats for r in confirmed),
    ), (400 if failed else 200)


@bp.get("/events/<int:event_id>/attendees.csv")
def attendees_csv(event_id: int):
    event = _event_or_404(event_id, manage=True)
    body = documents.attendees_csv(event, registration.attendees(event))
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="event-{event.id}-attendees.csv"',
            "Cache-Control": "no-store",
        },
    )


# -- after the event ---------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/report", methods=["GET", "POST"])
def report(event_id: int):
    event = _event_or_404(event_id, manage=True)
    if request.method == "POST":
        form = ReportForm()
        if form.validate_on_submit():
            try:
                reporting.save_report(event, current_user._get_current_object(), form.values())
            except DomainError as exc:
                db.session.rollback()
                put_errors(form, exc)
            else:
                db.session.commit()
                flash(_("The report is saved."), "info")
                return redirect(url_for("events.report", event_id=event.id), 303)
        return _report_page(event, form=form, status=400)
    return _report_page(event)


def _report_page(event: Event, *, form=None, photo_form=None, status: int = 200):
    """The report page; a refused report or photo is shown again with its errors."""
    if form is None:
        rep = event.report
        checked = sum(1 + r.attended_guests for r in event.registrations if r.attended_at)
        form = ReportForm(
            formdata=None,
            data={
                "summary": rep.summary if rep else "",
                "attendance": str(rep.attendance if rep else checked),
                "partners": rep.partners if rep else "",
                "project_ids": ", ".join(str(p.project_id) for p in event.projects),
            },
        )
    return render_template(
        "events/report.html",
        event=event,
        form=form,
        photo_form=photo_form or PhotoForm(formdata=None),
        lang=_lang(),
    ), status


@bp.post("/events/<int:event_id>/photos")
def add_photo(event_id: int):
    event = _event_or_404(event_id, manage=True)
    form = PhotoForm()
    if not form.validate():
        return _report_page(event, photo_form=form, status=400)
    try:
        reporting.add_photo(
            event,
            current_user._get_current_object(),
            form.photo.data,
            form.caption.data or "",
        )
    except DomainError as exc:
        status = _refused(form, exc)
        return _report_page(_event_or_404(event_id, manage=True), photo_form=form, status=status)
    db.session.commit()
    flash(_("The photo is added."), "info")
    return redirect(url_for("events.report", event_id=event.id) + "#photos", 303)


@bp.get("/events/<int:event_id>/certificate.pdf")
def certificate_pdf(event_id: int):
    event = _event_or_404(event_id)
    reg = registration.registration_of(event, current_user)
    if reg is None or reg.attended_at is None:
        abort(404)
    lang = _lang()
    times = display.event_times(event, event.timezone)
    organiser = event.organisation.name if event.organisation else _("Hamvatan Fund")
    body = documents.certificate_pdf(
        reg,
        title=event.text("title", lang),
        dates=f"{times['start']} – {times['end']} ({times['zone']})",
        place=display.place_line(event) or _("Online"),
        organiser=_("Organised by %(name)s", name=organiser),
        check_url=notices.external_url("events.verify_certificate", code=reg.certificate_code),
    )
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="certificate-{reg.certificate_code}.pdf"'},
    )


@bp.get("/events/certificates")
@public
def verify_certificate():
    code = request.args.get("code", "")
    reg = registration.find_certificate(code) if code else None
    return render_template(
        "events/certificate_check.html",
        code=registration.normalise_code(code),
        reg=reg,
        asked=bool(code),
        lang=_lang(),
    ), (404 if code and reg is None else 200)


def answers_of(reg: Registration) -> dict:
    return json.loads(reg.answers or "{}")


bp.add_app_template_global(answers_of, "event_answers")
