"""The verbs of projects, in one place for the domains above proposals.

The verbs live in cohesive modules; this module only gathers their public names:
``workflow`` (the state machine and its transitions), ``access`` (who may see or edit),
``timeline`` (timeline events, followers, notices), ``drafting`` (writing a proposal: fields,
budget, milestones, team, attachments), ``updates`` (owner's updates, following) and ``progress``
(a project's money as pages show it). Code inside proposals imports the module it needs.
"""

from __future__ import annotations

from .access import (  # noqa: F401
    can_edit,
    can_view,
)
from .drafting import (  # noqa: F401
    PROPOSAL_FIELDS,
    add_attachment,
    add_budget_line,
    add_milestone,
    add_team_member,
    attachment_access_rule,
    create_proposal,
    delete_draft,
    parse_amount,
    parse_rate_bp,
    remove_attachment,
    remove_budget_line,
    remove_milestone,
    remove_team_member,
    search_key,
    update_proposal,
)
from .progress import (  # noqa: F401
    progress,
    progress_many,
    project_money,
    project_money_many,
    register_money_reader,
)
from .timeline import (  # noqa: F401
    TIMELINE_NOTES,
    FollowerSource,
    _follower_sources,
    add_timeline_event,
    administrators,
    external_url,
    followers,
    notify_followers,
    project_link,
    register_follower_source,
)
from .updates import (  # noqa: F401
    follow,
    is_following,
    post_update,
    unfollow,
)
from .workflow import (  # noqa: F401
    NEEDS_REVIEWS,
    TRANSITION_FUNCTIONS,
    TRANSITIONS,
    Transition,
    TransitionListener,
    _transition_listeners,
    actor_roles,
    allowed_transitions,
    approve_proposal,
    cancel_project,
    check_transition,
    complete_project,
    completed_reviews,
    completeness_problems,
    mark_funded,
    mark_unsuccessful,
    needs_council,
    open_campaign,
    register_transition_listener,
    reject_proposal,
    request_changes,
    resubmit_proposal,
    start_implementation,
    start_review,
    submit_proposal,
    withdraw_proposal,
)
