"""Specialists: members' profiles, needs posted by project authors and organisations' admins,
matching with the reason shown, and placements tracked to an end.

States of a placement: ``interested`` (the specialist asked) or ``invited`` (the need's owner
asked) → ``active`` (the other side accepted) or ``declined``; ``active → completed | cut_short``.
One placement per (need, specialist): asking twice changes nothing. A need of a project adds the
specialist to the project's team only when they agreed to be named there.

Visibility: a ``public`` profile is seen by everyone, a ``members`` one by signed-in members, a
``hidden`` one by its specialist, the fund's staff and the owners of needs it has a placement
with. Search is full text on both engines (``core.fulltext``): the profile's field, skills and
tags (named in every language of the portal) rank before its summary, a need's role before its
description; the matching of a need to specialists adds the words of the need's role."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import force_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from fundapp.audit.services import record
from fundapp.core import fulltext
from fundapp.core.db import lock_one, utcnow
from fundapp.core.errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.files.services import store_upload
from fundapp.proposals.models import Project, TeamMember

from . import services, vocab
from .models import (
    NeedStatus,
    Placement,
    PlacementStatus,
    SpecialistNeed,
    SpecialistProfile,
    Visibility,
)

SKILLS = {
    "teaching": _l("Teaching"),
    "medicine": _l("Medicine"),
    "engineering": _l("Engineering"),
    "software": _l("Software development"),
    "agronomy": _l("Agronomy"),
    "finance": _l("Finance and accounting"),
    "law": _l("Law"),
    "management": _l("Project management"),
    "energy": _l("Energy"),
    "construction": _l("Construction"),
    "translation": _l("Translation"),
    "research": _l("Research"),
}
AVAILABILITY = {
    "remote": _l("Remote"),
    "on_site": _l("On site in Tajikistan"),
    "short": _l("Short assignment"),
    "long": _l("Long placement"),
    "mentoring": _l("Mentoring"),
}
VISIBILITY_LABELS = {
    Visibility.public: _l("Public: everyone may see the profile"),
    Visibility.members: _l("Members only: signed-in members may see it"),
    Visibility.hidden: _l("Hidden: only the fund's staff and needs I answer"),
}
STATUS_LABELS = {
    PlacementStatus.interested: _l("Interest expressed"),
    PlacementStatus.invited: _l("Invited"),
    PlacementStatus.active: _l("In progress"),
    PlacementStatus.completed: lazy_pgettext("placement", "Completed"),
    PlacementStatus.cut_short: _l("Cut short"),
    PlacementStatus.declined: lazy_pgettext("placement", "Declined"),
}
ENDED = (PlacementStatus.completed, PlacementStatus.cut_short)


def skill_label(code: str) -> str:
    return str(SKILLS.get(code, code))


def availability_label(code: str) -> str:
    return str(AVAILABILITY.get(code, code))


def _every_language(texts) -> str:
    """``texts()`` (labels) in each of the portal's languages, so a search in any finds them."""
    words = []
    for lang in current_app.config["LANGUAGES"]:
        with force_locale(lang):
            words += [str(t) for t in texts()]
    return " ".join(dict.fromkeys(words))


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


# -- who may ------------------------------------------------------------------------------------


def own_profile(user) -> SpecialistProfile | None:
    if not _signed_in(user):
        return None
    return db.session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == user.id))


def is_need_owner(user, need: SpecialistNeed) -> bool:
    if not _signed_in(user):
        return False
    if need.project_id is not None:
        return need.project is not None and need.project.owner_id == user.id
    return need.organisation is not None and services.is_organisation_admin(user, need.organisation)


def visible_levels(user) -> tuple[str, ...]:
    return (Visibility.public, Visibility.members) if _signed_in(user) else (Visibility.public,)


def can_view_profile(user, profile: SpecialistProfile) -> bool:
    if profile.visibility in visible_levels(user):
        return True
    if not _signed_in(user):
        return False
    if profile.user_id == user.id or user.has_any_role("administrator", "auditor"):
        return True
    return any(is_need_owner(user, p.need) for p in _placements_of_profile(profile))


