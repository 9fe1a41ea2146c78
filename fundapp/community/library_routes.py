"""The resource library's pages: public list and items, adding, moderation, counted downloads."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundapp.core.errors import DomainError
from fundapp.core.security import public, roles_required
from fundapp.extensions import db

from . import library, services, vocab
from .forms import ActionForm, DeclineForm, ResourceForm
from .models import Resource, ResourceStatus
from .routes import _fail, _page, _saved, bp


def _filters() -> dict:
    return {
        k: (request.args.get(k) or "").strip()[:100]
        for k in ("q", "language", "category", "audience", "kind")
    }


def _item_or_404(resource_id: int) -> Resource:
    res = db.session.get(Resource, resource_id)
    if res is None or not library.can_view(current_user, res):
        abort(404)
    return res


@bp.get("/library")
@public
def library_index():
    filters = _filters()
    result = db.paginate(library.library_query(**filters), page=_page(), per_page=30, error_out=False)
    return render_template(
        "community/library.html",
        result=result,
        filters=filters,
        languages=vocab.LANGUAGE_CODES,
        categories=vocab.RESOURCE_CATEGORIES,
        audiences=vocab.RESOURCE_AUDIENCES,
        can_publish=current_user.is_authenticated and library.can_publish(current_user),
    )


@bp.get("/library/<int:resource_id>")
@public
def library_item(resource_id: int):
    res = _item_or_404(resource_id)
    return render_template(
        "community/library_item.html", res=res, action=ActionForm(), decline_form=DeclineForm()
    )


@bp.get("/library/<int:resource_id>/download")
@public
def library_download(resource_id: int):
    """Count the download, then hand over to ``files.download`` (or the link)."""
    res = _item_or_404(resource_id)
    if res.status != ResourceStatus.published:
        target = url_for("files.download", file_id=res.file_id) if res.file_id else res.url
        return redirect(target, 303)
    library.count_download(res)
    db.session.commit()
    return redirect(url_for("files.download", file_id=res.file_id) if res.file_id else res.url, 303)


@bp.route("/library/new", methods=["GET", "POST"])
def library_new():
    staff = services.is_staff(current_user)
    organisations = services.admin_organisations(current_user)
    if not staff and not organisations:
        abort(403)
    form = ResourceForm().setup(organisations, staff=staff)
    ok, res = _saved(
        form,
        lambda: library.add_resource(current_user, form.data_for_service(), upload=form.file.data),
        form.title,
    )
    if ok:
        if res.status == ResourceStatus.published:
            flash(_("Published in the library."), "info")
        else:
            flash(_("Thank you. The fund's staff will look at it before it is published."), "info")
        return redirect(url_for("community.library_item", resource_id=res.id), 303)
    return render_template("community/library_form.html", form=form), (400 if form.errors else 200)


@bp.get("/library/moderation")
@roles_required("administrator", "auditor")
def library_moderation():
    items = db.session.scalars(
        db.select(Resource).where(Resource.status == ResourceStatus.pending).order_by(Resource.created_at)
    ).all()
    return render_template("community/library_moderation.html", items=items)


@bp.post("/library/<int:resource_id>/<any(publish, decline):verb>")
@roles_required("administrator")
def library_decide(resource_id: int, verb: str):
    res = _item_or_404(resource_id)
    target = url_for("community.library_item", resource_id=res.id)
    try:
        if verb == "publish":
            if not ActionForm().validate_on_submit():
                abort(400)
            library.publish_resource(res, current_user)
            message = _("Published in the library.")
        else:
            form = DeclineForm()
            if not form.validate_on_submit():
                flash(_("Say why the item is declined."), "error")
                return redirect(target, 303)
            library.decline_resource(res, current_user, form.reason.data)
            message = _("The item is declined; its author was told why.")
    except DomainError as exc:
        return _fail(exc, target)
    db.session.commit()
    flash(message, "info")
    return redirect(target, 303)
