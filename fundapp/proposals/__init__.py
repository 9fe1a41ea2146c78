"""Projects: a member's proposal, its review-to-decision state machine, the campaign and delivery
states, budget lines, milestones, team, attachments, updates, followers, and the public pages.

Invariants: every state change is one function of ``services`` checked against ``TRANSITIONS``
(who may, from which state), audited, put on the timeline and notified in the same transaction;
budget lines and milestone shares must equal the goal before submission; drafts and undecided
proposals are seen only by their author, team, administrators, auditors and reviewers who declared
no conflict — everyone else gets 404. Other domains call the transition functions (funding closes
campaigns, disbursements start and complete delivery) and ``register_follower_source``.
"""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from fundapp.core import phrases
    from fundapp.core.views import register_nav
    from fundapp.files.services import register_access_rule

    from . import api, routes, services

    for canonical, message in services.TIMELINE_NOTES:
        phrases.register(canonical, message)
    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    register_access_rule(services.attachment_access_rule)
    register_nav(app, "proposals.pipeline", _l("Pipeline"), ("administrator", "auditor"))
    register_nav(app, "proposals.my_proposals", _l("My proposals"), ("member",))
