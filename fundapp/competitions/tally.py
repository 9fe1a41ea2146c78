"""The tally's public record: canonical leaves, commitments, receipts, the signed checkpoint and
the recount — using the ledger's RFC 6962 Merkle code (``fundapp.ledger.merkle``), canonical JSON
(``fundapp.ledger.encoding``) and Ed25519 key (``fundapp.ledger.signing``).

A leaf is the canonical JSON (sorted keys, ASCII, no spaces) of a vote — ``{"category", "commitment",
"edition", "kind": "vote", "nomination", "seq", "v"}`` — or of a juror's final scorecard —
``{"edition", "juror", "justifications", "kind": "score", "nomination", "scores", "seq", "v"}``.
A vote's commitment is ``SHA-256("hamvatan-fund-vote/v1|<edition>|<category>|<nomination>|<nonce>")``;
the nonce (32 random bytes, hex) is given to the voter in their receipt and kept nowhere else, so
the tally says what was chosen, the ballots table says who voted, and nothing joins the two except
the voter's own receipt.

The checkpoint signs::

    hamvatan-fund-competition-tally/v1
    <edition id>
    <tree size>
    <root hash, hex>
    <SHA-256 of the canonical edition header, hex>
    <SHA-256 of the canonical results, hex>
    <signed at>
"""

from __future__ import annotations

import hashlib
import json
import secrets

from fundapp.ledger import merkle, signing
from fundapp.ledger.encoding import encode_fields

from . import scoring

HEADER = "hamvatan-fund-competition-tally/v1"
FORMAT = HEADER
VERSION = 1


def canonical(fields: dict) -> bytes:
    return encode_fields(fields)


def leaf_hex(payload: str) -> str:
    return merkle.leaf_hash(payload.encode("ascii")).hex()


def new_nonce() -> str:
    return secrets.token_hex(32)


def commitment(edition_id: int, category_id: int, nomination_id: int, nonce: str) -> str:
    text = f"hamvatan-fund-vote/v1|{int(edition_id)}|{int(category_id)}|{int(nomination_id)}|{nonce}"
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def vote_payload(*, edition_id: int, seq: int, category_id: int, nomination_id: int, commit: str) -> str:
    return canonical(
        {
            "category": int(category_id),
            "commitment": commit,
            "edition": int(edition_id),
            "kind": "vote",
            "nomination": int(nomination_id),
            "seq": int(seq),
            "v": VERSION,
        }
    ).decode("ascii")


def score_payload(*, edition_id: int, seq: int, juror: str, nomination_id: int, scores: dict) -> str:
    return canonical(
        {
            "edition": int(edition_id),
            "juror": juror,
            "justifications": {str(c): v["justification"] for c, v in scores.items()},
            "kind": "score",
            "nomination": int(nomination_id),
            "scores": {str(c): int(v["score"]) for c, v in scores.items()},
            "seq": int(seq),
            "v": VERSION,
        }
    ).decode("ascii")


def sha_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checkpoint_message(
    edition_id: int, tree_size: int, root_hex: str, header_hex: str, results_hex: str, signed_at: str
) -> bytes:
    return (
        f"{HEADER}\n{int(edition_id)}\n{int(tree_size)}\n{root_hex}\n{header_hex}\n{results_hex}\n{signed_at}\n"
    ).encode("ascii")


def sign(message: bytes) -> tuple[str, str]:
    """(signature hex, public key hex) with the ledger's checkpoint key."""
    key = signing.load_private_key()
    return key.sign(message).hex(), signing.public_bytes(key.public_key()).hex()


def results_from(header: dict, payloads: list[dict]) -> dict:
    """Recount: the results that the header's rules give for these leaves."""
    return scoring.compute(
        scale_max=header["scale_max"],
        jury_weight=header["jury_weight"],
        public_weight=header["public_weight"],
        weights={str(k): int(v) for k, v in header["weights"].items()},
        nominations=header["nominations"],
        scorecards=[p for p in payloads if p["kind"] == "score"],
        votes=[p for p in payloads if p["kind"] == "vote"],
    )


def verify_document(doc: dict) -> list[str]:
    """Everything a downloaded tally must satisfy; the list of what fails (empty: all holds)."""
    problems = []
    if doc.get("format") != FORMAT:
        return ["unknown format"]
    entries = doc["entries"]
    leaves = []
    payloads = []
    for i, entry in enumerate(entries):
        payload = entry["payload"]
        data = json.loads(payload)
        if entry["seq"] != i or data.get("seq") != i:
            problems.append(f"entry {i}: sequence is not gapless")
        if canonical(data).decode("ascii") != payload:
            problems.append(f"entry {i}: payload is not in canonical form")
        if leaf_hex(payload) != entry["leaf_hash"]:
            problems.append(f"entry {i}: leaf hash does not match its payload")
        leaves.append(merkle.leaf_hash(payload.encode("ascii")))
        payloads.append(data)
    cp = doc["checkpoint"]
    root = merkle.root_from_leaves(leaves).hex()
    if cp["tree_size"] != len(entries):
        problems.append("checkpoint size differs from the number of entries")
    if cp["root_hash"] != root:
        problems.append("root of the entries differs from the signed root")
    header_hex = sha_hex(canonical(doc["edition"]))
    results_hex = sha_hex(canonical(doc["results"]))
    message = checkpoint_message(
        doc["edition"]["id"], cp["tree_size"], cp["root_hash"], header_hex, results_hex, cp["signed_at"]
    )
    if not signing.verify_signature(bytes.fromhex(cp["public_key"]), bytes.fromhex(cp["signature"]), message):
        problems.append("checkpoint signature does not verify")
    if results_from(doc["edition"], payloads) != doc["results"]:
        problems.append("recounting the entries does not give the published results")
    return problems


def verify_receipt(doc: dict, *, seq: int, nonce: str) -> bool:
    """Was the vote behind this receipt counted, under the signed root? Uses only the public
    tally and what the voter holds."""
    entries = doc["entries"]
    if not 0 <= seq < len(entries):
        return False
    entry = entries[seq]
    data = json.loads(entry["payload"])
    if data.get("kind") != "vote":
        return False
    if commitment(data["edition"], data["category"], data["nomination"], nonce) != data["commitment"]:
        return False
    tree = merkle.MemoryTree([bytes.fromhex(e["leaf_hash"]) for e in entries])
    proof = tree.inclusion_proof(seq, len(entries))
    leaf = merkle.leaf_hash(entry["payload"].encode("ascii"))
    return merkle.verify_inclusion(
        leaf, seq, doc["checkpoint"]["tree_size"], proof, bytes.fromhex(doc["checkpoint"]["root_hash"])
    )
