"""Reviews of proposals: an administrator assigns reviewers; each declares (no) conflict of
interest before seeing the proposal, then scores a five-criterion rubric (1–5 with comments) and
recommends approve / changes / reject. A decision on a proposal needs ``MIN_REVIEWS_FOR_DECISION``
completed reviews of the proposal as it stands: when the author sends a changed proposal back,
each completed review is kept as a past review and its reviewer asked to review again.

Invariants: one assignment per (project, reviewer); the author and linked team members can never
review their own proposal (refused in the services); completed reviews are complete (database CHECK).
"""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from fundapp.core import phrases
    from fundapp.core.views import register_nav
    from fundapp.proposals import interfaces
    from fundapp.proposals import workflow as proposals

    from . import factories, routes, services

    for canonical, message in services.TIMELINE_NOTES:
        phrases.register(canonical, message)
    app.register_blueprint(routes.bp)
    proposals.register_transition_listener(services._on_project_transition)
    interfaces.provide_reviews(
        interfaces.ReviewsInterface(
            may_read_proposal=services.may_read_proposal,
            completed_review_count=services.completed_review_count,
            complete_reviews=factories.complete_reviews,
        )
    )
    register_nav(app, "reviews.queue", _l("Reviews"), ("reviewer",))
