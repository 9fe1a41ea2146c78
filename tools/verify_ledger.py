#!/usr/bin/env python3
"""Verify the Hamvatan Fund's public ledger without trusting the fund's servers.

Needs only the Python standard library and the ``cryptography`` package (for Ed25519).

    python tools/verify_ledger.py https://fund.example.org            # fetch over the API
    python tools/verify_ledger.py ledger-export.json                  # `flask ledger export FILE`
    python tools/verify_ledger.py SOURCE --known-checkpoint old.json  # one you saved earlier
    python tools/verify_ledger.py SOURCE --save-checkpoint new.json   # keep this one for next time
    python tools/verify_ledger.py SOURCE --public-key <hex>           # pin the fund's key

What it checks, from the entries alone:
  * each entry re-encodes (canonical JSON v1) to its published leaf hash, and balances per currency;
  * the sequence numbers run 1, 2, 3, … with no gap, repeat or reordering;
  * the RFC 6962 Merkle root over the entries equals the root in every signed checkpoint given,
    and each checkpoint's Ed25519 signature is valid (with the pinned key, if given);
  * a checkpoint you saved earlier (``--known-checkpoint``) is a prefix of today's history: the
    fund cannot rewrite the past and re-sign it without this failing;
  * the published account balances equal the sums of the entries' legs, and debits equal credits.

Exit status 0 only if everything holds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.parse
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CHECKPOINT_HEADER = "hamvatan-fund-ledger-checkpoint/v1"
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
    return f"{CHECKPOINT_HEADER}\n{int(cp['tree_size'])}\n{cp['root_hash']}\n{cp['signed_at']}\n".encode()


def signature_ok(cp: dict, public_key_hex: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(cp["signature"]), checkpoint_message(cp))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True


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


def check(data: dict, *, known: dict | None = None, pinned_key: str | None = None, out=sys.stdout) -> Result:
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="the fund's base URL, or a file written by `flask ledger export`")
    parser.add_argument("--known-checkpoint", help="a checkpoint JSON you saved earlier")
    parser.add_argument("--public-key", help="the fund's Ed25519 public key (hex) to pin")
    parser.add_argument("--save-checkpoint", help="write the latest checkpoint here, to use next time")
    args = parser.parse_args(argv)
    data = load(args.source)
    known = None
    if args.known_checkpoint:
        with open(args.known_checkpoint, encoding="utf-8") as fh:
            known = json.load(fh)
        known = known.get("checkpoint", known)  # accept an export file too
    print(f"Checking {data['source']}")
    result = check(data, known=known, pinned_key=args.public_key)
    if result.failures:
        print(f"\nNOT VERIFIED: {result.failures} check(s) failed.")
        return 1
    if args.save_checkpoint and data.get("checkpoint"):
        with open(args.save_checkpoint, "w", encoding="utf-8") as fh:
            json.dump(data["checkpoint"], fh, indent=1)
        print(f"saved the checkpoint to {args.save_checkpoint}")
    print("\nVERIFIED: the ledger is consistent, complete and signed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
