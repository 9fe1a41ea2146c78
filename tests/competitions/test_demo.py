"""The competitions demo: one finished edition with results and a paid prize, one open for
nominations; loaded twice without change; its tally verifies and the ledger still does."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from fundapp.competitions import tally
from fundapp.competitions.models import Edition, Nomination, Prize
from fundapp.extensions import db


def test_demo_loads_once_and_shows(app, runner):
    """Does the demo give a published edition with a paid prize and one open for nominations, the
    same after a second load, with pages in three languages, a tally that recounts, and books that
    still verify?"""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    states = sorted(db.session.scalars(select(Edition.state)).all())
    assert states == ["nominations_open", "results_published"]
    assert db.session.scalar(select(Prize.state).where(Prize.kind == "money")) == "paid"
    counts = (
        db.session.scalar(select(func.count(Nomination.id))),
        db.session.scalar(select(func.count(Prize.id))),
    )
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert sorted(db.session.scalars(select(Edition.state)).all()) == states
    assert counts == (
        db.session.scalar(select(func.count(Nomination.id))),
        db.session.scalar(select(func.count(Prize.id))),
    )
    done = db.session.scalar(select(Edition).where(Edition.state == "results_published"))
    c = app.test_client()
    for lang in ("tg", "ru", "en"):
        for url in ("/competitions", f"/competitions/editions/{done.id}", "/competitions/receipt"):
            assert c.get(f"{url}?lang={lang}").status_code == 200, (url, lang)
    doc = json.loads(c.get(f"/competitions/editions/{done.id}/tally.json").get_data(as_text=True))
    assert tally.verify_document(doc) == []
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0


def test_figures_for_monitoring(app, runner):
    """Do the monitoring figures count the demo's nominations and prizes by country, and nothing
    outside the period?"""
    from datetime import UTC, datetime

    from fundapp.competitions import figures

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    wide = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    noms = figures.nominations_by_country(*wide)
    assert noms == {"RU": 2, "TR": 2}  # two centres in Russia; the Istanbul centre and the scientist
    won = figures.prizes_by_country(*wide)
    assert sum(v["count"] for v in won.values()) == 3
    assert sum(v["money"].get("TJS", 0) for v in won.values()) == 500_000
    empty = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2001, 1, 1, tzinfo=UTC))
    assert figures.nominations_by_country(*empty) == {} and figures.prizes_by_country(*empty) == {}
