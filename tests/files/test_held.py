"""Held uploads: only their uploader claims them back, before they expire, and nobody else sees them."""

from __future__ import annotations

import io
from datetime import timedelta

from werkzeug.datastructures import FileStorage

from fundapp.core.db import utcnow
from fundapp.extensions import db
from fundapp.files import held
from fundapp.files.models import StoredFile
from tests.conftest import login_as


def _hold(user, samples):
    stored = held.hold_upload(FileStorage(io.BytesIO(samples["pdf"]), filename="a.pdf"), user=user)
    db.session.commit()
    return stored


def test_only_the_uploader_claims_a_held_file(app, make_user, samples):
    """Does a held file's token give it back to its uploader only, and refuse a forged token, another
    person, and an expired file?"""
    owner, other = make_user("member"), make_user("member")
    stored = _hold(owner, samples)
    token = held.held_token(stored)
    assert held.claim(token, user=owner) is stored
    assert held.claim(token, user=other) is None
    assert held.claim(token[:-2] + "xx", user=owner) is None
    forged = held._serializer().dumps({"f": stored.id, "u": other.id})  # a signed claim cannot name another's
    assert held.claim(forged, user=other) is None
    stored.held_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert held.claim(token, user=owner) is None
    assert held.purge_expired() == 1
    db.session.commit()
    assert db.session.get(StoredFile, stored.id) is None


def test_a_held_file_is_served_to_its_uploader_only(app, make_user, samples):
    """Is a held file hidden from the public, from other members and from staff, but shown to its
    uploader?"""
    owner = make_user("member")
    stored = _hold(owner, samples)
    assert app.test_client().get(f"/files/{stored.id}").status_code == 404
    for user in (make_user("member"), make_user("administrator")):
        c = app.test_client()
        login_as(c, user)
        assert c.get(f"/files/{stored.id}").status_code == 404
    c = app.test_client()
    login_as(c, owner)
    assert c.get(f"/files/{stored.id}").data == samples["pdf"]


def test_the_purge_command_discards_expired_held_files_only(app, make_user, samples):
    """Does ``flask files purge-held`` discard an expired held file and keep one still held?"""
    owner = make_user("member")
    old, fresh = _hold(owner, samples), _hold(owner, samples)
    old.held_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    old_id, fresh_id = old.id, fresh.id
    result = app.test_cli_runner().invoke(args=["files", "purge-held"])
    assert result.exit_code == 0 and "discarded 1" in result.output
    db.session.expire_all()
    assert db.session.get(StoredFile, old_id) is None and db.session.get(StoredFile, fresh_id) is not None
