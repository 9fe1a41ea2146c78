"""Fixtures of the accounts tests."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fundapp.extensions import db


@pytest.fixture
def outbox(app):
    """Messages queued so far, newest last."""
    from fundapp.mail.models import OutboxMessage

    def read(to: str | None = None):
        q = select(OutboxMessage).order_by(OutboxMessage.id)
        if to:
            q = q.where(OutboxMessage.to_address == to)
        db.session.expire_all()
        return list(db.session.scalars(q))

    return read


def link_in(body: str, path_part: str) -> str:
    """The first URL in a mail body containing ``path_part``, as a path for the test client."""
    for url in re.findall(r"https?://\S+", body):
        if path_part in url:
            return re.sub(r"^https?://[^/]+", "", url)
    raise AssertionError(f"no {path_part} link in:\n{body}")
