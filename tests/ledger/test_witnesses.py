"""Witnesses: checkpoints are C2SP signed notes, every one is public with a consistency proof,
tools/witness.py cosigns only a history that extends what it saw, the fund keeps its configured
witnesses' cosignatures, and the insider who rewrites history and re-signs it is caught by a
witness, by a verifier that remembers, and by a backer's saved receipt proof."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from fundapp.extensions import db
from fundapp.ledger import merkle, sealing, signing

from .conftest import bypass_triggers, tjs

TOOLS = Path(__file__).resolve().parents[2] / "tools"
WITNESS_NAME = "ministry.example.tj/witness"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_tool", TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def witness_tool():
    return _load("witness")


@pytest.fixture
def verifier_tool():
    return _load("verify_ledger")


@pytest.fixture
def witness_key(app, tmp_path):
    """A witness's private key file and its vkey, configured as one the fund accepts."""
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "witness.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    vkey = signing.vkey(WITNESS_NAME, signing.SIG_COSIGNATURE, pub)
    app.config["LEDGER_WITNESSES"] = [vkey]
    return path, vkey, key


class ClientLog:
    """The fund's API as tools/witness.py sees it, through the test client."""

    def __init__(self, client):
        self.client = client

    def latest(self):
        return self.client.get("/api/v1/ledger/checkpoint").get_json()

    def consistency_proof(self, old, new):
        data = self.client.get(f"/api/v1/ledger/consistency?from={old}&to={new}").get_json()
        return [bytes.fromhex(h) for h in data["proof"]]

    def submit(self, note):
        response = self.client.post(
            "/api/v1/ledger/cosignatures", data=note.encode(), content_type="text/plain"
        )
        data = response.get_json()
        return data if response.status_code < 400 else {"error": data["error"]}


def _cosign(witness_tool, client, key_path, state_path, *extra, log=None):
    """Run `witness.py cosign` against the test client; (exit status, stdout, stderr)."""
    ns = witness_tool.build_parser().parse_args(
        ["cosign", "--key", str(key_path), "--state", str(state_path), "--name", WITNESS_NAME, *extra]
    )
    out, err = io.StringIO(), io.StringIO()
    code = witness_tool.run_cosign(ns, out=out, err=err, log=log or ClientLog(client))
    return code, out.getvalue(), err.getvalue()


def _gift(accounts, amount: int, key: str):
    from fundapp.ledger import services as L

    L.post_entry(
        "donation",
        [L.Leg.debit(accounts["bank"], tjs(amount)), L.Leg.credit(accounts["p1"], tjs(amount))],
        memo="gift",
        idempotency_key=key,
    )
    db.session.commit()
    sealing.make_checkpoint()
    db.session.commit()


def test_the_note_format_matches_the_c2sp_example(witness_tool, verifier_tool, app):
    """Do the fund's and the tools' note code accept the signed-note specification's own example
    (vkey, key id, signature) and refuse it when one byte of the text changes?"""
    vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    note = (
        "This is an example message.\n\n"
        "\u2014 example.com/foo "
        "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
    )
    key = signing.parse_vkey(vkey)
    body, sigs = signing.split_note(note)
    assert body == b"This is an example message.\n" and sigs[0][0] == "example.com/foo"
    assert sigs[0][1][:4] == key.key_id == bytes.fromhex("530d903a")
    assert signing.verify_signature(key.public_raw, sigs[0][1][4:], body)
    assert not signing.verify_signature(key.public_raw, sigs[0][1][4:], body.replace(b"example", b"exampel"))
    name, kid, sig_type, pub = witness_tool.parse_vkey(vkey)
    assert (name, kid, sig_type, pub) == ("example.com/foo", key.key_id, 1, key.public_raw)
    assert verifier_tool.parse_vkey(vkey)[3] == key.public_raw
    with pytest.raises(ValueError):
        signing.parse_vkey("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")


