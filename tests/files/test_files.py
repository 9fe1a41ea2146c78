"""Uploads are checked by content, stored outside static/ under random names, served safely."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from fundapp.core.errors import ValidationFailed
from fundapp.extensions import db
from fundapp.files import services
from tests.conftest import login_as


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/pdf")


def test_pdf_is_stored_under_a_random_name_outside_static(app, make_user, samples):
    """Is an accepted PDF stored in instance/uploads under a random name, with its detected type,
    size and sha256?"""
    user = make_user("member")
    stored = services.store_upload(upload(samples["pdf"], "смета.pdf"), uploaded_by=user)
    db.session.commit()
    path = services.file_path(stored)
    assert path.parent == Path(app.instance_path) / "uploads"
    assert "static" not in path.parts
    assert stored.storage_name not in ("смета.pdf",) and len(stored.storage_name) >= 32
    assert path.read_bytes() == samples["pdf"]
    assert stored.content_type == "application/pdf" and stored.kind == "pdf"
    assert stored.size == len(samples["pdf"]) and len(stored.sha256) == 64
    assert stored.original_filename == "смета.pdf"


@pytest.mark.parametrize(
    ("content", "name"),
    [("html", "budget.pdf"), ("html", "photo.png"), ("html", "page.html")],
)
def test_content_not_allowed_is_refused_whatever_the_name(app, make_user, samples, content, name):
    """Is HTML dressed up as a .pdf or .png refused with a clear message naming the field?"""
    user = make_user("member")
    with pytest.raises(ValidationFailed) as err:
        services.store_upload(upload(samples[content], name), uploaded_by=user)
    assert err.value.field == "file"
    assert "PDF" in str(err.value.message)
    assert not list((Path(app.instance_path) / "uploads").glob("*"))


def test_a_png_is_refused_where_only_pdf_is_allowed(app, make_user, samples):
    """Does ``allowed`` restrict the kinds (e.g. Council minutes are PDF only)?"""
    with pytest.raises(ValidationFailed):
        services.store_upload(upload(samples["png"], "x.pdf"), uploaded_by=make_user(), allowed=("pdf",))


def test_too_large_and_empty_files_are_refused(app, make_user, samples):
    """Are files over the size limit, and empty ones, refused with a clear message?"""
    user = make_user("member")
    big = samples["pdf"] + b"0" * 2048
    with pytest.raises(ValidationFailed) as err:
        services.store_upload(upload(big, "big.pdf"), uploaded_by=user, max_bytes=1024)
    assert "too large" in str(err.value.message)
    with pytest.raises(ValidationFailed) as err:
        services.store_upload(upload(b"", "empty.pdf"), uploaded_by=user)
    assert "empty" in str(err.value.message)
    with pytest.raises(ValidationFailed):
        services.store_upload(None, uploaded_by=user)


def test_the_configured_limit_applies_by_default(app, make_user, samples):
    """Is UPLOAD_MAX_BYTES the default limit?"""
    app.config["UPLOAD_MAX_BYTES"] = 100
    with pytest.raises(ValidationFailed):
        services.store_upload(upload(samples["pdf"], "a.pdf"), uploaded_by=make_user())


def test_download_has_safe_headers_and_only_for_those_allowed(app, client, make_user, samples):
    """Is a private file 404 to strangers and anonymous visitors, served to its uploader with
    nosniff, the detected type and as an attachment (PDF), and inline for images once public?"""
    owner = make_user("member")
    stranger = make_user("member")
    pdf = services.store_upload(upload(samples["pdf"], "plan.pdf"), uploaded_by=owner)
    png = services.store_upload(upload(samples["png"], "photo.png"), uploaded_by=owner, is_public=True)
    db.session.commit()

    assert client.get(f"/files/{pdf.id}").status_code == 404
    c = app.test_client()
    login_as(c, stranger)
    assert c.get(f"/files/{pdf.id}").status_code == 404
    login_as(c, owner)
    r = c.get(f"/files/{pdf.id}")
    assert r.status_code == 200 and r.data == samples["pdf"]
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in r.headers["Cache-Control"]

    r = client.get(f"/files/{png.id}")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert r.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert client.get("/files/999999").status_code == 404


def test_access_rules_and_make_public(app, client, make_user, samples):
    """Can a domain's access rule open a file to a user, and make_public open it to everyone?"""
    owner, reader = make_user("member"), make_user("member")
    stored = services.store_upload(upload(samples["pdf"], "p.pdf"), uploaded_by=owner)
    db.session.commit()
    assert not services.can_download(reader, stored)

    def rule(user, f):
        return user is not None and user.id == reader.id and f.id == stored.id

    services.register_access_rule(rule)
    try:
        assert services.can_download(reader, stored)
        assert not services.can_download(None, stored)
    finally:
        services._access_rules.remove(rule)
    services.make_public(stored)
    db.session.commit()
    assert client.get(f"/files/{stored.id}").status_code == 200


def test_staff_with_oversight_may_download(app, make_user, samples):
    """May administrators and auditors read any uploaded file (oversight), but not a treasurer by default?"""
    stored = services.store_upload(upload(samples["pdf"], "p.pdf"), uploaded_by=make_user())
    db.session.commit()
    assert services.can_download(make_user("administrator"), stored)
    assert services.can_download(make_user("auditor"), stored)
    assert not services.can_download(make_user("reviewer"), stored)


def test_an_upload_in_a_refused_request_leaves_nothing_on_disk(app, make_user, samples):
    """When the request that carried a good file is refused afterwards (rolled back), is nothing
    left in instance/uploads — and does a committed upload land there?"""
    user = make_user("member")
    folder = Path(app.instance_path) / "uploads"
    services.store_upload(upload(samples["pdf"], "evidence.pdf"), uploaded_by=user)
    db.session.rollback()
    assert not list(folder.glob("*"))
    stored = services.store_upload(upload(samples["pdf"], "evidence.pdf"), uploaded_by=user)
    assert services.read_bytes(stored) == samples["pdf"]  # readable before the commit too
    db.session.commit()
    assert [p.name for p in folder.glob("*")] == [stored.storage_name]
