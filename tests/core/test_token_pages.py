"""Pages reached by a secret link are never cached and never pass their address on."""

from __future__ import annotations

import pytest

from fundapp.accounts.services import make_confirm_token, make_reset_token


@pytest.mark.parametrize("kind", ["reset", "confirm", "bad-reset", "donation"])
def test_token_pages_say_no_store(app, make_user, kind):
    """Do the password reset, the email confirmation and a donation's receipt link answer with
    ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer`` — also to a visitor who is
    not signed in, and also when the token is wrong?"""
    user = make_user(confirmed=kind != "confirm")
    path = {
        "reset": f"/password/reset/{make_reset_token(user)}",
        "confirm": f"/confirm/{make_confirm_token(user)}",
        "bad-reset": "/password/reset/not-a-token",
        "donation": "/back/donations/no-such-receipt-token",
    }[kind]
    r = app.test_client().get(path)
    assert r.status_code in (200, 302, 404)
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"
