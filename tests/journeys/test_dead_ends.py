"""Journeys that used to stop halfway or say something wrong: each finishes, or says why not."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fundapp.core.errors import ValidationFailed
from fundapp.core.money import Money


def test_small_files_show_their_real_size(app):
    """Is a 193-byte file listed as "193 bytes", not "0 KB", and are larger ones in KB and MB?"""
    from flask_babel import force_locale

    from fundapp.files import file_size

    with app.test_request_context(), force_locale("en"):
        assert file_size(193) == "193 bytes"
        assert file_size(1) == "1 byte"
        assert file_size(1536) == "1.5 KB"
        assert file_size(3 * 1024 * 1024) == "3 MB"
    with app.test_request_context(), force_locale("ru"):
        assert file_size(193) == "193 байта"


def test_journal_export_with_from_after_to_says_so(client_for):
    """Does the auditor's journal export with From after To answer with a clear error beside the
    field, keeping the dates typed, instead of an empty file?"""
    client, _ = client_for("auditor")
    r = client.get("/auditor/journal.csv?start=2026-05-01&end=2026-04-01")
    assert r.status_code == 400 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert "“To” is before “From”" in page and 'value="2026-05-01"' in page and 'aria-invalid="true"' in page
    r = client.get("/auditor/journal.csv?start=2026-04-01&end=2026-05-01")
    assert r.status_code == 200 and r.mimetype == "text/csv"


def test_a_milestone_due_in_the_past_is_refused(app, make_user):
    """Is a milestone due yesterday refused (naming the date field), while one due today is kept?"""
    from fundapp.proposals import services

    owner = make_user()
    from fundapp.proposals.factories import create_complete_draft

    project = create_complete_draft(owner)
    with pytest.raises(ValidationFailed) as err:
        services.add_milestone(
            project,
            actor=owner,
            title="Дирӯз",
            amount=Money(100, project.currency),
            due_date=date.today() - timedelta(days=1),
        )
    assert err.value.field == "due_date"
    services.add_milestone(
        project, actor=owner, title="Имрӯз", amount=Money(100, project.currency), due_date=date.today()
    )


def test_the_home_page_promises_cards_only_when_cards_are_taken(app_factory):
    """With no Stripe keys, does the home page speak of bank and money transfers only, and with
    keys, of cards too?"""
    off = app_factory(STRIPE_SECRET_KEY=None).test_client().get("/?lang=en").get_data(as_text=True)
    assert "by card" not in off and "Give by bank transfer or through a money-transfer operator." in off
    on = app_factory(STRIPE_SECRET_KEY="sk_test_x").test_client().get("/?lang=en").get_data(as_text=True)
    assert "Give by card, bank transfer or money-transfer operator." in on
