"""The public JSON: paginated entries, the signed checkpoint, inclusion and consistency proofs
that verify with nothing but the RFC algorithms and the published key."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fundapp.core.security import public
from fundapp.extensions import db
from fundapp.ledger import merkle
from fundapp.ledger import services as L

from .conftest import tjs


def test_entries_are_public_and_paginated_by_sequence(small_ledger, client):
    """Can anyone page through the sealed entries with ?after=&limit=, in sequence order?"""
    first = client.get("/api/v1/ledger/entries?limit=4").get_json()
    assert [e["seq"] for e in first["entries"]] == [1, 2, 3, 4]
    assert first["next_after"] == 4 and first["tree_size"] == 6
    rest = client.get("/api/v1/ledger/entries?after=4&limit=4").get_json()
    assert [e["seq"] for e in rest["entries"]] == [5, 6] and rest["next_after"] is None
    e2 = first["entries"][1]
    assert e2["backer"] == "Nigora" and e2["kind"] == "donation" and e2["v"] == 1
    assert sorted(e2["legs"]) == [["C", "project:2", "TJS", 7000], ["D", "stripe_clearing", "TJS", 7000]]
    assert first["entries"][0]["backer"] is None  # anonymous unless they chose to be named
    assert client.get("/api/v1/ledger/entries/2").get_json()["seq"] == 2
    assert client.get("/api/v1/ledger/entries/99").status_code == 404


@pytest.mark.parametrize(
    "query", ["after=abc", "limit=0", "limit=5000", "after=-1", "after=99999999999999999999"]
)
def test_bad_parameters_get_a_clear_400(small_ledger, client, query):
    """Is malformed paging input a 400 with a message, never a 500?"""
    response = client.get(f"/api/v1/ledger/entries?{query}")
    assert response.status_code == 400 and "error" in response.get_json()


def test_checkpoint_is_signed_by_the_published_key(small_ledger, client):
    """Does the published signature verify over the published message with the published key?"""
    cp = client.get("/api/v1/ledger/checkpoint").get_json()
    assert cp["tree_size"] == 6 and cp["algorithm"] == "Ed25519"
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp["public_key"]))
    key.verify(bytes.fromhex(cp["signature"]), cp["message"].encode())
    root_b64 = base64.b64encode(bytes.fromhex(cp["root_hash"])).decode()
    assert cp["message"].splitlines() == [cp["origin"], "6", root_b64]


def test_every_entry_has_an_inclusion_proof(small_ledger, client):
    """Does each entry's proof lead from its leaf to the checkpoint's root?"""
    cp = client.get("/api/v1/ledger/checkpoint").get_json()
    root = bytes.fromhex(cp["root_hash"])
    entries = client.get("/api/v1/ledger/entries").get_json()["entries"]
    for e in entries:
        proof = client.get(f"/api/v1/ledger/entries/{e['seq']}/proof").get_json()
        assert proof["leaf_hash"] == e["leaf_hash"]
        assert merkle.verify_inclusion(
            bytes.fromhex(e["leaf_hash"]),
            proof["leaf_index"],
            proof["tree_size"],
            [bytes.fromhex(p) for p in proof["proof"]],
            root,
        )
    small = client.get("/api/v1/ledger/entries/2/proof?tree_size=3").get_json()
    assert small["tree_size"] == 3
    assert client.get("/api/v1/ledger/entries/7/proof").status_code == 404
    assert client.get("/api/v1/ledger/entries/1/proof?tree_size=50").status_code == 404


def test_a_client_holding_an_old_checkpoint_can_check_the_new_one_extends_it(small_ledger, client):
    """Does the consistency proof between an old and a new tree size verify (and fail for a lie)?"""
    old = client.get("/api/v1/ledger/checkpoint").get_json()
    L.post_entry(
        "donation",
        [L.Leg.debit(small_ledger["bank"], tjs(1)), L.Leg.credit(small_ledger["p1"], tjs(1))],
        memo="later gift",
        idempotency_key="later",
    )
    db.session.commit()
    from fundapp.ledger import sealing

    sealing.make_checkpoint()
    db.session.commit()
    new = client.get("/api/v1/ledger/checkpoint").get_json()
    assert new["tree_size"] == 7
    c = client.get(f"/api/v1/ledger/consistency?from={old['tree_size']}").get_json()
    assert c["to"] == 7 and c["from_root"] == old["root_hash"] and c["to_root"] == new["root_hash"]
    proof = [bytes.fromhex(p) for p in c["proof"]]
    assert merkle.verify_consistency(
        6, 7, bytes.fromhex(old["root_hash"]), bytes.fromhex(new["root_hash"]), proof
    )
    assert not merkle.verify_consistency(6, 7, bytes(32), bytes.fromhex(new["root_hash"]), proof)
    assert client.get("/api/v1/ledger/consistency?from=8&to=7").status_code == 400
    assert client.get("/api/v1/ledger/checkpoint?tree_size=6").get_json()["root_hash"] == old["root_hash"]


def test_balances_are_published(small_ledger, client):
    """Are the stored balances public, with project accounts labelled by project?"""
    rows = client.get("/api/v1/ledger/balances").get_json()["balances"]
    p1 = next(r for r in rows if r["code"] == "project:1")
    assert p1["balance"] == 5000 + 1200 - 4000 and p1["project_id"] == 1


def test_an_empty_ledger_has_a_signed_empty_tree(app, client):
    """On a brand-new ledger, is the checkpoint the signed empty tree, and a proof a clean 404?"""
    assert client.get("/api/v1/ledger/entries/1/proof").status_code == 404
    cp = client.get("/api/v1/ledger/checkpoint").get_json()
    assert cp["tree_size"] == 0 and cp["root_hash"] == merkle.EMPTY_ROOT.hex()
    assert client.get("/api/v1/ledger/entries").get_json()["entries"] == []
    assert client.get("/api/v1/ledger/consistency").get_json()["proof"] == []


def test_a_request_that_posts_is_sealed_and_signed_after_its_commit(app_factory):
    """After a request posts and commits, are its entries numbered and covered by a checkpoint
    before the next request (without any command being run)?"""
    app = app_factory()

    @public
    def give():
        acc_bank, acc_p = L.get_account("bank", "TJS"), L.project_account(3, "TJS")
        entry = L.post_entry(
            "donation",
            [L.Leg.debit(acc_bank, tjs(250)), L.Leg.credit(acc_p, tjs(250))],
            memo="gift through a request",
            idempotency_key="req:1",
        )
        db.session.commit()
        return {"id": entry.id}

    app.add_url_rule("/_test/give", "test_give", give, methods=["POST"])
    client = app.test_client()
    with app.app_context():
        assert client.post("/_test/give").status_code == 200
        cp = client.get("/api/v1/ledger/checkpoint").get_json()
        assert cp["tree_size"] == 1
        assert (
            client.get("/api/v1/ledger/entries").get_json()["entries"][0]["memo"] == "gift through a request"
        )


def test_account_names_are_shown_in_the_readers_language(app, accounts):
    """Does a page show the chart's accounts and the project accounts in Russian and Tajik, while
    the database keeps the stable English name?"""
    from flask_babel import force_locale

    from fundapp.ledger.labels import account_name

    with app.test_request_context():
        with force_locale("ru"):
            assert account_name(accounts["bank"]) == "Банковский счёт"
            assert account_name(accounts["p1"]) == "Удерживается для проекта 1"
        with force_locale("tg"):
            assert account_name(accounts["fees"]) == "Ҳаққи хизмати пардохт ва интиқол"
        with force_locale("en"):
            assert account_name(accounts["general"]) == "General fund (unrestricted)"
    assert accounts["bank"].name == "Bank account"
