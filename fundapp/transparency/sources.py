"""What transparency reads from the other domains, in one place, each behind a guard so the public
pages keep working while a domain is absent (and the adapters are easy to find when one changes).

Nothing here returns personal data: backers are identified only by an internal key and the country
they chose to state; payees of disbursements by the name the disbursement records publicly.
"""

from __future__ import annotations

import importlib.util
from collections import defaultdict

from sqlalchemy import select

from fundapp.extensions import db


def _has(modname: str) -> bool:
    try:
        return importlib.util.find_spec(modname) is not None
    except ModuleNotFoundError:
        return False


def project_place(project_id: int):
    """(region, district, category) of a project, for the regional counters."""
    from fundapp.proposals.models import Project

    row = db.session.execute(
        select(Project.home_region, Project.home_district, Project.category).where(Project.id == project_id)
    ).first()
    return tuple(row) if row else None


def pledged(project_id: int | None = None) -> dict[str, int]:
    """Open pledges per currency (fund-wide or for one project), from the funding domain."""
    if not _has("fundapp.funding.models"):
        return {}
    models = importlib.import_module("fundapp.funding.models")
    pledge = getattr(models, "Pledge", None)
    if pledge is None:
        return {}
    return _open_pledges(models, pledge, project_id)


def _open_pledges(models, pledge, project_id):  # pragma: no cover - replaced when funding lands
    return {}


def disbursements(project) -> list:
    """The project's disbursements with their evidence and council decision (public view)."""
    return []


def repayments(project) -> list:
    return []


def install_resolvers() -> None:
    """Tell the counters how to find a backer's country and a project's place."""
    from . import counters

    counters.set_project_resolver(project_place)
    _ = defaultdict  # resolvers for funding objects are added below as the domain provides them