def test_the_checkpoint_is_a_c2sp_checkpoint_signed_by_the_funds_note_key(small_ledger, client):
    """Is the published checkpoint an origin/size/base64-root note whose signature line carries
    the spec's key id and verifies under the published vkey?"""
    cp = client.get("/api/v1/ledger/checkpoint").get_json()
    body, sigs = signing.split_note(cp["note"])
    origin, size, root = body.decode().splitlines()
    assert (origin, size) == (cp["origin"], "6") and base64.b64decode(root).hex() == cp["root_hash"]
    vkey = signing.parse_vkey(cp["vkey"])
    assert vkey.name == origin and vkey.sig_type == signing.SIG_ED25519
    assert [name for name, _ in sigs] == [origin]
    raw = sigs[0][1]
    assert raw[:4] == vkey.key_id == bytes.fromhex(cp["key_id"])
    assert signing.verify_signature(vkey.public_raw, raw[4:], body)


def test_every_checkpoint_is_public_with_a_consistency_proof_from_the_one_before(
    small_ledger, accounts, client
):
    """Does /checkpoints list every checkpoint, oldest first, each proven (RFC 6962) to extend the
    checkpoint before it, and page through them?"""
    for i in range(3):
        _gift(accounts, 100 + i, f"more:{i}")
    data = client.get("/api/v1/ledger/checkpoints").get_json()
    cps = data["checkpoints"]
    assert [c["tree_size"] for c in cps] == [6, 7, 8, 9]
    assert cps[0]["consistency"] is None
    for before, after in zip(cps, cps[1:], strict=False):
        c = after["consistency"]
        assert (c["from"], c["to"], c["from_id"]) == (before["tree_size"], after["tree_size"], before["id"])
        assert merkle.verify_consistency(
            c["from"],
            c["to"],
            bytes.fromhex(before["root_hash"]),
            bytes.fromhex(after["root_hash"]),
            [bytes.fromhex(h) for h in c["proof"]],
        )
    page = client.get(f"/api/v1/ledger/checkpoints?after={cps[1]['id']}&limit=1").get_json()
    assert [c["tree_size"] for c in page["checkpoints"]] == [8]
    assert page["checkpoints"][0]["consistency"]["from"] == 7 and page["next_after"] == cps[2]["id"]
    assert client.get("/api/v1/ledger/checkpoints?limit=0").status_code == 400


def test_a_witness_cosigns_and_the_fund_publishes_it(
    small_ledger, accounts, client, witness_tool, witness_key, tmp_path
):
    """Does the witness cosign the latest checkpoint, hand it in, and does the fund publish the
    cosignature in the note, where the verifier can require it?"""
    key_path, vkey, _ = witness_key
    state = tmp_path / "state.json"
    code, out, err = _cosign(witness_tool, client, key_path, state)
    assert code == 0, err
    assert "accepted 1 new cosignature" in out
    cp = client.get("/api/v1/ledger/checkpoint").get_json()
    assert [c["witness"] for c in cp["cosignatures"]] == [WITNESS_NAME]
    assert cp["note"].count("\u2014 ") == 2
    verifier = _load("verify_ledger")
    assert verifier.cosigned_by(cp, vkey)
    assert not verifier.cosigned_by(dict(cp, tree_size=5), vkey)
    saved = json.loads(state.read_text())
    assert (saved["tree_size"], saved["witness_name"]) == (6, WITNESS_NAME)
    # the ledger grows: the witness checks consistency from 6 and cosigns again
    _gift(accounts, 250, "more:w")
    code, out, err = _cosign(witness_tool, client, key_path, state)
    assert code == 0, err
    assert json.loads(state.read_text())["tree_size"] == 7
    # the same cosignature handed in twice is kept once
    code, out, err = _cosign(witness_tool, client, key_path, state)
    assert code == 0 and "accepted 0 new" in out


