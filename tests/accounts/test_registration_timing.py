"""Registration takes as long for an address that has an account as for a new one."""

from __future__ import annotations

import statistics
import time

from tests.conftest import PASSWORD


def _time_registration(client, email: str) -> float:
    data = {"full_name": "Timing", "email": email, "password": PASSWORD, "password_again": PASSWORD}
    start = time.perf_counter()
    r = client.post("/register", data=data)
    elapsed = time.perf_counter() - start
    assert r.status_code == 200
    return elapsed


def test_registration_time_does_not_reveal_an_existing_account(app, make_user):
    """Is the median time of registering a taken address within a factor of two of a new one's
    (it was about twelve times shorter: no password hash was made)?"""
    make_user(email="taken@example.org")
    c = app.test_client()
    taken = [_time_registration(c, "taken@example.org") for _ in range(3)]
    new = [_time_registration(c, f"new{i}@example.org") for i in range(3)]
    ratio = statistics.median(new) / statistics.median(taken)
    print(
        f"registration median: taken {statistics.median(taken) * 1000:.0f} ms, "
        f"new {statistics.median(new) * 1000:.0f} ms, ratio {ratio:.2f}"
    )
    assert 0.5 < ratio < 2.0
