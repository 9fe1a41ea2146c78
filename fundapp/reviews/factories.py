"""Walk a proposal through its reviews with the real services (for the demo data and the tests)."""

from __future__ import annotations

from fundapp.proposals.models import Project

from .models import AssignmentStatus, ReviewAssignment
from .services import assign_reviewer, assignments_for, declare_conflict, submit_review


def complete_reviews(project: Project, reviewers, *, admin, recommendation: str = "approve") -> None:
    for reviewer in reviewers:
        existing = [
            a
            for a in assignments_for(project)
            if a.reviewer_id == reviewer.id and a.status != AssignmentStatus.WITHDRAWN
        ]
        assignment: ReviewAssignment = (
            existing[0] if existing else assign_reviewer(project, reviewer, actor=admin)
        )
        if assignment.status == AssignmentStatus.COMPLETED:
            continue
        if assignment.status == AssignmentStatus.ASSIGNED:
            declare_conflict(assignment, actor=reviewer, has_conflict=False)
        submit_review(
            assignment,
            actor=reviewer,
            scores={"relevance": 5, "feasibility": 4, "budget": 4, "team": 4, "sustainability": 3},
            comments={
                "relevance": "Ба тамоми маҳалла лозим аст.",
                "budget": "Нархҳо ба бозори Кӯлоб мувофиқанд.",
            },
            recommendation=recommendation,
            summary="" if recommendation == "approve" else "Ба шарҳҳо нигаред.",
        )