def test_the_verifier_requires_the_witnesses_it_is_given(
    small_ledger, client, witness_tool, witness_key, tmp_path
):
    """Does tools/verify_ledger.py refuse a checkpoint without the cosignature of a required
    witness and accept it once the witness has cosigned?"""
    verifier = _load("verify_ledger")
    _, vkey, _ = witness_key
    export = _export_via_api(client)
    out = io.StringIO()
    assert verifier.check(export, witnesses=[vkey], out=out).failures == 1
    assert "0 of the required 1" in out.getvalue()
    key_path, _, _ = witness_key
    assert _cosign(witness_tool, client, key_path, tmp_path / "s.json")[0] == 0
    export = _export_via_api(client)
    out = io.StringIO()
    assert verifier.check(export, witnesses=[vkey], out=out).failures == 0, out.getvalue()


def test_the_fund_refuses_cosignatures_it_cannot_check(small_ledger, client, witness_key, witness_tool):
    """Are a note from an unknown witness, a forged cosignature, a checkpoint the fund never
    signed, garbage and a cosignature dated in the future all refused (422/400), keeping nothing?"""
    from fundapp.ledger.models import Cosignature

    _, _, key = witness_key
    cp = client.get("/api/v1/ledger/checkpoint").get_json()
    body = cp["message"].encode()
    import time

    now = int(time.time())

    def post(note):
        return client.post("/api/v1/ledger/cosignatures", data=note.encode(), content_type="text/plain")

    stranger = Ed25519PrivateKey.generate()
    r = post(cp["note"] + witness_tool.cosign(body, "stranger.example/w", stranger, now))
    assert r.status_code == 422 and "no cosignature from a witness" in r.get_json()["error"]
    good = witness_tool.cosign(body, WITNESS_NAME, key, now)
    raw = bytearray(base64.b64decode(good.split(" ")[2]))
    raw[-1] ^= 1
    forged = f"\u2014 {WITNESS_NAME} {base64.b64encode(bytes(raw)).decode()}\n"
    r = post(cp["note"] + forged)
    assert r.status_code == 422 and "does not verify" in r.get_json()["error"]
    other_root = base64.b64encode(b"\x01" * 32).decode()
    fake_body = f"{cp['origin']}\n6\n{other_root}\n".encode()
    r = post(fake_body.decode() + "\n" + witness_tool.cosign(fake_body, WITNESS_NAME, key, now))
    assert r.status_code == 422 and "never signed" in r.get_json()["error"]
    r = post(cp["note"] + witness_tool.cosign(body, WITNESS_NAME, key, now + 3600))
    assert r.status_code == 422 and "future" in r.get_json()["error"]
    assert post("hello").status_code == 422
    assert (
        client.post("/api/v1/ledger/cosignatures", data=b"\xff\xfe", content_type="text/plain").status_code
        == 400
    )
    assert db.session.query(Cosignature).count() == 0


def _export_via_api(client) -> dict:
    cp = client.get("/api/v1/ledger/checkpoint").get_json()
    entries = client.get("/api/v1/ledger/entries?limit=1000").get_json()["entries"]
    return {
        "source": "test",
        "public_key": cp["public_key"],
        "checkpoint": cp,
        "checkpoints": [cp],
        "entries": [e for e in entries if e["seq"] <= cp["tree_size"]],
        "balances": client.get("/api/v1/ledger/balances").get_json()["balances"],
    }