def can_read_cv(user, profile: SpecialistProfile) -> bool:
    """The CV: the specialist, staff and auditors, and owners of needs the specialist answered or
    was invited to — never anyone else, whatever the profile's visibility."""
    if not _signed_in(user) or profile.cv_file_id is None:
        return False
    if profile.user_id == user.id or user.has_any_role("administrator", "auditor"):
        return True
    return any(is_need_owner(user, p.need) for p in _placements_of_profile(profile))


def cv_file_rule(user, stored_file) -> bool:
    if not _signed_in(user):
        return False
    profile = db.session.scalar(
        select(SpecialistProfile).where(SpecialistProfile.cv_file_id == stored_file.id)
    )
    return profile is not None and can_read_cv(user, profile)


def _placements_of_profile(profile) -> list[Placement]:
    return db.session.scalars(select(Placement).where(Placement.profile_id == profile.id)).all()


def owner_choices(user) -> list[tuple[str, str]]:
    """Where ``user`` may post a need: ``project:<id>`` for their projects, ``org:<id>`` for the
    verified organisations (agencies included) they administer."""
    if not _signed_in(user):
        return []
    projects = db.session.scalars(
        select(Project).where(Project.owner_id == user.id).order_by(Project.id.desc()).limit(50)
    ).all()
    out = [(f"project:{p.id}", p.title) for p in projects]
    out += [(f"org:{o.id}", o.name) for o in services.admin_organisations(user)]
    return out


# -- profiles -----------------------------------------------------------------------------------


def _tags(value) -> str:
    text = clean_text(value, 300, "tags")
    tags = [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]
    if any(len(t) > 40 for t in tags):
        raise ValidationFailed(_l("At most %(n)s characters.", n=40), field="tags")
    return ", ".join(dict.fromkeys(tags[:12]))


def save_profile(actor, data: dict, *, cv=None) -> SpecialistProfile:
    """Publish or update ``actor``'s profile. ``data``: field, skills, tags, years, languages,
    country, availability, summary, visibility; ``cv`` an uploaded file (kept private), or None
    to keep the one already there."""
    if data.get("field") not in vocab.FIELDS:
        raise ValidationFailed(_l("Choose from the list."), field="field")
    years = data.get("years")
    if not isinstance(years, int) or not 0 <= years <= 70:
        raise ValidationFailed(_l("Enter a number from 0 to 70."), field="years")
    if data.get("visibility") not in {v.value for v in Visibility}:
        raise ValidationFailed(_l("Choose from the list."), field="visibility")
    values = {
        "field": data["field"],
        "skills": services._codes(data.get("skills"), SKILLS, "skills", required=True, limit=8),
        "tags": _tags(data.get("tags")),
        "years": years,
        "languages": services._codes(data.get("languages"), vocab.LANGUAGE_CODES, "languages", required=True),
        "country": services.clean_country(data.get("country")),
        "availability": services._codes(
            data.get("availability"), AVAILABILITY, "availability", required=True
        ),
        "summary": clean_text(data.get("summary"), 3000, "summary"),
        "visibility": data["visibility"],
    }
    profile = own_profile(actor)
    created = profile is None
    if created:
        profile = SpecialistProfile(user_id=actor.id)
        db.session.add(profile)
    changes = {k: v for k, v in values.items() if getattr(profile, k, None) != v}
    for k, v in values.items():
        setattr(profile, k, v)
    if cv is not None and getattr(cv, "filename", None):
        profile.cv_file_id = store_upload(cv, uploaded_by=actor, allowed=("pdf",), field="cv").id
        changes["cv"] = "uploaded"
    head = " ".join(
        [
            _every_language(
                lambda: [vocab.field_label(profile.field)] + [skill_label(s) for s in profile.codes("skills")]
            ),
            profile.tags,
        ]
    )
    profile.search_title = fulltext.fold(head)
    profile.search_text = fulltext.fold(f"{head}\n{profile.summary}")
    db.session.flush()
    record(
        "community.publish_specialist" if created else "community.update_specialist",
        profile,
        actor=actor,
        changes={k: changes[k] for k in changes if k not in ("summary",)},
    )
    return profile


