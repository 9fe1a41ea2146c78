"""Fixtures for projects: complete drafts and projects walked to any state by the real services."""

from __future__ import annotations

import pytest

from fundapp.extensions import db


@pytest.fixture
def cast(make_user):
    """The people of a review: an author, two reviewers, an administrator, an auditor, a stranger."""

    class Cast:
        author = make_user("member", full_name="Farrukh Saidov")
        reviewer1 = make_user("reviewer", full_name="Dilorom Karimova")
        reviewer2 = make_user("reviewer", full_name="Bakhtiyor Nazarov")
        admin = make_user("administrator", full_name="Zarina Odinaeva")
        auditor = make_user("auditor")
        stranger = make_user("member")

    return Cast


@pytest.fixture
def project_in(app, cast):
    """``project_in("fundraising")`` → a complete project of ``cast.author`` in that state."""
    from fundapp.proposals.factories import advance, create_complete_draft

    def make(state: str, **fields):
        project = create_complete_draft(cast.author, **fields)
        advance(project, state, admin=cast.admin, reviewers=[cast.reviewer1, cast.reviewer2])
        db.session.commit()
        return project

    return make


@pytest.fixture(autouse=True)
def english_by_default(app):
    """Messages are asserted in English (the source language); the browser test checks Russian."""
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
