"""A file chosen on a refused attachment submit is held, and the corrected submit attaches it."""

from __future__ import annotations

import html
import io
import re

from sqlalchemy import func, select

from fundapp.extensions import db
from fundapp.files.models import StoredFile
from fundapp.proposals.factories import create_complete_draft
from fundapp.proposals.models import ProjectAttachment
from tests.conftest import login_as

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _attachments() -> int:
    return db.session.scalar(select(func.count(ProjectAttachment.id)))


def test_a_too_long_title_keeps_the_file_and_the_corrected_submit_attaches_it(app, cast):
    """A title over 200 characters with a PDF: 400 on the editor with the error beside the title and
    the PDF shown as already attached; sent again with a short title and no file chosen, is the PDF
    attached to the proposal?"""
    project = create_complete_draft(cast.author)
    db.session.commit()
    before = _attachments()
    c = app.test_client()
    login_as(c, cast.author)
    url = f"/proposals/{project.id}/attachments"
    r = c.post(url, data={"title": "x" * 201, "file": (io.BytesIO(PDF), "estimate.pdf")})
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400
    assert 'href="#att-title"' in page and "Already attached: estimate.pdf" in page
    assert _attachments() == before
    token = re.search(r'name="file-held" value="([^"]+)"', page).group(1)
    r = c.post(url, data={"title": "Estimate", "file-held": token})
    assert r.status_code == 303
    db.session.expire_all()
    titles = [(a.title, a.file.original_filename) for a in project.attachments]
    assert ("Estimate", "estimate.pdf") in titles and _attachments() == before + 1
    assert db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.held_until.is_not(None))) == 0


def test_an_attachment_without_a_file_and_a_bad_title_reports_both(app, cast):
    """Submitted with no file and a too long title, are both errors told in one 400 answer?"""
    project = create_complete_draft(cast.author)
    db.session.commit()
    c = app.test_client()
    login_as(c, cast.author)
    r = c.post(f"/proposals/{project.id}/attachments", data={"title": "x" * 201})
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400
    assert 'href="#att-title"' in page and 'href="#att-file"' in page and "Please choose a file." in page
