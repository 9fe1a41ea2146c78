"""`flask ledger verify`, `flask ledger export` and tools/verify_ledger.py: they pass on honest
books and name what is wrong when someone with database access bypasses the triggers."""

from __future__ import annotations

import copy
import importlib.util
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from fundapp.extensions import db
from fundapp.ledger import merkle, signing

from .conftest import bypass_triggers

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_ledger.py"


def _tool():
    spec = importlib.util.spec_from_file_location("verify_ledger_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _verify(runner, *args):
    return runner.invoke(args=["ledger", "verify", *args])


def _export(runner, tmp_path) -> dict:
    path = tmp_path / "export.json"
    result = runner.invoke(args=["ledger", "export", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text())


def _check(data, **kw):
    out = io.StringIO()
    result = _tool().check(data, out=out, **kw)
    return result.failures, out.getvalue()


def _entry_id(seq: int) -> int:
    return db.session.scalar(text("SELECT id FROM ledger_entries WHERE sequence = :s"), {"s": seq})


def _gift(accounts, amount: int, key: str, memo: str = "gift"):
    """A donation of ``amount`` somoni from the bank to project 1 (flushed, not committed)."""
    from fundapp.ledger import services as L

    from .conftest import tjs

    return L.post_entry(
        "donation",
        [L.Leg.debit(accounts["bank"], tjs(amount)), L.Leg.credit(accounts["p1"], tjs(amount))],
        memo=memo,
        idempotency_key=key,
    )


def test_honest_books_verify(small_ledger, runner):
    """Does `flask ledger verify` exit 0 on books kept through the services?"""
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "ledger OK" in result.output and "6 sealed entries" in result.output


def test_verify_seals_and_signs_what_is_left(app, accounts, runner):
    """Are entries posted outside a request sealed, numbered and covered when verify runs?"""
    for i in range(3):
        _gift(accounts, 10 + i, f"k{i}")
    db.session.commit()
    assert _verify(runner, "--no-seal").exit_code == 1  # unsealed and no checkpoint yet
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    seqs = db.session.scalars(text("SELECT sequence FROM ledger_entries ORDER BY id")).all()
    assert seqs == [1, 2, 3]


def test_a_changed_amount_is_caught(small_ledger, runner, tmp_path):
    """If an amount is changed consistently in both legs and both balances (so all sums still
    agree), is the change still caught by the Merkle check, naming the entry?"""
    before = _export(runner, tmp_path)
    e = _entry_id(2)
    bypass_triggers(
        [
            f"UPDATE ledger_legs SET amount_minor = 6000 WHERE entry_id = {e}",
            "UPDATE ledger_balances SET debits_minor = debits_minor - 1000, "
            "balance_minor = balance_minor - 1000 "
            f"WHERE account_id = {small_ledger['stripe'].id}",
            "UPDATE ledger_balances SET credits_minor = credits_minor - 1000, "
            "balance_minor = balance_minor - 1000 "
            f"WHERE account_id = {small_ledger['p2'].id}",
        ]
    )
    result = _verify(runner, "--no-seal")
    assert result.exit_code == 1
    assert "entry sequence 2" in result.output and "does not match its sealed hash" in result.output
    # the published export now disagrees with an earlier one kept by an outsider
    failures, out = _check(_export(runner, tmp_path), known=before["checkpoint"])
    assert failures and "INCONSISTENT" in out


def test_a_changed_balance_is_caught(small_ledger, runner):
    """Is a balance row that no longer equals the sum of its legs named?"""
    bypass_triggers(
        [
            "UPDATE ledger_balances SET credits_minor = 1, balance_minor = 1 "
            f"WHERE account_id = {small_ledger['p2'].id}"
        ]
    )
    result = _verify(runner, "--no-seal")
    assert result.exit_code == 1
    assert "account project:2 TJS" in result.output


def test_a_deleted_entry_is_caught(small_ledger, runner):
    """Is an entry deleted with its legs (and balances fixed up) caught as a sequence gap?"""
    e = _entry_id(5)  # the fee
    bypass_triggers(
        [
            f"DELETE FROM ledger_legs WHERE entry_id = {e}",
            f"DELETE FROM ledger_entries WHERE id = {e}",
            "UPDATE ledger_balances SET debits_minor = 0, balance_minor = 0 "
            f"WHERE account_id = {small_ledger['fees'].id}",
            "UPDATE ledger_balances SET credits_minor = credits_minor - 150, "
            "balance_minor = balance_minor + 150 "
            f"WHERE account_id = {small_ledger['stripe'].id}",
        ]
    )
    result = _verify(runner, "--no-seal")
    assert result.exit_code == 1
    assert "gaps" in result.output or "no entry" in result.output


def test_reordered_entries_are_caught(small_ledger, runner):
    """Is swapping two entries' sequence numbers caught?"""
    a, b = _entry_id(1), _entry_id(3)
    bypass_triggers(
        [
            f"UPDATE ledger_entries SET sequence = 1000 WHERE id = {a}",
            f"UPDATE ledger_entries SET sequence = 1 WHERE id = {b}",
            f"UPDATE ledger_entries SET sequence = 3 WHERE id = {a}",
        ]
    )
    result = _verify(runner, "--no-seal")
    assert result.exit_code == 1
    assert "entry sequence 1" in result.output or "entry sequence 3" in result.output


def test_a_forged_checkpoint_is_caught(small_ledger, runner):
    """Is a checkpoint whose root was replaced (without the key) caught by its signature?"""
    bypass_triggers(
        ["UPDATE ledger_checkpoints SET root_hash = leaf_hash FROM ledger_entries WHERE sequence = 1"]
        if db.session.get_bind().dialect.name == "postgresql"
        else [
            "UPDATE ledger_checkpoints SET root_hash = "
            "(SELECT leaf_hash FROM ledger_entries WHERE sequence = 1)"
        ]
    )
    result = _verify(runner, "--no-seal")
    assert result.exit_code == 1
    assert "signature is not valid" in result.output


def test_export_verifies_offline(small_ledger, runner, tmp_path):
    """Does the standalone verifier accept an honest export, from the command line too?"""
    path = tmp_path / "export.json"
    assert runner.invoke(args=["ledger", "export", str(path)]).exit_code == 0
    data = json.loads(path.read_text())
    assert len(data["entries"]) == 6 and data["entries"][1]["backer"] == "Nigora"
    failures, out = _check(data)
    assert failures == 0, out
    saved = tmp_path / "cp.json"
    assert _tool().main([str(path), "--save-checkpoint", str(saved)]) == 0
    assert (
        _tool().main([str(path), "--known-checkpoint", str(saved), "--public-key", data["public_key"]]) == 0
    )
    assert _tool().main([str(path), "--public-key", "00" * 32]) == 1


@pytest.mark.parametrize("tamper", ["amount", "delete", "insert", "reorder", "balance", "renumber"])
def test_the_offline_verifier_catches_tampering(small_ledger, runner, tmp_path, tamper):
    """Does tools/verify_ledger.py detect a changed amount, a deleted, inserted or reordered entry,
    and published balances that do not follow from the entries?"""
    data = _export(runner, tmp_path)
    entries = data["entries"]
    if tamper == "amount":
        for leg in entries[1]["legs"]:
            leg[3] += 100
    elif tamper == "delete":
        del entries[2]
    elif tamper == "insert":
        extra = copy.deepcopy(entries[0])
        extra["memo"] = "invented"
        entries.insert(3, extra)
    elif tamper == "reorder":
        entries[0], entries[1] = entries[1], entries[0]
    elif tamper == "balance":
        data["balances"][0]["balance"] += 1
    elif tamper == "renumber":  # delete one and renumber the rest, recomputing leaf hashes
        del entries[2]
        tool = _tool()
        for i, e in enumerate(entries, start=1):
            e["seq"] = i
            e["leaf_hash"] = tool.leaf_hash(tool.encode_entry(e)).hex()
    failures, out = _check(data)
    assert failures > 0, out


def test_a_resigned_rewritten_history_fails_against_an_earlier_checkpoint(
    small_ledger, runner, tmp_path, app
):
    """If the fund rewrites an old entry and signs a fresh checkpoint over the new history (with
    its real key), does the verifier still catch it given a checkpoint saved earlier?"""
    from fundapp.ledger.encoding import format_time

    before = _export(runner, tmp_path)
    known = before["checkpoint"]
    forged = copy.deepcopy(before)
    tool = _tool()
    for leg in forged["entries"][0]["legs"]:
        leg[3] += 1
    leaves = []
    for e in forged["entries"]:
        e["leaf_hash"] = tool.leaf_hash(tool.encode_entry(e)).hex()
        leaves.append(bytes.fromhex(e["leaf_hash"]))
    for b in forged["balances"]:
        if b["code"] in ("stripe_clearing", "project:1"):
            b["debits" if b["code"] == "stripe_clearing" else "credits"] += 1
            b["balance"] += 1
    root = merkle.root_from_leaves(leaves)
    key = signing.load_private_key()
    from fundapp.core.db import utcnow

    signed_at = format_time(utcnow())
    cp = dict(forged["checkpoint"], root_hash=root.hex(), signed_at=signed_at)
    cp["signature"] = key.sign(signing.checkpoint_body(cp["origin"], len(leaves), root)).hex()
    forged["checkpoint"], forged["checkpoints"] = cp, [cp]
    failures, out = _check(forged)
    assert failures == 0, out  # internally consistent: only an outside memory can catch it
    failures, out = _check(forged, known=known)
    assert failures == 1 and "INCONSISTENT" in out


def test_the_verifier_reads_the_live_api(small_ledger, live_server):
    """Does the standalone verifier check a running site through its public API?"""
    out = io.StringIO()
    tool = _tool()
    data = tool.load(live_server)
    result = tool.check(data, out=out)
    assert result.failures == 0, out.getvalue()
    assert len(data["entries"]) == 6


def test_trial_balance_balances(small_ledger, runner):
    """Does the trial balance list the accounts and show each currency balanced, today and at a date?"""
    result = runner.invoke(args=["ledger", "trial-balance"])
    assert result.exit_code == 0, result.output
    assert "project:1" in result.output and "balanced" in result.output
    result = runner.invoke(args=["ledger", "trial-balance", "--at", "2000-01-01"])
    assert result.exit_code == 0 and "project:1" not in result.output
    assert runner.invoke(args=["ledger", "trial-balance", "--at", "soon"]).exit_code != 0


def test_seal_and_checkpoint_commands(app, accounts, runner):
    """Do `flask ledger seal` and `flask ledger checkpoint` number entries and sign the tree?"""
    _gift(accounts, 10, "s1")
    db.session.commit()
    assert "sealed 1 entries" in runner.invoke(args=["ledger", "seal"]).output
    out = runner.invoke(args=["ledger", "checkpoint"]).output
    assert "size 1" in out
    key_file = Path(app.instance_path) / "ledger_signing_key.pem"
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600


def test_seal_follow_seals_in_rounds_until_stopped(app, accounts, runner):
    """Does `flask ledger seal --follow` seal what was committed, round after round, and stop when
    told to, with every entry numbered in order and nothing left waiting?"""
    from fundapp.ledger import sealing
    from fundapp.ledger.models import JournalEntry

    for i in range(3):
        _gift(accounts, 10 + i, f"follow:{i}")
        db.session.commit()
    out = runner.invoke(args=["ledger", "seal", "--follow", "--interval", "0.01", "--rounds", "2"])
    assert out.exit_code == 0, out.output
    assert "sealed 3 entries while following; tree size 3" in out.output
    sequences = db.session.scalars(db.select(JournalEntry.sequence).order_by(JournalEntry.id)).all()
    assert sequences == [1, 2, 3]
    # and follow() itself: one round per call of stop() until it says stop
    _gift(accounts, 5, "follow:3")
    db.session.commit()
    asked = []
    assert sealing.follow(lambda: asked.append(1) or len(asked) > 1, interval=0.01) == 1
    assert sealing.tree_size() == 4 and len(asked) == 2


def test_sealing_in_small_batches_numbers_every_entry_once(app, accounts):
    """Sealed in batches smaller than what waits, does every entry get its own number in order,
    each batch starting past the last one sealed, and does the tree still verify?"""
    from fundapp.ledger import sealing
    from fundapp.ledger.verify import verify_ledger

    for i in range(5):
        _gift(accounts, 1 + i, f"chase:{i}")
        db.session.commit()
    assert sealing.seal_pending(batch=2) == 5  # 2 + 2 + 1: the short batch ends the call
    db.session.commit()
    assert sealing.seal_pending(batch=2) == 0
    sealing.make_checkpoint()
    db.session.commit()
    report = verify_ledger()
    db.session.rollback()
    assert report.ok, report.problems


def test_awkward_text_survives_sealing_and_verifying(app, accounts, runner, tmp_path):
    """Do memos and backer labels with tabs, newlines, backslashes, quotes and any script seal and
    re-verify byte for byte (PostgreSQL reads them back through COPY's escapes)?"""
    from fundapp.ledger import services as L

    from .conftest import tjs

    memos = [
        "tab\there",
        "line\nbreak\r\n",
        "back\\slash \\N \\x41",
        'quote " and \u0001',
        "Ҳамватан 😀 ق",
        "separators \x1e\x1f and marks \x02\x03",
        "\x03",
        "\x02ab",
    ]
    for i, memo in enumerate(memos):
        L.post_entry(
            "donation",
            [L.Leg.debit(accounts["bank"], tjs(100 + i)), L.Leg.credit(accounts["p1"], tjs(100 + i))],
            memo=memo,
            idempotency_key=f"awk:{i}",
            backer_label=memo[::-1],
        )
    db.session.commit()
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    data = _export(runner, tmp_path)
    assert [e["memo"] for e in data["entries"]] == memos
    failures, out = _check(data)
    assert failures == 0, out


def test_a_changed_tree_node_is_caught(small_ledger, runner):
    """Is a stored Merkle node (which proofs and the next seal build on) that no longer matches the
    entries caught?"""
    bypass_triggers(
        ["UPDATE ledger_merkle_nodes SET hash = (SELECT leaf_hash FROM ledger_entries WHERE sequence = 1)"]
    )
    result = _verify(runner, "--no-seal")
    assert result.exit_code == 1
    assert "Merkle nodes differ" in result.output
    assert "Merkle nodes differ" in _verify(runner, "--no-seal", "--full-nodes").output


def test_many_checkpoints_are_sampled_but_all_can_be_checked(app, accounts, runner, monkeypatch):
    """With many checkpoints, does verify check the latest and a sample, catch a shrinking size in
    any of them, and check every one with --all-checkpoints?"""
    from fundapp.ledger import sealing
    from fundapp.ledger import verify as V

    monkeypatch.setattr(V, "CHECKPOINT_SAMPLE", 2)
    for i in range(7):
        _gift(accounts, 10 + i, f"cp:{i}")
        db.session.commit()
        sealing.make_checkpoint()
        db.session.commit()
    result = _verify(runner, "--no-seal")
    assert result.exit_code == 0, result.output
    assert "4 of 7 checkpoints checked in full" in result.output
    # the oldest checkpoint's root is replaced by another checkpoint's (a valid-looking hash)
    bypass_triggers(
        [
            "UPDATE ledger_checkpoints SET root_hash = (SELECT root_hash FROM ledger_checkpoints "
            "WHERE tree_size = 2) WHERE tree_size = 1"
        ]
    )
    result = _verify(runner, "--no-seal", "--all-checkpoints")
    assert result.exit_code == 1 and "size 1" in result.output
    bypass_triggers(["UPDATE ledger_checkpoints SET tree_size = 5 WHERE tree_size = 2"])
    result = _verify(runner, "--no-seal")
    assert result.exit_code == 1 and "smaller than the one before it" in result.output


def test_checkpoints_are_signed_at_most_every_interval(small_ledger, app, client):
    """With LEDGER_CHECKPOINT_SECONDS set, does a seal sign a new checkpoint only once the latest
    is old enough, does verify say which entries wait for the next one, and does asking for the
    public checkpoint sign one when it is due?"""
    from datetime import timedelta

    from fundapp.ledger import sealing
    from fundapp.ledger.models import Checkpoint
    from fundapp.ledger.verify import verify_ledger

    app.config["LEDGER_CHECKPOINT_SECONDS"] = 60
    first = sealing.latest_checkpoint()
    _gift(small_ledger, 10, "late:1")
    db.session.commit()
    assert sealing.seal_and_checkpoint() == 1
    db.session.commit()
    assert sealing.latest_checkpoint().id == first.id  # sealed, not yet signed: too soon
    report = verify_ledger()
    db.session.rollback()
    assert report.ok, report.problems
    assert any("covers 6 of 7 entries" in f for f in report.facts)
    # the public checkpoint is not re-signed while the latest is fresh …
    assert client.get("/api/v1/ledger/checkpoint").get_json()["tree_size"] == 6
    # … and is once it is older than the interval
    assert sealing.checkpoint_due(first.signed_at + timedelta(seconds=61))
    app.config["LEDGER_CHECKPOINT_SECONDS"] = 0
    assert client.get("/api/v1/ledger/checkpoint").get_json()["tree_size"] == 7
    assert db.session.scalar(db.select(db.func.count()).select_from(Checkpoint)) == 2


def test_a_memo_forged_to_look_like_the_next_record_is_caught(small_ledger, runner):
    """verify reads the journal as separated text: does a memo changed to hold the separators and
    fields of a made-up record still fail the check instead of being read as two records?"""
    from fundapp.ledger.models import JournalEntry

    e = db.session.scalar(db.select(JournalEntry).where(JournalEntry.sequence == 2))
    forged = e.memo + "\x1f\x03\x1f\x1f" + "0" * 64 + "\x1f2\x1e1\x1f1\x1fdonation"
    bypass_triggers([f"UPDATE ledger_entries SET memo = '{forged}' WHERE id = {e.id}"])
    result = _verify(runner, "--no-seal")
    assert result.exit_code == 1 and "sequence 2" in result.output and "sealed hash" in result.output
