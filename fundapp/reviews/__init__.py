"""Reviews of proposals: an administrator assigns reviewers; each declares (no) conflict of
interest before seeing the proposal, then scores a five-criterion rubric (1–5 with comments) and
recommends approve / changes / reject. A decision on a proposal needs ``MIN_REVIEWS_FOR_DECISION``
completed reviews.

Invariants: one assignment per (project, reviewer); the author and linked team members can never
review their own proposal (refused in the services); completed reviews are complete (database CHECK).
"""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from fundapp.core.views import register_nav

    from . import routes

    app.register_blueprint(routes.bp)
    register_nav(app, "reviews.queue", _l("Reviews"), ("reviewer",))
