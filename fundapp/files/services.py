"""Store uploads safely and decide who may download them."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from fundapp.core.errors import ValidationFailed
from fundapp.extensions import db

from .models import StoredFile

# The kinds a caller may allow, with the content type their bytes must show.
KINDS: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}

AccessRule = Callable[[object, StoredFile], bool]
_access_rules: list[AccessRule] = []


def register_access_rule(fn: AccessRule) -> AccessRule:
    """Let a domain grant access: ``fn(user, stored_file) -> bool`` (user may be anonymous).
    A file is served when it is public or when any rule says yes. Usable as a decorator."""
    if fn not in _access_rules:
        _access_rules.append(fn)
    return fn


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(stored: StoredFile) -> Path:
    return upload_dir() / stored.storage_name


def _clean_filename(name: str | None, kind: str) -> str:
    name = unicodedata.normalize("NFC", os.path.basename((name or "").replace("\\", "/")))
    name = re.sub(r"[\x00-\x1f\x7f\"<>:/\\|?*]", "", name).strip(" .")
    if not name:
        name = "file"
    stem, _dot, _ext = name.rpartition(".")
    stem = (stem or name)[:120]
    ext = "jpg" if kind == "jpeg" else kind
    return f"{stem}.{ext}"


def detect_kind(head: bytes) -> str | None:
    """The kind of a file from its first bytes, or None when it is none we know."""
    guess = filetype.guess(head)
    if guess is None:
        return None
    for kind, mime in KINDS.items():
        if guess.mime == mime:
            return kind
    return None


def store_upload(
    file_storage,
    *,
    uploaded_by,
    allowed=("pdf", "png", "jpeg", "webp"),
    max_bytes: int | None = None,
    is_public: bool = False,
    field: str = "file",
) -> StoredFile:
    """Check and store an uploaded file (a werkzeug ``FileStorage``); return its row (flushed).

    Refuses, with ``ValidationFailed(field=...)``: no file, an empty one, one over ``max_bytes``
    (default ``UPLOAD_MAX_BYTES``), and one whose content is not one of ``allowed`` — whatever
    its name or declared type says."""
    limit = max_bytes or current_app.config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    if file_storage is None or not getattr(file_storage, "filename", None):
        raise ValidationFailed(_l("Please choose a file."), field=field)
    data = file_storage.stream.read(limit + 1)
    if not data:
        raise ValidationFailed(_l("The file is empty."), field=field)
    if len(data) > limit:
        raise ValidationFailed(
            _l("The file is too large (at most %(mb)s MB).", mb=max(1, limit // (1024 * 1024))),
            field=field,
        )
    kind = detect_kind(data[:8192])
    if kind is None or kind not in allowed:
        names = ", ".join(k.upper() for k in allowed)
        raise ValidationFailed(
            _l("This file type is not accepted. Allowed: %(kinds)s.", kinds=names), field=field
        )
    storage_name = secrets.token_hex(24)
    # Written when the transaction commits: a request refused later (another field wrong, a
    # rule broken) rolls back and leaves nothing on disk.
    db.session.info.setdefault(_PENDING, {})[upload_dir() / storage_name] = data
    stored = StoredFile(
        storage_name=storage_name,
        original_filename=_clean_filename(file_storage.filename, kind),
        content_type=KINDS[kind],
        kind=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=getattr(uploaded_by, "id", None),
        is_public=is_public,
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def store_bytes(data: bytes, filename: str, *, uploaded_by=None, is_public: bool = False, **kw):
    """Store bytes as if uploaded (demo data, imports)."""
    import io

    from werkzeug.datastructures import FileStorage

    return store_upload(
        FileStorage(stream=io.BytesIO(data), filename=filename),
        uploaded_by=uploaded_by,
        is_public=is_public,
        **kw,
    )


def discard(stored_file: StoredFile) -> None:
    """Delete a stored file: its row now, its bytes on disk once the transaction commits (a rollback
    keeps both). The caller first removes what refers to it."""
    path = file_path(stored_file)
    pending = db.session.info.get(_PENDING) or {}
    if path in pending:  # stored in this very transaction: never written
        del pending[path]
    else:
        db.session.info.setdefault(_REMOVE, []).append(path)
    db.session.delete(stored_file)
    db.session.flush()


def make_public(stored_file: StoredFile) -> StoredFile:
    stored_file.is_public = True
    db.session.flush()
    return stored_file


def can_download(user, stored_file: StoredFile) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        user = None
    if stored_file.held_until is not None:  # held: attached to nothing yet, its uploader's alone
        return user is not None and stored_file.uploaded_by_id == user.id
    if stored_file.is_public:
        return True
    if user is not None and stored_file.uploaded_by_id == user.id:
        return True
    if user is not None and user.has_any_role("administrator", "auditor"):
        return True
    return any(rule(user, stored_file) for rule in _access_rules)


def read_bytes(stored_file: StoredFile) -> bytes:
    path = file_path(stored_file)
    pending = db.session.info.get(_PENDING) or {}
    if path in pending:  # stored in this very transaction
        return pending[path]
    return path.read_bytes()


# -- files follow their transaction -----------------------------------------------------------

_PENDING = "fundapp.files.pending"  # {path: bytes} to write at commit
_WRITTEN = "fundapp.files.written"  # paths written by a commit still under way
_REMOVE = "fundapp.files.remove"  # paths of files deleted in the transaction, removed after commit


@event.listens_for(Session, "before_commit")
def _write_pending(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    written = session.info.setdefault(_WRITTEN, [])
    for path, data in pending.items():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        written.append(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)


@event.listens_for(Session, "after_commit")
def _keep_written(session) -> None:
    session.info.pop(_WRITTEN, None)
    if session.in_nested_transaction():  # a savepoint released: the outer transaction may roll back
        return
    for path in session.info.pop(_REMOVE, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_soft_rollback")
def _discard_pending(session, previous_transaction) -> None:
    if previous_transaction.nested:  # a savepoint: the outer transaction may still commit
        return
    session.info.pop(_PENDING, None)
    session.info.pop(_REMOVE, None)  # the deletion did not happen: the files stay
    for path in session.info.pop(_WRITTEN, []):  # the commit that wrote them failed
        path.unlink(missing_ok=True)
