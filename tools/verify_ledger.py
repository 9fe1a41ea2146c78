#!/usr/bin/env python3
"""Verify the Hamvatan Fund's public ledger without trusting the fund's servers.

Needs only the Python standard library and the ``cryptography`` package (for Ed25519).

    python tools/verify_ledger.py https://fund.example.org            # fetch over the API
    python tools/verify_ledger.py ledger-export.json                  # `flask ledger export FILE`
    python tools/verify_ledger.py SOURCE --state ~/.hamvatan.json     # pin key and checkpoint
    python tools/verify_ledger.py SOURCE --witness <vkey> [--witness <vkey>] [--min-witnesses N]
    python tools/verify_ledger.py SOURCE --known-checkpoint old.json  # one you saved earlier
    python tools/verify_ledger.py SOURCE --save-checkpoint new.json   # keep this one for next time
    python tools/verify_ledger.py SOURCE --public-key <hex>           # pin the fund's key
    python tools/verify_ledger.py --receipt my-receipt-proof.json     # a backer's proof, offline
    python tools/verify_ledger.py SOURCE --receipt my-receipt-proof.json  # ... and still in the books

What it checks, from the entries alone:
  * each entry re-encodes (canonical JSON v1) to its published leaf hash, and balances per currency;
  * the sequence numbers run 1, 2, 3, … with no gap, repeat or reordering;
  * the RFC 6962 Merkle root over the entries equals the root in every signed checkpoint given,
    and each checkpoint's Ed25519 signature (a C2SP signed note) is valid;
  * with ``--state FILE``: the first run pins the fund's key and the checkpoint it verified; later
    runs refuse another key and a history that does not extend that checkpoint;
  * with ``--witness``: the latest checkpoint carries valid C2SP cosignatures from those witnesses
    (all of them, or ``--min-witnesses``), who each checked it extends what they saw before;
  * a checkpoint you saved earlier (``--known-checkpoint``) is a prefix of today's history: the
    fund cannot rewrite the past and re-sign it without this failing;
  * a receipt proof (``--receipt``): the entry hashes to its leaf, the leaf is in the signed tree,
    and (with a SOURCE) today's ledger still holds that very entry under a consistent history;
  * the published account balances equal the sums of the entries' legs, and debits equal credits.

The formats are specified in docs/LEDGER_FORMAT.md. Exit status 0 only if everything holds.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import struct
import sys
import urllib.parse
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CHECKPOINT_HEADER = "hamvatan-fund-ledger-checkpoint/v1"
RECEIPT_FORMAT = "hamvatan-fund-receipt-proof/v1"
EM_DASH = "\u2014"
CANONICAL_KEYS = ("backer", "kind", "legs", "memo", "posted_at", "reverses", "seq", "v")
DEBIT_NORMAL = {"asset", "expense"}


# -- RFC 6962 --------------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def levels_of(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        cur = levels[-1]
        levels.append([node_hash(a, b) for a, b in zip(cur[0::2], cur[1::2], strict=False)])
    return levels


def root_at(levels: list[list[bytes]], size: int) -> bytes:
    """MTH of the first ``size`` leaves, from the complete subtrees in ``levels``."""

    def mth(start: int, n: int) -> bytes:
        if n == 0:
            return hashlib.sha256(b"").digest()
        if n & (n - 1) == 0:
            level = n.bit_length() - 1
            return levels[level][start >> level]
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(mth(start, k), mth(start + k, n - k))

    return mth(0, size)


def verify_inclusion(leaf: bytes, index: int, size: int, proof, root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size, new_size, old_root, new_root, proof) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if old_size > new_size or not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


# -- the fund's formats ----------------------------------------------------------------------------


def encode_entry(entry: dict) -> bytes:
    """Canonical JSON v1: sorted keys, no whitespace, ASCII with \\u escapes, legs sorted."""
    fields = {k: entry.get(k) for k in CANONICAL_KEYS}
    fields["legs"] = sorted(list(leg) for leg in fields["legs"] or [])
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def checkpoint_message(cp: dict) -> bytes:
    """What the fund's signature covers: the C2SP checkpoint note text, or (checkpoints signed
    before the note format, without an origin) the older plain statement."""
    if cp.get("origin"):
        root = base64.b64encode(bytes.fromhex(cp["root_hash"])).decode()
        return f"{cp['origin']}\n{int(cp['tree_size'])}\n{root}\n".encode()
    return f"{CHECKPOINT_HEADER}\n{int(cp['tree_size'])}\n{cp['root_hash']}\n{cp['signed_at']}\n".encode()


def ed25519_ok(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def signature_ok(cp: dict, public_key_hex: str) -> bool:
    try:
        return ed25519_ok(
            bytes.fromhex(public_key_hex), bytes.fromhex(cp["signature"]), checkpoint_message(cp)
        )
    except (ValueError, KeyError, TypeError):
        return False


def note_key_id(name: str, sig_type: int, public_raw: bytes) -> bytes:
    """C2SP signed-note key id: SHA-256(name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_raw).digest()[:4]


