"""A project's money as the page shows it, read from the one account of it that a higher domain
registers (``fundapp.transparency.money.project_money_many``)."""

from __future__ import annotations

from fundapp.core.money import Money

from .models import (
    Project,
)

# -- progress ---------------------------------------------------------------------------------


# The one account of a project's money (``fundapp.transparency.money.project_money_many``), registered
# by the transparency domain: ``fn(projects) -> {project id: ProjectMoney}``.
_money_reader: list = []


def register_money_reader(fn, share_of_goal_sql=None) -> None:
    """``fn`` reads the account of projects' money; ``share_of_goal_sql()`` (optional) gives the
    same per cent of goal as a SQL expression over ``Project``, to order a list in the database."""
    _money_reader[:] = [fn, share_of_goal_sql]


def share_of_goal_order():
    """The SQL expression of each project's per cent of goal, or None while no domain provides it."""
    if len(_money_reader) < 2 or _money_reader[1] is None:
        return None
    return _money_reader[1]()


def project_money_many(projects) -> dict:
    """{project id: ProjectMoney} (empty while no domain provides the account)."""
    projects = [p for p in projects if p is not None and p.id is not None]
    if not _money_reader or not projects:
        return {}
    return _money_reader[0](projects)


def project_money(project: Project):
    """The project's ``ProjectMoney`` or None."""
    return project_money_many([project]).get(project.id)


def _progress_of(project: Project, money) -> dict:
    zero = Money.zero(project.currency)
    if money is None:
        return {
            "raised": zero,
            "pledged": zero,
            "goal": project.goal,
            "percent": 0,
            "backers": 0,
            "money": None,
        }
    return {
        "raised": money.raised,
        "pledged": money.pledged,
        "goal": money.goal,
        "percent": int(money.share_of_goal),
        "backers": money.backers,
        "money": money,
    }


def progress_many(projects) -> dict[int, dict]:
    """``progress`` of many projects at once (a list page's cards)."""
    projects = list(projects)
    found = project_money_many(projects)
    return {p.id: _progress_of(p, found.get(p.id)) for p in projects}


def progress(project: Project) -> dict:
    """``{"raised", "pledged", "goal", "percent", "backers", "money"}`` from the one account of the
    project's money (``money``, a ``ProjectMoney``; zeros while it is absent). ``percent`` counts
    outstanding pledges too and may exceed 100."""
    if project.id is None:
        return _progress_of(project, None)
    return _progress_of(project, project_money(project))
