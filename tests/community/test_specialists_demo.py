"""The specialists' demo: specialists in several countries, needs, one placement in progress and
one completed; loaded twice without change; pages in three languages."""

from __future__ import annotations

from sqlalchemy import func, select

from fundapp.community.models import Placement, SpecialistNeed, SpecialistProfile
from fundapp.extensions import db


def _counts():
    return tuple(
        db.session.scalar(select(func.count(model.id)))
        for model in (SpecialistProfile, SpecialistNeed, Placement)
    )


def test_demo_specialists_load_once(app, runner):
    """Does the demo give specialists in three countries, three needs, a placement in progress and
    a completed one — the same after a second load — shown in tg, ru and en, and does a visitor
    see only the public profiles?"""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    counts = _counts()
    assert counts == (3, 3, 2)
    assert sorted(db.session.scalars(select(Placement.status)).all()) == ["active", "completed"]
    assert set(db.session.scalars(select(SpecialistProfile.country)).all()) == {"KZ", "TR", "DE"}
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert _counts() == counts
    c = app.test_client()
    need = db.session.scalar(select(SpecialistNeed).order_by(SpecialistNeed.id))
    for lang in ("tg", "ru", "en"):
        for url in ("/specialists", "/needs", f"/needs/{need.id}"):
            assert c.get(f"{url}?lang={lang}").status_code == 200, (url, lang)
    html = c.get("/specialists?lang=en").get_data(as_text=True)
    assert "2 specialists found" in html
    hidden = db.session.scalar(select(SpecialistProfile.id).where(SpecialistProfile.visibility == "members"))
    assert f'/specialists/{hidden}"' not in html
    assert c.get(f"/specialists/{hidden}").status_code == 404