def profile_query(user, *, q: str = "", country: str = "", skill: str = ""):
    query = select(SpecialistProfile).where(
        SpecialistProfile.visibility.in_([str(v) for v in visible_levels(user)])
    )
    if country:
        query = query.where(SpecialistProfile.country == country.upper()[:2])
    if skill in SKILLS:
        query = query.where(
            or_(SpecialistProfile.skills == skill, SpecialistProfile.skills.like(f"%{skill}%"))
        )
    return fulltext.search(query, SpecialistProfile, q).order_by(
        SpecialistProfile.years.desc(), SpecialistProfile.id
    )


def profile_countries(user) -> list[str]:
    """Countries of the profiles ``user`` may see (for the directory's filter)."""
    return db.session.scalars(
        select(SpecialistProfile.country)
        .where(SpecialistProfile.visibility.in_([str(v) for v in visible_levels(user)]))
        .distinct()
        .order_by(SpecialistProfile.country)
    ).all()


# -- needs --------------------------------------------------------------------------------------


def post_need(actor, data: dict) -> SpecialistNeed:
    """``data``: owner ('project:<id>' or 'org:<id>'), role, skills, languages, country ('' for
    anywhere), description, months, on_site, stipend."""
    owner = data.get("owner") or ""
    if owner not in {key for key, _ in owner_choices(actor)}:
        raise ValidationFailed(_l("Choose one of your projects or organisations."), field="owner")
    kind, _, ident = owner.partition(":")
    months = data.get("months")
    if not isinstance(months, int) or not 1 <= months <= 60:
        raise ValidationFailed(_l("Enter a number of months from 1 to 60."), field="months")
    need = SpecialistNeed(
        posted_by_id=actor.id,
        project_id=int(ident) if kind == "project" else None,
        organisation_id=int(ident) if kind == "org" else None,
        role=clean_text(data.get("role"), 200, "role", required=True),
        skills=services._codes(data.get("skills"), SKILLS, "skills", required=True, limit=8),
        languages=services._codes(data.get("languages"), vocab.LANGUAGE_CODES, "languages"),
        country=services.clean_country(data["country"]) if data.get("country") else "",
        description=clean_text(data.get("description"), 5000, "description"),
        months=months,
        on_site=bool(data.get("on_site")),
        stipend=bool(data.get("stipend")),
    )
    need.search_title = fulltext.fold(need.role)
    need.search_text = fulltext.fold(
        " ".join(
            [
                need.role,
                need.description,
                _every_language(lambda: [skill_label(s) for s in need.codes("skills")]),
            ]
        )
    )
    db.session.add(need)
    db.session.flush()
    record("community.post_need", need, actor=actor, changes={"role": need.role, "owner": owner})
    return need


def close_need(need: SpecialistNeed, actor) -> SpecialistNeed:
    if not is_need_owner(actor, need):
        raise NotPermitted(_l("Only the need's owner may do this."))
    if need.status != NeedStatus.open:
        raise InvalidTransition(_l("This need is already closed."))
    need.status = NeedStatus.closed
    db.session.flush()
    record("community.close_need", need, actor=actor)
    return need


def need_query(*, q: str = "", skill: str = "", status: str = NeedStatus.open):
    query = select(SpecialistNeed).where(SpecialistNeed.status == status)
    if skill in SKILLS:
        query = query.where(SpecialistNeed.skills.like(f"%{skill}%"))
    return fulltext.search(query, SpecialistNeed, q).order_by(SpecialistNeed.id.desc())


def need_owner_name(need: SpecialistNeed) -> str:
    if need.organisation is not None:
        return need.organisation.name
    return need.project.title if need.project is not None else ""


