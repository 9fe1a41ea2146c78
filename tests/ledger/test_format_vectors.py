"""docs/LEDGER_FORMAT.md's test vectors: the fund's code, the verifier and the witness all
reproduce them byte for byte, and the document shows the same values."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fundapp.ledger import encoding, merkle, signing

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "docs" / "ledger-test-vectors.json").read_text(encoding="utf-8"))


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_vectors", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _key(seed_text: str) -> tuple[Ed25519PrivateKey, bytes]:
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed_text.encode()).digest())
    return key, key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_entries_encode_and_hash_as_the_vectors_say():
    """Do the fund's encoder and the verifier's produce each vector's bytes and leaf hash?"""
    verifier = _tool("verify_ledger")
    for v in VECTORS["entries"]:
        e = v["entry"]
        ours = encoding.encode_entry(
            e["seq"],
            e["kind"],
            e["posted_at"],
            e["memo"],
            e["backer"],
            e["reverses"],
            [tuple(x) for x in e["legs"]],
        )
        shuffled = dict(e, legs=list(reversed(e["legs"])))  # the order legs arrive in never matters
        assert ours.decode() == v["encoded"] == verifier.encode_entry(shuffled).decode()
        assert merkle.leaf_hash(ours).hex() == v["leaf_hash"] == verifier.leaf_hash(ours).hex()


def test_roots_and_proofs_match_the_vectors():
    """Are the roots of every prefix, the inclusion proof and the consistency proof the vectors'
    ones, and do both implementations verify them?"""
    verifier = _tool("verify_ledger")
    leaves = [bytes.fromhex(v["leaf_hash"]) for v in VECTORS["entries"]]
    tree = merkle.MemoryTree(leaves)
    levels = verifier.levels_of(leaves)
    for n, root in VECTORS["roots"].items():
        assert tree.root(int(n)).hex() == root == verifier.root_at(levels, int(n)).hex()
    inc = VECTORS["inclusion_proof"]
    proof = [bytes.fromhex(h) for h in inc["proof"]]
    assert tree.inclusion_proof(inc["leaf_index"], inc["tree_size"]) == proof
    root5 = bytes.fromhex(VECTORS["roots"]["5"])
    assert verifier.verify_inclusion(leaves[inc["leaf_index"]], inc["leaf_index"], 5, proof, root5)
    assert not verifier.verify_inclusion(leaves[1], inc["leaf_index"], 5, proof, root5)
    con = VECTORS["consistency_proof"]
    proof = [bytes.fromhex(h) for h in con["proof"]]
    assert tree.consistency_proof(con["from"], con["to"]) == proof
    root3 = bytes.fromhex(VECTORS["roots"]["3"])
    assert verifier.verify_consistency(3, 5, root3, root5, proof)
    assert _tool("witness").verify_consistency(3, 5, root3, root5, proof)
    assert not verifier.verify_consistency(3, 5, bytes.fromhex(VECTORS["roots"]["2"]), root5, proof)


def test_the_checkpoint_and_cosignature_match_the_vectors():
    """Does the vector checkpoint come out of the fund's note code with the vector key, and does
    the witness reproduce the vector cosignature, which the verifier accepts?"""
    lk, cp, wk, cs = VECTORS["log_key"], VECTORS["checkpoint"], VECTORS["witness_key"], VECTORS["cosignature"]
    key, pub = _key(lk["seed_text"])
    assert pub.hex() == lk["public_key"]
    assert signing.vkey(lk["name"], signing.SIG_ED25519, pub) == lk["vkey"]
    assert signing.note_key_id(lk["name"], signing.SIG_ED25519, pub).hex() == lk["key_id"]
    body = signing.checkpoint_body(cp["origin"], cp["tree_size"], bytes.fromhex(cp["root_hash"]))
    assert body.decode() == cp["body"]
    assert key.sign(body).hex() == cp["signature"]
    kid = bytes.fromhex(lk["key_id"])
    assert body.decode() + "\n" + signing.signature_line(lk["name"], kid, key.sign(body)) == cp["note"]
    witness = _tool("witness")
    witness.check_log_signature(*witness.split_note(cp["note"]), lk["vkey"])
    wkey, wpub = _key(wk["seed_text"])
    assert witness.make_vkey(wk["name"], 4, wpub) == wk["vkey"]
    assert witness.cosign(body, wk["name"], wkey, cs["timestamp"]) == cs["line"]
    assert cp["note"] + cs["line"] == cs["cosigned_note"]
    verifier = _tool("verify_ledger")
    record = {
        "origin": cp["origin"],
        "tree_size": cp["tree_size"],
        "root_hash": cp["root_hash"],
        "signature": cp["signature"],
        "note": cs["cosigned_note"],
    }
    assert verifier.signature_ok(record, lk["public_key"])
    assert verifier.cosigned_by(record, wk["vkey"])
    assert signing.verify_cosignature(
        signing.parse_vkey(wk["vkey"]), body, base64.b64decode(cs["line"].split()[2])
    )


def test_the_document_shows_the_vectors():
    """Does docs/LEDGER_FORMAT.md print the same encodings, hashes, roots, keys and notes?"""
    doc = (ROOT / "docs" / "LEDGER_FORMAT.md").read_text(encoding="utf-8")
    for v in VECTORS["entries"]:
        assert v["encoded"] in doc and v["leaf_hash"] in doc
    for root in VECTORS["roots"].values():
        assert root in doc
    for h in VECTORS["inclusion_proof"]["proof"] + VECTORS["consistency_proof"]["proof"]:
        assert h in doc
    assert VECTORS["checkpoint"]["note"] in doc and VECTORS["cosignature"]["cosigned_note"] in doc
    assert VECTORS["log_key"]["vkey"] in doc and VECTORS["witness_key"]["vkey"] in doc
