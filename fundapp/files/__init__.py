"""Uploaded files: checked by their content (not their name), stored under random names in
``instance/uploads`` (outside ``static/``), served by ``files.download`` only to those a domain's
access rule allows, or to everyone once a file is made public.

Invariants: the stored content type is the one detected from the bytes; a file's bytes never change
(its sha256 is recorded); downloads carry ``nosniff`` and, except for images, ``attachment``.
Any domain may call ``services.store_upload`` and ``services.register_access_rule``, and keep the
files of a refused form for its next submit with ``held.HeldUploads`` (``flask files purge-held``
discards those expired).
"""


def init_app(app):
    from . import cli, routes

    app.register_blueprint(routes.bp)
    app.cli.add_command(cli.files_cli)
    app.jinja_env.filters["file_size"] = file_size


def file_size(size: int | None) -> str:
    """A file's size as a person reads it: "193 bytes", "24 KB", "1.5 MB" (never "0 KB")."""
    from flask_babel import format_decimal, gettext, ngettext

    size = int(size or 0)
    if size < 1024:
        return ngettext("%(num)s byte", "%(num)s bytes", size)
    if size < 1024 * 1024:
        return gettext("%(size)s KB", size=format_decimal(round(size / 1024, 1 if size < 10 * 1024 else 0)))
    return gettext("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))
