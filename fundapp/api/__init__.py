"""``/api/v1/``: the OpenAPI 3.1 document of every JSON endpoint, the transparency figures as JSON,
and the helpers API views share (the error shape, integer query parameters).

Invariants: the document is built at request time from ``app.url_map``, so every ``/api/v1/`` route
is in it; a route without a written description is marked ``x-undocumented`` and a test fails on it.
Everything here is public and read-only.
"""


def init_app(app):
    from . import routes

    app.register_blueprint(routes.bp)
