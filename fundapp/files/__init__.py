"""Uploaded files: checked by their content (not their name), stored under random names in
``instance/uploads`` (outside ``static/``), served by ``files.download`` only to those a domain's
access rule allows, or to everyone once a file is made public.

Invariants: the stored content type is the one detected from the bytes; a file's bytes never change
(its sha256 is recorded); downloads carry ``nosniff`` and, except for images, ``attachment``.
Any domain may call ``services.store_upload`` and ``services.register_access_rule``.
"""


def init_app(app):
    from . import routes

    app.register_blueprint(routes.bp)
