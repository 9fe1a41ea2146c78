"""The resource library: teaching materials, legal guides and how-tos, as files or links.

Staff publish at once; an admin of a verified organisation proposes, and staff publish or decline
with a reason (audited, mailed). A file stays private (its uploader and staff) until published;
then it is made public and served by ``files.download``. Downloads are counted with one atomic
``UPDATE``."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from fundapp.accounts.models import User
from fundapp.audit.services import record
from fundapp.core import fulltext
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.files.models import StoredFile
from fundapp.files.services import make_public, store_upload

from . import services, vocab
from .models import Organisation, Resource, ResourceKind, ResourceStatus


def can_publish(user) -> bool:
    return services.is_staff(user) or bool(services.admin_organisations(user))


def can_view(user, resource: Resource) -> bool:
    if resource.status == ResourceStatus.published:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_any_role("administrator", "auditor") or resource.created_by_id == user.id:
        return True
    return resource.organisation is not None and services.is_organisation_admin(user, resource.organisation)


def _clean_url(value: str) -> str:
    value = (value or "").strip()
    parts = urlsplit(value)
    if len(value) > 500 or parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValidationFailed(_l("Enter a web address starting with https://"), field="url")
    return value


def add_resource(actor, data: dict, *, upload=None) -> Resource:
    """Staff publish directly; an admin of a verified organisation (``data["organisation_id"]``)
    proposes an item that waits for staff."""
    org = None
    org_id = data.get("organisation_id")
    if org_id:
        org = db.session.get(Organisation, int(org_id)) if str(org_id).isdigit() else None
        if org is None or not org.verified or not services.is_organisation_admin(actor, org):
            raise ValidationFailed(_l("Choose one of your verified organisations."), field="organisation_id")
    elif not services.is_staff(actor):
        if not services.admin_organisations(actor):
            raise NotPermitted(_l("Staff and verified organisations publish in the library."))
        raise ValidationFailed(_l("Choose one of your verified organisations."), field="organisation_id")
    res = Resource(
        title=clean_text(data.get("title"), 200, "title", required=True),
        description=clean_text(data.get("description"), 5000, "description"),
        created_by_id=actor.id,
        organisation_id=getattr(org, "id", None),
    )
    if data.get("language") not in vocab.LANGUAGE_CODES:
        raise ValidationFailed(_l("Choose from the list."), field="language")
    if data.get("category") not in vocab.RESOURCE_CATEGORIES:
        raise ValidationFailed(_l("Choose from the list."), field="category")
    if data.get("audience") not in vocab.RESOURCE_AUDIENCES:
        raise ValidationFailed(_l("Choose from the list."), field="audience")
    res.language, res.category, res.audience = data["language"], data["category"], data["audience"]
    has_file = upload is not None and getattr(upload, "filename", None)
    if has_file:
        stored = store_upload(upload, uploaded_by=actor, field="file")
        res.kind, res.file_id, res.url = ResourceKind.file, stored.id, ""
    elif (data.get("url") or "").strip():
        res.kind, res.url = ResourceKind.link, _clean_url(data.get("url"))
    else:
        raise ValidationFailed(_l("Upload a file or give a link."), field="file")
    db.session.add(res)
    db.session.flush()
    if org is None:
        _publish(res, actor)
    else:
        record("community.propose_resource", res, actor=actor, changes={"organisation": org.id})
        services._mail(
            services._staff_users(),
            _l("A library item waits for moderation"),
            "resource_proposed",
            resource=res,
            link=services.public_link("community.library_item", resource_id=res.id),
        )
    return res


def _publish(res: Resource, actor) -> None:
    res.status = ResourceStatus.published
    res.published_at = utcnow()
    res.decision_reason = ""
    if res.file_id:
        make_public(db.session.get(StoredFile, res.file_id))
    db.session.flush()
    record("community.publish_resource", res, actor=actor)


def _creator(res: Resource):
    return [u for u in [db.session.get(User, res.created_by_id)] if u is not None]


def publish_resource(res: Resource, actor) -> Resource:
    services._require_staff(actor)
    if res.status == ResourceStatus.published:
        raise InvalidTransition(_l("This item is already published."))
    _publish(res, actor)
    if res.created_by_id != actor.id:
        services._mail(
            _creator(res),
            _l("Your library item is published"),
            "resource_published",
            resource=res,
            link=services.public_link("community.library_item", resource_id=res.id),
        )
    return res


def decline_resource(res: Resource, actor, reason: str) -> Resource:
    services._require_staff(actor)
    reason = clean_text(reason, 2000, "reason", required=True, message=_l("Say why the item is declined."))
    if res.status == ResourceStatus.declined:
        raise InvalidTransition(_l("This item is already declined."))
    if res.file_id and res.status == ResourceStatus.published:
        db.session.get(StoredFile, res.file_id).is_public = False
    res.status = ResourceStatus.declined
    res.decision_reason = reason
    db.session.flush()
    record("community.decline_resource", res, actor=actor, reason=reason)
    services._mail(
        _creator(res),
        _l("Your library item was not published"),
        "resource_declined",
        resource=res,
        reason=reason,
        link=services.public_link("community.library_item", resource_id=res.id),
    )
    return res


def count_download(res: Resource) -> None:
    db.session.execute(update(Resource).where(Resource.id == res.id).values(downloads=Resource.downloads + 1))


def library_query(*, q: str = "", language: str = "", category: str = "", audience: str = "", kind: str = ""):
    query = select(Resource).where(Resource.status == ResourceStatus.published)
    if language in vocab.LANGUAGE_CODES:
        query = query.where(Resource.language == language)
    if category in vocab.RESOURCE_CATEGORIES:
        query = query.where(Resource.category == category)
    if audience in vocab.RESOURCE_AUDIENCES:
        query = query.where(Resource.audience == audience)
    if kind in ("file", "link"):
        query = query.where(Resource.kind == kind)
    return fulltext.search(query, Resource, q).order_by(Resource.published_at.desc(), Resource.id.desc())


def organisation_resources(org: Organisation) -> list[Resource]:
    return list(db.session.scalars(library_query().where(Resource.organisation_id == org.id).limit(20)))


def waiting_count() -> int:
    return db.session.scalar(select(func.count(Resource.id)).where(Resource.status == ResourceStatus.pending))
