"""Build complete proposals and walk them through the state machine with the real services.

Used by the demo data and the tests, so that both exercise the same rules as the pages.
"""

from __future__ import annotations

from datetime import date, timedelta

from fundapp.core.money import Money

from . import interfaces, services
from .models import Project, ProjectState

S = ProjectState

# The path of transitions from draft to each state ("review" = assign reviewers and let them score).
PATHS: dict[str, list[str]] = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit_proposal"],
    S.IN_REVIEW: ["submit_proposal", "start_review"],
    S.CHANGES_REQUESTED: ["submit_proposal", "start_review", "request_changes"],
    S.APPROVED: ["submit_proposal", "review", "start_review", "approve_proposal"],
    S.REJECTED: ["submit_proposal", "review", "start_review", "reject_proposal"],
    S.WITHDRAWN: ["submit_proposal", "withdraw_proposal"],
    S.FUNDRAISING: ["submit_proposal", "review", "start_review", "approve_proposal", "open_campaign"],
    S.FUNDED: [
        "submit_proposal", "review", "start_review", "approve_proposal", "open_campaign", "mark_funded",
    ],
    S.UNSUCCESSFUL: [
        "submit_proposal", "review", "start_review", "approve_proposal", "open_campaign", "mark_unsuccessful",
    ],
    S.IMPLEMENTING: [
        "submit_proposal", "review", "start_review", "approve_proposal", "open_campaign", "mark_funded",
        "start_implementation",
    ],
    S.COMPLETED: [
        "submit_proposal", "review", "start_review", "approve_proposal", "open_campaign", "mark_funded",
        "start_implementation", "complete_project",
    ],
    S.CANCELLED: [
        "submit_proposal", "review", "start_review", "approve_proposal", "open_campaign", "cancel_project",
    ],
}  # fmt: skip

REASONS = {
    "request_changes": "Лутфан буҷаро ба мавод ва музди меҳнат ҷудо кунед ва мактуби ҷамоатро илова намоед.",
    "reject_proposal": "Ҳамин кор аллакай аз буҷети ноҳия барои соли оянда маблағгузорӣ шудааст.",
    "cancel_project": "Ҷамоат ҷудо кардани заминро бекор кард; маблағи пуштибонон баргардонида мешавад.",
}


def create_complete_draft(owner, **fields) -> Project:
    """A draft that passes every completeness check: budget and milestones equal the goal."""
    goal = fields.pop("goal", "30000")
    currency = fields.pop("currency", "TJS")
    budget = fields.pop("budget", None)
    milestones = fields.pop("milestones", None)
    team = fields.pop("team", [("Nodira Rahimova", "Accountant")])
    data = {
        "title": "Roof for school No. 12 in Kulob",
        "summary": "A new roof for a school of 600 pupils whose classrooms leak every winter.",
        "description": "The roof of school No. 12 has leaked since 2019.\n\n"
        "We will replace it with a steel roof.",
        "category": "education",
        "home_district": "kulob",
        "funding_model": "donation",
        "goal": goal,
        "currency": currency,
        "campaign_days": "60",
        **{k: str(v) for k, v in fields.items()},
    }
    project = services.create_proposal(owner, data)
    total = project.goal
    if budget is None:
        first, second = total.allocate([2, 1])
        budget = [("Materials", first), ("Labour", second)]
    for label, amount in budget:
        amount = amount if isinstance(amount, Money) else Money.parse(amount, currency)
        services.add_budget_line(project, actor=owner, label=label, amount=amount)
    if milestones is None:
        first, second = total.allocate([1, 1])
        today = date.today()
        milestones = [
            ("Materials bought and delivered", first, today + timedelta(days=90)),
            ("Work finished and accepted", second, today + timedelta(days=150)),
        ]
    for title, amount, due in milestones:
        amount = amount if isinstance(amount, Money) else Money.parse(amount, currency)
        services.add_milestone(project, actor=owner, title=title, amount=amount, due_date=due)
    for name, role in team:
        services.add_team_member(project, actor=owner, name=name, role=role)
    return project


def complete_reviews(project: Project, reviewers, *, admin, recommendation: str = "approve") -> None:
    """Each reviewer is assigned (unless already), declares no conflict and submits a review
    (the reviews domain does it: ``fundapp.reviews.factories.complete_reviews``)."""
    interfaces.reviews().complete_reviews(project, reviewers, admin=admin, recommendation=recommendation)


def advance(project: Project, target: str, *, admin, reviewers=(), council_decision=None) -> Project:
    """Walk a fresh draft to ``target`` through the real transition functions."""
    owner = project.owner
    for step in PATHS[ProjectState(target)]:
        if step == "review":
            recommendation = "reject" if target == S.REJECTED else "approve"
            complete_reviews(project, reviewers, admin=admin, recommendation=recommendation)
            continue
        fn = services.TRANSITION_FUNCTIONS[step]
        actor = owner if step in {"submit_proposal", "resubmit_proposal", "withdraw_proposal"} else admin
        kwargs = {"actor": actor, "comment": REASONS.get(step)}
        if step == "approve_proposal" and (council_decision is not None or services.needs_council(project)):
            if council_decision is not None:
                # the decision names the project it approves
                interfaces.council().tie_to_project(
                    council_decision, project
                )  # the decision names the project it approves
            kwargs["council_decision"] = council_decision
        fn(project, **kwargs)
    return project
