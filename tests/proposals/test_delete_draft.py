"""The author deletes their own draft: with a confirmation, only their own, never once submitted,
audited, and the attached files leave the disk when the deletion commits."""

from __future__ import annotations

import io

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from fundapp.audit.models import AuditEvent
from fundapp.extensions import db
from fundapp.files.models import StoredFile
from fundapp.files.services import file_path
from fundapp.proposals import services
from fundapp.proposals.factories import create_complete_draft
from fundapp.proposals.models import Project
from tests.conftest import login_as


def _draft_with_file(owner):
    project = create_complete_draft(owner)
    att = services.add_attachment(
        project, actor=owner, file_storage=FileStorage(io.BytesIO(b"%PDF-1.4\n%%EOF"), "plan.pdf")
    )
    db.session.commit()
    return project, att.file


def test_the_author_deletes_a_draft_after_confirming(app, cast):
    """Does the editor offer deletion, the first step ask for confirmation (nothing deleted), and the
    confirmed post delete the draft with its rows, audit it, and remove its file from disk?"""
    project, stored = _draft_with_file(cast.author)
    pid, fid, path = project.id, stored.id, file_path(stored)
    assert path.exists()
    c = app.test_client()
    login_as(c, cast.author)
    assert f"/proposals/{pid}/delete" in c.get(f"/proposals/{pid}/edit").get_data(as_text=True)
    page = c.get(f"/proposals/{pid}/delete").get_data(as_text=True)
    assert "This cannot be undone" in page and 'name="confirm"' in page
    assert c.post(f"/proposals/{pid}/delete").status_code == 200  # no confirmation: asks again
    assert db.session.get(Project, pid) is not None
    r = c.post(f"/proposals/{pid}/delete", data={"confirm": "1"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/my/proposals")
    db.session.expire_all()
    assert db.session.get(Project, pid) is None and db.session.get(StoredFile, fid) is None
    assert not path.exists()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "project.delete")).one()
    assert event.actor_id == cast.author.id and event.object_id == str(pid)
    assert c.get(f"/projects/{pid}").status_code == 404


def test_nobody_else_deletes_it_and_a_submitted_proposal_stays(app, cast, project_in):
    """Does another member, or an administrator, get 404 with nothing deleted; and is a submitted
    proposal (or one sent back for changes) never deleted, the author told to withdraw instead?"""
    project, stored = _draft_with_file(cast.author)
    pid = project.id
    for user in (cast.stranger, cast.admin):
        c = app.test_client()
        login_as(c, user)
        assert c.get(f"/proposals/{pid}/delete").status_code == 404
        assert c.post(f"/proposals/{pid}/delete", data={"confirm": "1"}).status_code == 404
    assert db.session.get(Project, pid) is not None and file_path(stored).exists()
    c = app.test_client()
    login_as(c, cast.author)
    for state in ("submitted", "changes_requested"):
        sent = project_in(state)
        r = c.post(f"/proposals/{sent.id}/delete?lang=en", data={"confirm": "1"}, follow_redirects=True)
        assert "You can withdraw it instead" in r.get_data(as_text=True)
        assert db.session.get(Project, sent.id) is not None
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "project.delete")
    ) == 0  # fmt: skip


def test_a_failed_deletion_keeps_the_file(app, cast):
    """When the transaction that deleted a draft rolls back, are the draft and its file still there?"""
    project, stored = _draft_with_file(cast.author)
    path = file_path(stored)
    services.delete_draft(project, actor=cast.author)
    db.session.rollback()
    assert path.exists() and db.session.get(Project, project.id) is not None
