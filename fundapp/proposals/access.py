"""Who may see and who may edit a project."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from fundapp.core.errors import InvalidTransition, NotPermitted

from . import interfaces
from .models import (
    Project,
)

# -- who may do what ------------------------------------------------------------------------------


def _is_admin(user) -> bool:
    return user is not None and user.has_role("administrator")


def can_view(user, project: Project) -> bool:
    """Published projects are public; otherwise the owner, linked team members, administrators,
    auditors and reviewers who declared no conflict may see it."""
    if project.is_public:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if project.is_insider(user) or user.has_any_role("administrator", "auditor"):
        return True
    if user.has_role("reviewer"):
        return interfaces.reviews().may_read_proposal(user, project)
    return False


def can_edit(user, project: Project) -> bool:
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.id == project.owner_id
        and project.is_editable
    )


def _require_editor(project: Project, actor) -> None:
    if actor is None or actor.id != project.owner_id:
        raise NotPermitted(_l("Only the author can edit this proposal."))
    if not project.is_editable:
        raise InvalidTransition(
            _l("The proposal cannot be edited while it is “%(state)s”.", state=project.state_label)
        )
