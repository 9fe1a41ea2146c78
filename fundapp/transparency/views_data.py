"""Assembling what the public pages show: the dashboard's totals and charts, the labels of places,
categories, countries and kinds in the reader's language."""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fundapp.core.i18n import format_money
from fundapp.proposals.models import STATE_LABELS, ProjectState

from . import charts
from . import services as svc

KIND_LABELS = {
    "donation": _l("Donation"),
    "pledge_collection": _l("Pledge collected"),
    "investment": _l("Investment"),
    "disbursement": _l("Disbursement"),
    "refund": _l("Refund to a backer"),
    "fee": _l("Fee"),
    "repayment": _l("Loan repayment"),
    "distribution": _l("Repaid to investors"),
    "reversal": _l("Reversal"),
    "adjustment": _l("Adjustment"),
    "fx": _l("Currency exchange"),
    "transfer": _l("Transfer"),
}
# Kinds whose entries name (or keep anonymous) the backer who gave or got money back.
BACKER_KINDS = frozenset({"donation", "pledge_collection", "investment", "refund", "distribution"})

CHANNEL_LABELS = {
    "card": _l("Card (Stripe)"),
    "bank": _l("Bank transfer"),
    "mto": _l("Money-transfer operator"),
    "other": _l("Other"),
}

TOTAL_LABELS = {
    "received": _l("Received"),
    "pledged": _l("Pledged (not yet collected)"),
    "held": _l("Held for projects"),
    "disbursed": _l("Disbursed to projects"),
    "refunded": _l("Refunded to backers"),
    "repaid": _l("Repaid to investors"),
    "repayments": _l("Loan repayments received"),
    "interest": _l("Interest received"),
    "fees": _l("Fees"),
}
TOTAL_ORDER = ("received", "pledged", "held", "disbursed", "refunded", "repaid", "repayments", "fees")


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def region_label(key: str) -> str:
    from fundapp.core.geo import region_name

    return str(region_name(key)) or _("Not stated")


def district_label(key: str) -> str:
    from fundapp.core.geo import district_name

    region, _sep, district = key.partition("/")
    return str(district_name(region, district)) or _("Not stated")


def category_label(key: str) -> str:
    from fundapp.core.geo import category_name

    return str(category_name(key)) or _("Not stated")


def country_label(code: str) -> str:
    if not code:
        return _("Not stated")
    if code == svc.OTHER_GROUP:
        return _("Other countries (fewer than %(n)s backers each)", n=svc.min_group_backers())
    try:
        names = Locale.parse(str(get_locale())).territories
    except (ValueError, TypeError):
        names = {}
    return names.get(code.upper(), code.upper())


def state_label(state: str) -> str:

    try:
        return str(STATE_LABELS[ProjectState(state)])
    except (KeyError, ValueError):
        return state


def dashboard(currency: str, snap: svc.Snapshot | None = None) -> dict:
    """Everything the dashboard shows, for one currency's charts (all currencies' totals)."""
    snap = snap or svc.Snapshot()

    def money(v: int) -> str:
        return format_money(v, currency)

    totals = snap.fund_totals()
    periods, series = snap.months(currency)
    amount_h = _("Amount (%(currency)s)", currency=currency)
    out_chart = charts.time_chart(
        f"money-over-time-{currency}",
        _("Money in and out per month, %(currency)s", currency=currency),
        _(
            "Line chart: money received (donations, pledges collected, investments, loan repayments) "
            "and money paid out (disbursements, refunds, repayments to investors) per month."
        ),
        periods,
        [(_("Money in"), series["in"]), (_("Money out"), series["out"])],
        fmt=money,
        period_header=_("Month"),
    )

    def hbar(cid, title, desc, items, label_h, colour=charts.PALETTE[0]):
        return charts.hbar_chart(
            f"{cid}-{currency}",
            title,
            desc,
            items,
            fmt=money,
            label_header=label_h,
            value_header=amount_h,
            colour=colour,
        )

    region = hbar(
        "by-region",
        _("Received by home region of the project, %(currency)s", currency=currency),
        _("Bar chart: money received for projects in each region of Tajikistan."),
        [(region_label(k), v) for k, v in snap.breakdown("region", "received", currency)],
        _("Region"),
    )
    district = hbar(
        "by-district",
        _("Received by district (top 10), %(currency)s", currency=currency),
        _("Bar chart: the ten districts whose projects received the most money."),
        [(district_label(k), v) for k, v in snap.breakdown("district", "received", currency, limit=10)],
        _("District"),
        charts.PALETTE[2],
    )
    category = hbar(
        "by-category",
        _("Received by category, %(currency)s", currency=currency),
        _("Bar chart: money received for each category of project."),
        [(category_label(k), v) for k, v in snap.breakdown("category", "received", currency)],
        _("Category"),
        charts.PALETTE[3],
    )
    country = hbar(
        "by-country",
        _("Received by backers' country of residence, %(currency)s", currency=currency),
        _("Bar chart: money received from backers living in each country (as they stated it)."),
        [(country_label(k), v) for k, v in snap.breakdown("country", "received", currency)],
        _("Country"),
        charts.PALETTE[4],
    )
    top = svc.top_projects(currency)
    top_chart = hbar(
        "top-projects",
        _("Projects that received the most, %(currency)s", currency=currency),
        _("Bar chart: the ten projects that received the most money."),
        [(p.title, v) for p, v in top],
        _("Project"),
        charts.PALETTE[1],
    )
    states = [(state_label(s), n) for s, n in svc.projects_per_state() if n]
    states_chart = charts.hbar_chart(
        "projects-per-state",
        _("Projects per state"),
        _("Bar chart: how many projects are in each state of their life."),
        states,
        label_header=_("State"),
        value_header=_("Projects"),
        colour=charts.PALETTE[5],
    )
    return {
        "totals": totals,
        "currency": currency,
        "charts": [out_chart, region, district, category, country, top_chart, states_chart],
        "top_projects": top,
        "backers": snap.count("fund", "", "backers"),
        "entries": snap.count("fund", "", "entries"),
        "projects_per_state": states,
    }