# -- matching -----------------------------------------------------------------------------------


def match(need: SpecialistNeed, profile: SpecialistProfile) -> tuple[int, list[str]]:
    """A score and the reasons, in the reader's language: skills in common (3 each), a shared
    language (2), availability that fits the need (2), the need's country (1)."""
    score, reasons = 0, []
    common = [s for s in need.codes("skills") if s in profile.codes("skills")]
    if common:
        score += 3 * len(common)
        reasons.append(str(_l("Skills in common: %(s)s", s=", ".join(skill_label(s) for s in common))))
    langs = [c for c in need.codes("languages") if c in profile.codes("languages")]
    if langs:
        score += 2
        reasons.append(str(_l("Language: %(l)s", l=", ".join(vocab.language_label(c) for c in langs))))
    wanted = {"on_site", "long" if need.months > 6 else "short"} if need.on_site else {"remote"}
    fits = [a for a in profile.codes("availability") if a in wanted]
    if fits:
        score += 2
        reasons.append(str(_l("Available: %(a)s", a=", ".join(availability_label(a) for a in fits))))
    if need.country and need.country == profile.country:
        score += 1
        reasons.append(str(_l("Lives in the need's country")))
    return score, reasons


def specialists_for(
    need: SpecialistNeed, user, limit: int = 30
) -> list[tuple[SpecialistProfile, int, list[str]]]:
    """Profiles ``user`` may see that share at least one skill with the need, best first."""
    profiles = db.session.scalars(
        select(SpecialistProfile).where(
            SpecialistProfile.visibility.in_([str(v) for v in visible_levels(user)]),
            or_(*[SpecialistProfile.skills.like(f"%{s}%") for s in need.codes("skills")]),
        )
    ).all()
    ranked = [(p, *match(need, p)) for p in profiles if p.user_id != getattr(user, "id", None)]
    ranked = [r for r in ranked if r[1] > 0 and any(s in r[0].codes("skills") for s in need.codes("skills"))]
    mentions = _profiles_mentioning(need.role, [p.id for p, _, _ in ranked])
    ranked = [
        (p, score + 1, [*reasons, str(_l("The profile mentions the role"))])
        if p.id in mentions
        else (p, score, reasons)
        for p, score, reasons in ranked
    ]
    ranked.sort(key=lambda r: (-r[1], -r[0].years, r[0].id))
    return ranked[:limit]


def _profiles_mentioning(role: str, profile_ids: list[int]) -> set[int]:
    """Of ``profile_ids``, those whose text holds a word of ``role`` (words of four letters or more,
    so "a" or "for" find nothing), by the full-text index."""
    words = [w for w in re.findall(r"[^\W_]+", fulltext.fold(role)) if len(w) >= 4]
    if not words or not profile_ids:
        return set()
    query = select(SpecialistProfile.id).where(SpecialistProfile.id.in_(profile_ids))
    return set(db.session.scalars(fulltext.search(query, SpecialistProfile, " or ".join(words))))


def needs_for(profile: SpecialistProfile, limit: int = 30) -> list[tuple[SpecialistNeed, int, list[str]]]:
    needs = db.session.scalars(
        select(SpecialistNeed).where(
            SpecialistNeed.status == NeedStatus.open,
            or_(*[SpecialistNeed.skills.like(f"%{s}%") for s in profile.codes("skills")]),
        )
    ).all()
    ranked = [(n, *match(n, profile)) for n in needs]
    ranked = [r for r in ranked if any(s in profile.codes("skills") for s in r[0].codes("skills"))]
    ranked.sort(key=lambda r: (-r[1], -r[0].id))
    return ranked[:limit]


# -- placements ---------------------------------------------------------------------------------


def _owners(need: SpecialistNeed) -> list:
    if need.organisation is not None:
        return services._admins(need.organisation)
    return [need.project.owner] if need.project is not None else []