def _insider_rewrites_history(accounts) -> None:
    """What the audit did with database access and the fund's key: change an old entry's amount
    (legs and balances kept in agreement), recompute its leaf, rebuild every tree node, delete the
    old checkpoints and cosignatures, and sign a fresh checkpoint with the fund's own key."""
    from fundapp.ledger import public as records

    e1 = db.session.scalar(text("SELECT id FROM ledger_entries WHERE sequence = 1"))
    bypass_triggers(
        [
            f"UPDATE ledger_legs SET amount_minor = 4000 WHERE entry_id = {e1}",
            "UPDATE ledger_balances SET debits_minor = debits_minor - 1000, "
            "balance_minor = balance_minor - 1000 "
            f"WHERE account_id = {accounts['stripe'].id}",
            "UPDATE ledger_balances SET credits_minor = credits_minor - 1000, "
            "balance_minor = balance_minor - 1000 "
            f"WHERE account_id = {accounts['p1'].id}",
        ]
    )
    entries = list(records.iter_entries())
    tool = _load("verify_ledger")
    leaves = [tool.leaf_hash(tool.encode_entry(e)) for e in entries]
    levels = merkle.levels_from_leaves(leaves)
    statements = [
        "DELETE FROM ledger_cosignatures",
        "DELETE FROM ledger_checkpoints",
        "DELETE FROM ledger_merkle_nodes",
    ]
    statements += [
        f"UPDATE ledger_entries SET leaf_hash = {_hex_literal(leaf)} WHERE sequence = {i + 1}"
        for i, leaf in enumerate(leaves)
    ]
    statements += [
        f"INSERT INTO ledger_merkle_nodes (level, idx, hash) VALUES ({lvl}, {i}, {_hex_literal(h)})"
        for lvl in range(1, len(levels))
        for i, h in enumerate(levels[lvl])
    ]
    bypass_triggers(statements)
    sealing.make_checkpoint(force=True)
    db.session.commit()


def _hex_literal(raw: bytes) -> str:
    if db.session.get_bind().dialect.name == "postgresql":
        return f"'\\x{raw.hex()}'::bytea"
    return f"X'{raw.hex()}'"


