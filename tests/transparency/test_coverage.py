"""Public figures say which sealed entries they cover, and include exactly those: an entry
committed but not yet sealed is in no figure, no download and no published balance, so a correct
ledger always verifies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fundapp.core.money import Money
from fundapp.extensions import db

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_ledger.py"


def test_unsealed_entries_are_in_no_figure_and_the_export_verifies(app, client, project_in, books, tmp_path):
    from flask import g

    from fundapp.ledger import services as ledger
    from fundapp.transparency import counters

    p = project_in("fundraising")
    books.donate(p, 40_000)
    books.disburse(p, 10_000)
    cov = counters.coverage()
    assert cov.tree_size == cov.checkpoint_size == 2
    L = ledger.Leg
    ledger.post_entry(
        "donation",
        [L.debit(books.acc("bank"), Money(5_000, "TJS")), L.credit(books.pacc(p), Money(5_000, "TJS"))],
        memo="committed, waiting for its seal",
        idempotency_key="test:unsealed",
        project_id=p.id,
    )
    db.session.commit()
    g.pop("ledger_unsealed", None)  # as if the sealer had not come round yet

    export = client.get("/transparency/data/ledger-export.json")
    assert export.headers["X-Ledger-Tree-Size"] == "2" and export.headers["X-Ledger-Checkpoint-Size"] == "2"
    data = json.loads(export.get_data(as_text=True))
    assert data["balances_tree_size"] == 2 and len(data["entries"]) == 2
    held = next(b for b in data["balances"] if b["project_id"] == p.id)
    assert held["balance"] == 30_000  # not 35,000: the unsealed donation is not in it
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    run = subprocess.run([sys.executable, str(TOOL), str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr

    api = client.get("/api/v1/ledger/balances").get_json()
    assert api["tree_size"] == 2
    assert next(b for b in api["balances"] if b["project_id"] == p.id)["balance"] == 30_000

    entries = json.loads(client.get("/transparency/data/entries.json").get_data(as_text=True))
    assert entries["tree_size"] == 2 and entries["checkpoint"]["tree_size"] == 2
    assert [e["sequence"] for e in entries["entries"]] == [1, 2]
    totals = client.get("/api/v1/transparency/totals").get_json()
    tjs = next(t for t in totals["currencies"] if t["currency"] == "TJS")
    assert (tjs["received"], tjs["held"]) == (40_000, 30_000)  # received and held: the same seal
    for url in ("/transparency?lang=en", "/transparency/ledger?lang=en", "/transparency/data?lang=en"):
        page = client.get(url).get_data(as_text=True)
        assert 'class="muted coverage" data-tree-size="2" data-checkpoint-size="2"' in page, url
