"""The minutes chosen on a refused Council decision are held, and the corrected submit attaches them."""

from __future__ import annotations

import html
import io
import re

from sqlalchemy import func, select

from fundapp.council.models import CouncilDecision
from fundapp.extensions import db
from fundapp.files.models import StoredFile
from tests.conftest import login_as

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _decision(**kw):
    data = {"number": "7/2026", "decided_on": "2026-11-20", "agenda_item": "Water in Ayni", "votes_for": "9"}
    data.update(kw)
    return data


def test_refused_decision_keeps_the_minutes_and_the_corrected_one_publishes_them(app, cast):
    """Bad votes and a PDF of the minutes: 400 with the minutes shown as already attached and what
    was typed kept; sent again corrected without choosing the PDF, are the minutes public?"""
    c = app.test_client()
    login_as(c, cast.admin)
    r = c.post("/council/new", data=_decision(votes_for="many", minutes=(io.BytesIO(PDF), "minutes.pdf")))
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400
    assert 'href="#votes_for"' in page and "Already attached: minutes.pdf" in page
    assert 'value="Water in Ayni"' in page
    assert db.session.scalar(select(func.count(CouncilDecision.id))) == 0
    token = re.search(r'name="minutes-held" value="([^"]+)"', page).group(1)
    r = c.post("/council/new", data=_decision(**{"minutes-held": token}))
    assert r.status_code == 303, r.get_data(as_text=True)
    decision = db.session.scalars(select(CouncilDecision)).one()
    assert decision.minutes_file.is_public and decision.minutes_file.original_filename == "minutes.pdf"
    assert app.test_client().get(f"/files/{decision.minutes_file_id}").data == PDF
    held = db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.held_until.is_not(None)))
    assert held == 0


def test_another_administrator_cannot_claim_held_minutes(app, cast, make_user):
    """Is a held file's token refused to anyone but its uploader (400, nothing recorded, the file
    still held for its owner)?"""
    c = app.test_client()
    login_as(c, cast.admin)
    r = c.post("/council/new", data=_decision(decided_on="", minutes=(io.BytesIO(PDF), "minutes.pdf")))
    token = re.search(r'name="minutes-held" value="([^"]+)"', r.get_data(as_text=True)).group(1)
    other = app.test_client()
    login_as(other, make_user("administrator"))
    r = other.post("/council/new", data=_decision(**{"minutes-held": token}))
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400 and "no longer available" in page
    assert db.session.scalar(select(func.count(CouncilDecision.id))) == 0
    assert db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.held_until.is_not(None))) == 1