def _mail(users, subject, template, placement: Placement, endpoint: str, **values) -> None:
    services._mail(
        users,
        subject,
        template,
        placement=placement,
        need=placement.need,
        link=services.public_link(endpoint, **values),
    )


def _existing(need, profile) -> Placement | None:
    return db.session.scalar(
        select(Placement).where(Placement.need_id == need.id, Placement.profile_id == profile.id)
    )


def _new_placement(need, profile, status, actor, action) -> tuple[Placement, bool]:
    """The pair's placement, and whether it was made now (a second ask changes nothing)."""
    if need.status != NeedStatus.open:
        raise InvalidTransition(_l("This need is closed."))
    found = _existing(need, profile)
    if found is not None:
        return found, False
    placement = Placement(need_id=need.id, profile_id=profile.id, status=status)
    try:
        with db.session.begin_nested():
            db.session.add(placement)
            db.session.flush()
    except IntegrityError:  # the same pair asked at the same moment from another request
        return _existing(need, profile), False
    record(action, placement, actor=actor, changes={"need": need.id, "profile": profile.id})
    return placement, True


def express_interest(need: SpecialistNeed, actor, *, join_team: bool = False) -> Placement:
    profile = own_profile(actor)
    if profile is None:
        raise NotPermitted(_l("Publish your specialist profile first."))
    if is_need_owner(actor, need):
        raise NotPermitted(_l("This need is yours."))
    placement, created = _new_placement(
        need, profile, PlacementStatus.interested, actor, "community.express_interest"
    )
    if not created:
        return placement
    placement.join_team = bool(join_team)
    _mail(
        _owners(need),
        _l("A specialist is interested in your need"),
        "specialist_interest",
        placement,
        "community.need_detail",
        need_id=need.id,
    )
    return placement


def invite(need: SpecialistNeed, actor, profile: SpecialistProfile) -> Placement:
    if not is_need_owner(actor, need):
        raise NotPermitted(_l("Only the need's owner may do this."))
    if profile.visibility not in visible_levels(actor) or profile.user_id == actor.id:
        raise NotPermitted(_l("This specialist cannot be invited."))
    placement, created = _new_placement(
        need, profile, PlacementStatus.invited, actor, "community.invite_specialist"
    )
    if not created:
        return placement
    _mail(
        [profile.user],
        _l("You are invited to a need"),
        "specialist_invited",
        placement,
        "community.need_detail",
        need_id=need.id,
    )
    return placement


def can_view_placement(user, placement: Placement) -> bool:
    if not _signed_in(user):
        return False
    return (
        placement.profile.user_id == user.id
        or is_need_owner(user, placement.need)
        or user.has_any_role("administrator", "auditor")
    )


def _answerer_is(actor, placement) -> bool:
    """Who answers: the owner answers interest, the specialist answers an invitation."""
    if placement.status == PlacementStatus.interested:
        return is_need_owner(actor, placement.need)
    return placement.profile.user_id == actor.id


def accept(placement: Placement, actor, *, join_team: bool = False) -> Placement:
    """The other side accepts: the placement starts. ``join_team`` is the specialist's consent to
    join the project's team, named on its page (asked when the specialist accepts; when the owner
    accepts an interest, the consent given with the interest stands)."""
    placement = lock_one(Placement, placement.id, NotFound())
    if placement.status not in (PlacementStatus.interested, PlacementStatus.invited):
        raise InvalidTransition(_l("This placement has already been answered."))
    if not _answerer_is(actor, placement):
        raise NotPermitted(_l("Only the other side may answer."))
    if placement.need.status != NeedStatus.open:
        raise InvalidTransition(_l("This need is closed."))
    if placement.profile.user_id == actor.id:
        placement.join_team = bool(join_team)
    placement.status = PlacementStatus.active
    placement.started_at = utcnow()
    _join_team(placement)
    db.session.flush()
    record("community.start_placement", placement, actor=actor, changes={"join_team": placement.join_team})
    if placement.profile.user_id == actor.id:
        _mail(
            _owners(placement.need),
            _l("A specialist accepted your invitation"),
            "specialist_started",
            placement,
            "community.need_detail",
            need_id=placement.need_id,
        )
    else:
        _mail(
            [placement.profile.user],
            _l("Your interest was accepted"),
            "specialist_started",
            placement,
            "community.my_specialist",
        )
    return placement


