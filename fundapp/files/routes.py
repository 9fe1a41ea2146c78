from __future__ import annotations

import io

from flask import Blueprint, abort, send_file
from flask_login import current_user

from fundapp.core.security import public
from fundapp.extensions import db

from . import services
from .models import StoredFile

bp = Blueprint("files", __name__)


@bp.get("/files/<int:file_id>")
@public
def download(file_id: int):
    """Serve a stored file to those allowed; others get 404 so that existence does not leak."""
    stored = db.session.get(StoredFile, file_id)
    if stored is None or not services.can_download(current_user, stored):
        abort(404)
    path = services.file_path(stored)
    if not path.exists():
        abort(404)
    # Files are small (UPLOAD_MAX_BYTES): serving bytes keeps no file handle open after the response.
    response = send_file(
        io.BytesIO(path.read_bytes()),
        mimetype=stored.content_type,
        as_attachment=not stored.is_image,
        download_name=stored.original_filename,
        etag=stored.sha256,
        conditional=True,
        max_age=0 if not stored.is_public else 3600,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if not stored.is_public:
        response.headers["Cache-Control"] = "private, no-store"
    return response