def parse_vkey(text: str) -> tuple[str, bytes, int, bytes]:
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not parts[0]:
        raise ValueError(f"not a verifier key: {text!r}")
    raw = base64.b64decode(parts[2], validate=True)
    kid = bytes.fromhex(parts[1])
    if len(raw) != 33 or kid != note_key_id(parts[0], raw[0], raw[1:]):
        raise ValueError(f"not a valid Ed25519 verifier key: {text!r}")
    return parts[0], kid, raw[0], raw[1:]


def note_signatures(note: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    text, _, sigs = note.rpartition("\n\n")
    out = []
    for line in sigs.split("\n"):
        prefix, _, rest = line.partition(" ")
        name, _, b64 = rest.partition(" ")
        if prefix == EM_DASH and name and b64:
            try:
                out.append((name, base64.b64decode(b64, validate=True)))
            except ValueError:
                continue
    return (text + "\n").encode(), out


def cosigned_by(cp: dict, witness_vkey: str) -> bool:
    """Does the checkpoint's note carry a valid C2SP tlog-cosignature (type 0x04) by this witness,
    over exactly this checkpoint?"""
    name, kid, sig_type, pub = parse_vkey(witness_vkey)
    if sig_type != 0x04 or not cp.get("note"):
        return False
    body, signatures = note_signatures(cp["note"])
    if body != checkpoint_message(cp):
        return False
    for n, raw in signatures:
        if n == name and raw[:4] == kid and len(raw) == 76:
            (timestamp,) = struct.unpack(">Q", raw[4:12])
            message = f"cosignature/v1\ntime {timestamp}\n".encode() + body
            if ed25519_ok(pub, raw[12:], message):
                return True
    return False


# -- loading ---------------------------------------------------------------------------------------


def _get_json(url: str):
    req = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - the user chose the URL
        return json.loads(resp.read().decode("utf-8"))


def load_from_url(base: str) -> dict:
    base = base.rstrip("/")
    api = base + "/api/v1/ledger"
    cp = _get_json(api + "/checkpoint")
    entries, after = [], 0
    while after < cp["tree_size"]:
        page = _get_json(f"{api}/entries?" + urllib.parse.urlencode({"after": after, "limit": 1000}))
        chunk = [e for e in page["entries"] if e["seq"] <= cp["tree_size"]]
        if not chunk:
            break
        entries.extend(chunk)
        after = chunk[-1]["seq"]
    balances = _get_json(api + "/balances")
    return {
        "source": base,
        "public_key": cp["public_key"],
        "checkpoint": cp,
        "checkpoints": [cp],
        "entries": entries,
        "balances": balances["balances"],
        "balances_tree_size": balances.get("tree_size"),
    }


def load(source: str) -> dict:
    if source.startswith(("http://", "https://")):
        return load_from_url(source)
    with open(source, encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("format") != "hamvatan-fund-ledger-export/v1":
        raise SystemExit(f"{source}: not a Hamvatan Fund ledger export")
    data["source"] = source
    return data


# -- checking --------------------------------------------------------------------------------------


class Result:
    def __init__(self, out):
        self.out = out
        self.failures = 0

    def ok(self, message: str) -> None:
        print(f"OK    {message}", file=self.out)

    def fail(self, message: str) -> None:
        self.failures += 1
        print(f"FAIL  {message}", file=self.out)

    def note(self, message: str) -> None:
        print(f"      {message}", file=self.out)


def check_receipt(receipt: dict, r: Result, *, pinned_key: str | None = None) -> bytes | None:
    """The offline half of a receipt proof: its entry hashes to its leaf, the leaf is included in
    the tree of its checkpoint, and the checkpoint is signed (by the pinned key, if given).
    Returns the leaf hash when all of it holds."""
    if receipt.get("format") != RECEIPT_FORMAT:
        r.fail("not a Hamvatan Fund receipt proof")
        return None
    entry, cp = receipt.get("entry") or {}, receipt.get("checkpoint") or {}
    label = f"receipt for entry {entry.get('seq')}"
    key = pinned_key or cp.get("public_key") or ""
    if pinned_key and cp.get("public_key") != pinned_key:
        r.fail(f"{label}: its checkpoint is signed with a different key than the one you pinned")
        return None
    if not signature_ok(cp, key):
        r.fail(f"{label}: the checkpoint's signature is NOT valid")
        return None
    leaf = leaf_hash(encode_entry(entry))
    if leaf.hex() != receipt.get("leaf_hash") or leaf.hex() != entry.get("leaf_hash", leaf.hex()):
        r.fail(f"{label}: the entry does not hash to the receipt's leaf hash")
        return None
    try:
        proof = [bytes.fromhex(h) for h in receipt.get("inclusion_proof") or []]
        included = verify_inclusion(
            leaf, int(receipt["leaf_index"]), int(cp["tree_size"]), proof, bytes.fromhex(cp["root_hash"])
        )
    except (KeyError, ValueError, TypeError):
        included = False
    if not included or receipt.get("leaf_index") != entry.get("seq", 0) - 1:
        r.fail(f"{label}: the inclusion proof does NOT place the entry in the signed tree")
        return None
    r.ok(f"{label}: included in the signed tree of size {cp['tree_size']} (root {cp['root_hash'][:16]}…)")
    return leaf


def check(
    data: dict,
    *,
    known: dict | None = None,
    pinned_key: str | None = None,
    witnesses: list[str] | tuple[str, ...] = (),
    min_witnesses: int | None = None,
    receipt: dict | None = None,
    out=sys.stdout,
) -> Result:
    r = Result(out)
    entries = data.get("entries") or []
    cp = data.get("checkpoint")
    key = pinned_key or data.get("public_key") or (cp or {}).get("public_key")
    if pinned_key and data.get("public_key") and data["public_key"] != pinned_key:
        r.fail("the ledger is signed with a different key than the one you pinned")

    # 1. entries: sequence, encoding, balance
    leaves: list[bytes] = []
    seq_problems = bad_hash = unbalanced = 0
    totals: dict[tuple[str, str], list[int]] = {}
    for position, entry in enumerate(entries, start=1):
        if entry.get("seq") != position:
            seq_problems += 1
            if seq_problems <= 10:
                r.fail(
                    f"entry at position {position} has sequence {entry.get('seq')}: "
                    "an entry was deleted, inserted or moved"
                )
        if entry.get("v") != 1:
            r.fail(f"entry {entry.get('seq')}: unknown encoding version {entry.get('v')!r}")
        leaf = leaf_hash(encode_entry(entry))
        leaves.append(leaf)
        if "leaf_hash" in entry and entry["leaf_hash"] != leaf.hex():
            bad_hash += 1
            if bad_hash <= 10:
                r.fail(f"entry {entry.get('seq')}: its contents do not match its published leaf hash")
        per_currency: dict[str, int] = {}
        for direction, code, currency, amount in entry.get("legs") or []:
            if type(amount) is not int or amount <= 0 or direction not in ("D", "C"):
                r.fail(f"entry {entry.get('seq')}: a leg is malformed")
                continue
            sign = 1 if direction == "D" else -1
            per_currency[currency] = per_currency.get(currency, 0) + sign * amount
            t = totals.setdefault((code, currency), [0, 0])
            t[0 if direction == "D" else 1] += amount
        if any(per_currency.values()) or len(entry.get("legs") or []) < 2:
            unbalanced += 1
            if unbalanced <= 10:
                r.fail(f"entry {entry.get('seq')}: its legs do not balance")
    if not seq_problems:
        r.ok(f"{len(entries)} entries, numbered 1..{len(entries)} without gaps or reordering")
    if not bad_hash:
        r.ok("every entry matches its published leaf hash")
    if not unbalanced:
        r.ok("every entry balances per currency")

    levels = levels_of(leaves) if leaves else [[]]

    # 2. signed checkpoints
    checkpoints = list(data.get("checkpoints") or ([cp] if cp else []))
    if cp and cp not in checkpoints:
        checkpoints.append(cp)
    if not checkpoints:
        r.fail("no signed checkpoint to check against")
    for c in checkpoints:
        label = f"checkpoint of size {c['tree_size']} signed {c['signed_at']}"
        if not key or not signature_ok(c, key):
            r.fail(f"{label}: the signature is NOT valid for the fund's key")
            continue
        if c["tree_size"] > len(leaves):
            r.fail(f"{label}: covers more entries than were supplied ({len(leaves)})")
            continue
        if root_at(levels, c["tree_size"]).hex() != c["root_hash"]:
            r.fail(f"{label}: the entries do NOT produce its root hash")
        else:
            r.ok(f"{label}: signature valid, root {c['root_hash'][:16]}… recomputed from the entries")
    if cp and cp["tree_size"] != len(leaves):
        r.fail(f"the latest checkpoint covers {cp['tree_size']} entries but {len(leaves)} were supplied")

    # 3. an earlier checkpoint the user kept
    if known is not None:
        label = f"your earlier checkpoint (size {known['tree_size']}, signed {known['signed_at']})"
        if key and known.get("public_key") and known["public_key"] != key:
            r.fail(f"{label} was signed with a different key than today's ledger")
        if not signature_ok(known, known.get("public_key") or key or ""):
            r.fail(f"{label}: its signature is not valid")
        elif known["tree_size"] > len(leaves):
            r.fail(f"{label} is larger than today's ledger: history was truncated")
        elif root_at(levels, known["tree_size"]).hex() != known["root_hash"]:
            r.fail(f"{label} is INCONSISTENT with today's ledger: the past was rewritten")
        else:
            r.ok(f"{label} is a prefix of today's ledger (consistent)")

    # 3b. witnesses: independent parties vouch that this checkpoint extends what they saw
    if witnesses:
        need = len(witnesses) if min_witnesses is None else min_witnesses
        have = [w for w in witnesses if cp and cosigned_by(cp, w)]
        if len(have) < need:
            r.fail(
                f"the latest checkpoint carries valid cosignatures from {len(have)} of the required "
                f"{need} witness(es): do not trust it yet"
            )
        else:
            names = ", ".join(w.split("+")[0] for w in have)
            r.ok(f"the latest checkpoint is cosigned by {len(have)} witness(es): {names}")

    # 3c. a backer's receipt proof: the entry they were given is still there, unchanged
    if receipt is not None:
        leaf = check_receipt(receipt, r, pinned_key=key)
        if leaf is not None:
            rcp, seq = receipt["checkpoint"], receipt["entry"]["seq"]
            if seq > len(leaves) or leaves[seq - 1] != leaf:
                r.fail(
                    f"entry {seq} of today's ledger is NOT the one on your receipt: the past was rewritten"
                )
            elif (
                rcp["tree_size"] > len(leaves) or root_at(levels, rcp["tree_size"]).hex() != rcp["root_hash"]
            ):
                r.fail(
                    "your receipt's checkpoint is INCONSISTENT with today's ledger: the past was rewritten"
                )
            else:
                r.ok(f"entry {seq} of your receipt is unchanged in today's ledger")

    # 4. published balances
    balances = data.get("balances")
    if balances is not None:
        wrong = 0
        seen = set()
        for b in balances:
            k = (b["code"], b["currency"])
            seen.add(k)
            d, c = totals.get(k, [0, 0])
            natural = d - c if b["type"] in DEBIT_NORMAL else c - d
            if (b["debits"], b["credits"], b["balance"]) != (d, c, natural):
                wrong += 1
                if wrong <= 10:
                    r.fail(
                        f"account {b['code']} {b['currency']}: published {b['debits']}/{b['credits']}/"
                        f"{b['balance']} (debits/credits/balance) but the entries give {d}/{c}/{natural}"
                    )
        for k in totals:
            if k not in seen:
                wrong += 1
                r.fail(f"account {k[0]} {k[1]} has entries but no published balance")
        if not wrong:
            r.ok(f"all {len(balances)} published balances follow from the entries")
        elif data.get("balances_tree_size") not in (None, len(leaves)):
            r.note("(the ledger grew while it was being fetched; run again to rule that out)")
    by_currency: dict[str, list[int]] = {}
    for (_, currency), (d, c) in totals.items():
        t = by_currency.setdefault(currency, [0, 0])
        t[0] += d
        t[1] += c
    for currency, (d, c) in sorted(by_currency.items()):
        if d != c:
            r.fail(f"{currency}: total debits {d} differ from total credits {c}")
        else:
            r.ok(f"{currency}: total debits = total credits = {d}")
    return r


def _read_json(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _write_json(path: str, value: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(value, fh, indent=1)
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "source", nargs="?", help="the fund's base URL, or a file written by `flask ledger export`"
    )
    parser.add_argument("--state", help="pin the fund's key and the last verified checkpoint in this file")
    parser.add_argument("--known-checkpoint", help="a checkpoint JSON you saved earlier")
    parser.add_argument("--public-key", help="the fund's Ed25519 public key (hex) to pin")
    parser.add_argument("--witness", action="append", default=[], help="a witness's verifier key to require")
    parser.add_argument("--min-witnesses", type=int, help="how many of the --witness keys must cosign")
    parser.add_argument("--receipt", help="a receipt proof (JSON) downloaded from the fund")
    parser.add_argument("--save-checkpoint", help="write the latest checkpoint here, to use next time")
    args = parser.parse_args(argv)
    if not args.source and not args.receipt:
        parser.error("give the fund's address, an export file, or --receipt")
    receipt = _read_json(args.receipt) if args.receipt else None
    state = _read_json(args.state) if args.state and os.path.exists(args.state) else None
    pinned = args.public_key or (state or {}).get("public_key")
    if state and args.public_key and state.get("public_key") != args.public_key:
        print("NOT VERIFIED: --public-key differs from the key pinned in the state file.")
        return 1
    if not args.source:
        result = Result(sys.stdout)
        check_receipt(receipt, result, pinned_key=pinned)
        if result.failures:
            print("\nNOT VERIFIED: the receipt proof does not hold.")
            return 1
        print("\nVERIFIED: the receipt's entry is in the fund's signed ledger.")
        return 0
    data = load(args.source)
    known = None
    if args.known_checkpoint:
        known = _read_json(args.known_checkpoint)
        known = known.get("checkpoint", known)  # accept an export file or a receipt too
    print(f"Checking {data['source']}")
    result = check(
        data,
        known=known,
        pinned_key=pinned,
        witnesses=args.witness,
        min_witnesses=args.min_witnesses,
        receipt=receipt,
    )
    if state is not None and state.get("checkpoint"):
        saved = state["checkpoint"]["tree_size"]
        if check(data, known=state["checkpoint"], pinned_key=pinned, out=io.StringIO()).failures:
            result.fail(
                f"the checkpoint of size {saved} you verified before is INCONSISTENT with today's "
                "ledger, or signed with another key: the past was rewritten"
            )
        else:
            result.ok(f"today's ledger extends the checkpoint of size {saved} you verified before")
    if result.failures:
        print(f"\nNOT VERIFIED: {result.failures} check(s) failed.")
        return 1
    if args.state and data.get("checkpoint"):
        cp = data["checkpoint"]
        if state is None:
            print(f"pinned the fund's key {cp['public_key']} in {args.state} (first use)")
        _write_json(args.state, {"public_key": cp["public_key"], "vkey": cp.get("vkey"), "checkpoint": cp})
    if args.save_checkpoint and data.get("checkpoint"):
        _write_json(args.save_checkpoint, data["checkpoint"])
        print(f"saved the checkpoint to {args.save_checkpoint}")
    print("\nVERIFIED: the ledger is consistent, complete and signed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