def _join_team(placement: Placement) -> None:
    need = placement.need
    if need.project is None or not placement.join_team:
        return
    user = placement.profile.user
    if user.id in need.project.team_user_ids():
        return
    db.session.add(
        TeamMember(project_id=need.project_id, name=user.full_name, role=need.role, user_id=user.id)
    )


def decline(placement: Placement, actor) -> Placement:
    placement = lock_one(Placement, placement.id, NotFound())
    if placement.status not in (PlacementStatus.interested, PlacementStatus.invited):
        raise InvalidTransition(_l("This placement has already been answered."))
    if not _answerer_is(actor, placement):
        raise NotPermitted(_l("Only the other side may answer."))
    placement.status = PlacementStatus.declined
    db.session.flush()
    record("community.decline_placement", placement, actor=actor)
    other = [placement.profile.user] if placement.profile.user_id != actor.id else _owners(placement.need)
    _mail(
        other,
        _l("A placement was declined"),
        "specialist_declined",
        placement,
        "community.need_detail",
        need_id=placement.need_id,
    )
    return placement


def end(placement: Placement, actor, outcome: str) -> Placement:
    """The owner or the specialist ends an active placement: ``completed`` or ``cut_short``."""
    placement = lock_one(Placement, placement.id, NotFound())
    if outcome not in {s.value for s in ENDED}:
        raise ValidationFailed(_l("Choose from the list."), field="outcome")
    if placement.status != PlacementStatus.active:
        raise InvalidTransition(_l("Only a placement in progress can end."))
    is_specialist = placement.profile.user_id == actor.id
    if not (is_specialist or is_need_owner(actor, placement.need)):
        raise NotPermitted(_l("Only the need's owner or the specialist may do this."))
    placement.status = outcome
    placement.ended_at = utcnow()
    db.session.flush()
    record("community.end_placement", placement, actor=actor, changes={"status": outcome})
    other = _owners(placement.need) if is_specialist else [placement.profile.user]
    _mail(
        other,
        _l("A placement ended"),
        "specialist_ended",
        placement,
        "community.need_detail",
        need_id=placement.need_id,
    )
    return placement


def placement_counts() -> dict[str, int]:
    """Public counts: placements in progress and ended, whatever the profiles' visibility."""
    rows = db.session.execute(
        select(Placement.status, func.count(Placement.id))
        .where(Placement.status.in_([PlacementStatus.active, *ENDED]))
        .group_by(Placement.status)
    ).all()
    counts = {str(s): 0 for s in (PlacementStatus.active, *ENDED)}
    counts.update({s: n for s, n in rows})
    return counts


def placements_started_by_country(start, end_) -> dict[str, int]:
    """Placements that started in ``[start, end_)``, by the specialist's country (the Plan's figure)."""
    rows = db.session.execute(
        select(SpecialistProfile.country, func.count(Placement.id))
        .join(SpecialistProfile, SpecialistProfile.id == Placement.profile_id)
        .where(Placement.started_at >= start, Placement.started_at < end_)
        .group_by(SpecialistProfile.country)
    ).all()
    return {c: n for c, n in rows}


def placements_of_need(need) -> list[Placement]:
    return db.session.scalars(
        select(Placement).where(Placement.need_id == need.id).order_by(Placement.id)
    ).all()


def placements_of(profile) -> list[Placement]:
    return db.session.scalars(
        select(Placement).where(Placement.profile_id == profile.id).order_by(Placement.id.desc())
    ).all()


def own_placement(user, need) -> Placement | None:
    profile = own_profile(user)
    return _existing(need, profile) if profile is not None else None