def test_the_insider_who_rewrites_and_resigns_is_caught(
    small_ledger, accounts, client, runner, witness_tool, verifier_tool, witness_key, tmp_path
):
    """With database access and the fund's key, an insider rewrites an old entry, rebuilds the
    tree, deletes the old checkpoints and re-signs: the fund's own checks pass, but a witness
    refuses to cosign, a verifier that pinned an earlier checkpoint says NOT VERIFIED, and a
    backer's saved receipt proof no longer matches the books."""
    key_path, vkey, _ = witness_key
    state = tmp_path / "witness.json"
    assert _cosign(witness_tool, client, key_path, state)[0] == 0
    verifier_state = tmp_path / "verifier.json"
    export = tmp_path / "before.json"
    export.write_text(json.dumps(_export_with_format(client)))
    assert verifier_tool.main([str(export), "--state", str(verifier_state)]) == 0
    receipt = tmp_path / "receipt.json"
    response = client.get("/api/v1/ledger/entries/1/receipt-proof.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    receipt.write_bytes(response.data)
    assert verifier_tool.main(["--receipt", str(receipt)]) == 0

    _insider_rewrites_history(accounts)

    # the books agree with themselves: nothing inside the fund notices
    assert runner.invoke(args=["ledger", "verify", "--no-seal"]).exit_code == 0
    after = tmp_path / "after.json"
    after.write_text(json.dumps(_export_with_format(client)))
    assert verifier_tool.main([str(after)]) == 0  # a fresh verifier, without memory, is fooled
    # ... but the witness refuses, loudly, and keeps its memory
    code, out, err = _cosign(witness_tool, client, key_path, state)
    assert code == 2 and "REFUSED" in err and "SPLIT VIEW" in err
    assert json.loads(state.read_text())["tree_size"] == 6
    # ... the verifier that verified before says NOT VERIFIED
    assert verifier_tool.main([str(after), "--state", str(verifier_state)]) == 1
    # ... a reader who requires the witness finds no cosignature on the new checkpoint
    assert verifier_tool.main([str(after), "--witness", vkey]) == 1
    # ... and the backer's receipt proof no longer matches the books
    assert verifier_tool.main(["--receipt", str(receipt)]) == 0  # still a valid proof of the past
    out = io.StringIO()
    data = json.loads(after.read_text())
    result = verifier_tool.check(data, receipt=json.loads(receipt.read_text()), out=out)
    assert result.failures == 1 and "NOT the one on your receipt" in out.getvalue()


def test_a_grown_rewritten_history_is_inconsistent_for_the_witness(
    small_ledger, accounts, client, witness_tool, witness_key, tmp_path
):
    """If the rewritten history is also longer than what the witness cosigned, does the witness
    refuse because no consistency proof links the two (instead of cosigning the larger tree)?"""
    key_path, _, _ = witness_key
    state = tmp_path / "witness.json"
    assert _cosign(witness_tool, client, key_path, state)[0] == 0
    _insider_rewrites_history(accounts)
    _gift(accounts, 321, "after-rewrite")
    code, _, err = _cosign(witness_tool, client, key_path, state)
    assert code == 2 and "INCONSISTENT" in err


def test_a_split_view_is_caught_by_the_witness(small_ledger, client, witness_tool, witness_key, tmp_path):
    """Two checkpoints of the same size with different roots, both signed with the fund's key
    (one shown to each reader): does the witness cosign the first and refuse the second?"""
    key_path, _, _ = witness_key
    cp = client.get("/api/v1/ledger/checkpoint").get_json()
    fund_key = signing.load_private_key()
    origin = cp["origin"]

    def signed_note(root: bytes) -> str:
        body = signing.checkpoint_body(origin, cp["tree_size"], root)
        kid = signing.note_key_id(origin, signing.SIG_ED25519, signing.public_bytes(fund_key.public_key()))
        return body.decode() + "\n" + signing.signature_line(origin, kid, fund_key.sign(body))

    view_a = tmp_path / "a.txt"
    view_b = tmp_path / "b.txt"
    view_a.write_text(signed_note(bytes.fromhex(cp["root_hash"])))
    view_b.write_text(signed_note(b"\x07" * 32))
    state = tmp_path / "witness.json"
    common = ("--note", None, "--log-key", cp["vkey"], "--no-submit")
    code, out, err = _cosign(witness_tool, client, key_path, state, *_with(common, str(view_a)))
    assert code == 0, err
    code, out, err = _cosign(witness_tool, client, key_path, state, *_with(common, str(view_b)))
    assert code == 2 and "SPLIT VIEW" in err
    # a checkpoint signed by another key is refused too
    code, _, err = _cosign(
        witness_tool,
        client,
        key_path,
        state,
        "--note",
        str(view_a),
        "--log-key",
        signing.vkey(origin, 1, b"\x02" * 32),
        "--no-submit",
    )
    assert code == 2 and "REFUSED" in err


def _with(common, path):
    return tuple(path if v is None else v for v in common)


def test_a_rollback_is_refused(small_ledger, client, witness_tool, witness_key, tmp_path):
    """Is a checkpoint smaller than the one the witness cosigned refused as a rollback?"""
    key_path, _, _ = witness_key
    state = tmp_path / "witness.json"
    assert _cosign(witness_tool, client, key_path, state)[0] == 0
    saved = json.loads(state.read_text())
    saved["tree_size"] = 9
    state.write_text(json.dumps(saved))
    code, _, err = _cosign(witness_tool, client, key_path, state)
    assert code == 2 and "ROLLBACK" in err


def _export_with_format(client) -> dict:
    return dict(_export_via_api(client), format="hamvatan-fund-ledger-export/v1")


def test_the_witness_runs_against_a_live_site(small_ledger, live_server, witness_tool, witness_key, tmp_path):
    """Does `tools/witness.py cosign URL` fetch, check, cosign and hand in over plain HTTP?"""
    key_path, _, _ = witness_key
    state = tmp_path / "state.json"
    code = witness_tool.main(
        ["cosign", live_server, "--key", str(key_path), "--state", str(state), "--name", WITNESS_NAME]
    )
    assert code == 0
    assert json.loads(state.read_text())["tree_size"] == 6
