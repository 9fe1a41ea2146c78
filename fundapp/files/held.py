"""Files kept across a refused submit ("held" uploads).

When a form with file fields is refused for another field, the files chosen on it that pass the
safe-upload checks are stored as *held* (``StoredFile.held_until`` set: never public, attached to
nothing, expiring after ``HOLD_FOR``). The page shows each as "already attached" with a box to
remove it, carried in a hidden field as a signed token naming the file and its uploader. The next
submit claims it — only its uploader can, before it expires — and the domain's service receives it
as if it had just been uploaded; the held copy is then discarded.

A route uses it so::

    held = HeldUploads(form, {"minutes": ("pdf",)}, user=current_user)
    if form.validate_on_submit() & held.validate():
        try:
            service(..., minutes=held.upload("minutes"))
        except ValidationFailed: ...  # then: rollback, held.commit_held(), render with 400
        else: held.commit_attached()
    elif submitted: held.commit_held(); render with 400
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from fundapp.core.db import utcnow
from fundapp.core.errors import ValidationFailed
from fundapp.extensions import db

from .models import StoredFile
from .services import KINDS, discard, read_bytes, store_upload

HOLD_FOR = timedelta(days=1)
_SALT = "fundapp.files.held"
HELD_SUFFIX = "-held"
REMOVE_SUFFIX = "-held-remove"


@dataclass(frozen=True)
class HeldFile:
    """What a page shows of a held file, and the token that claims it back."""

    id: int
    token: str
    name: str
    size: int


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def held_token(stored: StoredFile) -> str:
    """The signed token naming a held file and its uploader (for the page's hidden field)."""
    return _serializer().dumps({"f": stored.id, "u": stored.uploaded_by_id})


def claim(token: str, *, user) -> StoredFile | None:
    """The held file ``token`` names, when ``user`` uploaded it and it has not expired; else None
    (a forged, another person's, attached or expired file is never handed out)."""
    if not token or user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user.id or not isinstance(payload.get("f"), int):
        return None
    stored = db.session.get(StoredFile, payload["f"])
    if stored is None or stored.uploaded_by_id != user.id or stored.held_until is None:
        return None
    if stored.held_until <= utcnow():
        return None
    return stored


def hold_upload(file_storage, *, user, allowed=tuple(KINDS), field: str = "file") -> StoredFile:
    """Check and store an upload as held for ``user`` (``ValidationFailed`` as ``store_upload``)."""
    stored = store_upload(file_storage, uploaded_by=user, allowed=allowed, is_public=False, field=field)
    stored.held_until = utcnow() + HOLD_FOR
    db.session.flush()
    return stored


def purge_expired(*, limit: int = 200) -> int:
    """Discard held files past their time (their bytes go when the transaction commits)."""
    expired = db.session.scalars(
        select(StoredFile)
        .where(StoredFile.held_until.is_not(None), StoredFile.held_until <= utcnow())
        .limit(limit)
    ).all()
    for stored in expired:
        discard(stored)
    return len(expired)


def _as_upload(stored: StoredFile) -> FileStorage:
    return FileStorage(stream=io.BytesIO(read_bytes(stored)), filename=stored.original_filename)


class HeldUploads:
    """The file fields of one form across refused submits: ``fields`` maps each file field's name
    to the kinds it accepts; ``required`` names those that need a file (chosen now or held)."""

    def __init__(self, form, fields: dict[str, tuple], *, user, required=()):
        self.form = form
        self.fields = dict(fields)
        self.user = user
        self.required = tuple(required)
        self.kept: dict[str, StoredFile] = {}
        self._dropped: list[StoredFile] = []
        self._errors: dict[str, str] = {}
        if request.method != "POST":
            return
        for name in self.fields:
            token = request.form.get(name + HELD_SUFFIX)
            if not token:
                continue
            stored = claim(token, user=user)
            if stored is None:
                self._errors[name] = _l(
                    "The file kept from your last attempt is no longer available; please choose it again."
                )
            elif request.form.get(name + REMOVE_SUFFIX) or self.chosen(name) is not None:
                self._dropped.append(stored)  # removed, or replaced by a new choice
            else:
                self.kept[name] = stored

    def _field(self, name):
        return getattr(self.form, name)

    def chosen(self, name: str) -> FileStorage | None:
        """The file chosen on this submit for ``name``, if any."""
        data = self._field(name).data
        return data if isinstance(data, FileStorage) and data.filename else None

    def _add_error(self, name: str, message) -> None:
        field = self._field(name)
        text = str(message)
        if text not in field.errors:
            field.errors = [*list(field.errors), text]

    def validate(self) -> bool:
        """Put the refusals of held files and missing required files beside their fields; call it
        after the form's own validation (which resets the errors)."""
        for name in self.required:
            if name not in self._errors and not self.has(name):
                self._errors[name] = _l("Please choose a file.")
        for name, message in self._errors.items():
            self._add_error(name, message)
        return not self._errors

    def has(self, name: str) -> bool:
        """Is there a file for ``name``, chosen now or held?"""
        return self.chosen(name) is not None or name in self.kept

    def upload(self, name: str) -> FileStorage | None:
        """What the service receives for ``name``: the file chosen now, else the held one."""
        chosen = self.chosen(name)
        if chosen is not None:
            return chosen
        stored = self.kept.get(name)
        return _as_upload(stored) if stored is not None else None

    def attached(self) -> None:
        """After a successful submit: the held copies have served (the service stored its own)."""
        for stored in [*self.kept.values(), *self._dropped]:
            discard(stored)
        self.kept = {}
        self._dropped = []

    def commit_attached(self) -> None:
        """After a successful submit: discard the held copies and commit the submit."""
        self.attached()
        db.session.commit()

    def commit_held(self) -> None:
        """After a refused submit (and, on a service's refusal, its rollback): keep the chosen
        files as held and commit that alone, so the page shown again offers them."""
        self.hold()
        db.session.commit()

    def hold(self) -> None:
        """After a refused submit (and its rollback): keep every newly chosen file that passes the
        safe-upload checks, beside those already held; the caller commits. A file that fails the
        checks gets its error beside its field, and is not kept."""
        csrf = getattr(self.form, "csrf_token", None)
        if csrf is not None and csrf.errors:  # sent from elsewhere: keep nothing of it
            return
        purge_expired()
        for stored in self._dropped:
            discard(stored)
        self._dropped = []
        for name, allowed in self.fields.items():
            chosen = self.chosen(name)
            if chosen is None:
                continue
            try:
                chosen.stream.seek(0)
            except (AttributeError, OSError):
                continue
            try:
                self.kept[name] = hold_upload(chosen, user=self.user, allowed=allowed, field=name)
            except ValidationFailed as exc:
                self._add_error(name, exc.message)
        db.session.flush()

    def get(self, name: str) -> HeldFile | None:
        """For the page: the file held for ``name``, if any."""
        stored = self.kept.get(name)
        if stored is None:
            return None
        return HeldFile(stored.id, held_token(stored), stored.original_filename, stored.size)


__all__ = ["HOLD_FOR", "HeldFile", "HeldUploads", "claim", "held_token", "hold_upload", "purge_expired"]
