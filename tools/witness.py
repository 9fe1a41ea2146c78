#!/usr/bin/env python3
"""A witness for the Hamvatan Fund's ledger: cosign its checkpoints only while it never rewrites history.

Needs only the Python standard library and the ``cryptography`` package (for Ed25519). Anyone can
run one: the Ministry, an auditor, a diaspora organisation. The fund publishes the cosignatures of
the witnesses it is configured with beside each checkpoint, and readers can require them
(``tools/verify_ledger.py --witness``): a history the fund rewrote cannot collect them.

    python tools/witness.py init --name ministry.example.tj/witness --key witness.pem
        writes a new witness key and prints its verifier key (give it to the fund and to readers)
    python tools/witness.py cosign https://fund.example.org --key witness.pem --state witness.json \\
        [--log-key <the fund's vkey>] [--no-submit]
        fetches the latest checkpoint, checks the fund's signature and that it extends the last
        checkpoint this witness cosigned (RFC 6962 consistency proof), cosigns it (C2SP
        tlog-cosignature v1) and hands the cosignature to the fund
    python tools/witness.py cosign --note checkpoint.txt --key ... --state ... --log-key ...
        cosigns a checkpoint note given as a file (no network; it must be the same size as the
        last one cosigned, or its first)

On first use the fund's key is pinned from ``--log-key`` (or, failing that, from the checkpoint
itself, with a warning); the state file keeps it and the last checkpoint cosigned. A checkpoint
that is smaller than that one, of the same size with another root (a split view), or that no
consistency proof links to it, is REFUSED: nothing is signed, the state is left as it was and the
exit status is 2. Formats: https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint,
https://c2sp.org/tlog-cosignature.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

EM_DASH = "\u2014"
SIG_ED25519 = 0x01
SIG_COSIGNATURE = 0x04


class Refused(Exception):
    """The checkpoint must not be cosigned: the log is misbehaving (or this is not its checkpoint)."""


# -- RFC 6962 --------------------------------------------------------------------------------------


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


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


# -- signed notes ----------------------------------------------------------------------------------


def key_id(name: str, sig_type: int, public_raw: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_raw).digest()[:4]


def make_vkey(name: str, sig_type: int, public_raw: bytes) -> str:
    material = base64.b64encode(bytes([sig_type]) + public_raw).decode()
    return f"{name}+{key_id(name, sig_type, public_raw).hex()}+{material}"


def parse_vkey(text: str) -> tuple[str, bytes, int, bytes]:
    """(name, key id, signature type, public key) of a vkey; ValueError when malformed."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not parts[0]:
        raise ValueError(f"not a verifier key: {text!r}")
    raw = base64.b64decode(parts[2], validate=True)
    if len(raw) != 33:
        raise ValueError(f"not an Ed25519 verifier key: {text!r}")
    kid = bytes.fromhex(parts[1])
    if kid != key_id(parts[0], raw[0], raw[1:]):
        raise ValueError(f"the key id of {text!r} does not match its key")
    return parts[0], kid, raw[0], raw[1:]


def split_note(note: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    if "\n\n" not in note:
        raise ValueError("not a signed note")
    text, _, sigs = note.rpartition("\n\n")
    out = []
    for line in sigs.split("\n"):
        if not line:
            continue
        prefix, _, rest = line.partition(" ")
        name, _, b64 = rest.partition(" ")
        if prefix != EM_DASH or not name or not b64:
            raise ValueError("malformed signature line")
        out.append((name, base64.b64decode(b64, validate=True)))
    return (text + "\n").encode(), out


def parse_checkpoint(body: bytes) -> tuple[str, int, bytes]:
    lines = body.decode("utf-8").split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise ValueError("a checkpoint is at least three non-empty lines")
    size_text = lines[1]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise ValueError("the tree size is not a decimal number")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise ValueError("the root hash is not 32 bytes")
    return lines[0], int(size_text), root


def ed25519_ok(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def check_log_signature(body: bytes, signatures, log_vkey: str) -> None:
    name, kid, sig_type, pub = parse_vkey(log_vkey)
    if sig_type != SIG_ED25519:
        raise Refused("the fund's key must be an Ed25519 note key (type 0x01)")
    mine = [raw for n, raw in signatures if n == name and raw[:4] == kid]
    if not mine:
        raise Refused(f"the checkpoint is not signed by the fund's key {name}+{kid.hex()}")
    if not all(ed25519_ok(pub, raw[4:], body) for raw in mine):
        raise Refused("the fund's signature on the checkpoint does NOT verify")


def cosign(body: bytes, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """A C2SP tlog-cosignature v1 line for the checkpoint ``body``."""
    pub = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    message = f"cosignature/v1\ntime {timestamp}\n".encode() + body
    raw = key_id(name, SIG_COSIGNATURE, pub) + struct.pack(">Q", timestamp) + private_key.sign(message)
    return f"{EM_DASH} {name} {base64.b64encode(raw).decode()}\n"


# -- the witness's decision ------------------------------------------------------------------------


def witness_checkpoint(note: str, state: dict | None, *, log_vkey: str, consistency_proof) -> dict:
    """Check ``note`` against what this witness has seen; return the new state to keep.

    ``consistency_proof(old_size, new_size)`` returns the log's proof (list of 32-byte hashes).
    Raises Refused, loudly worded, when the checkpoint must not be cosigned."""
    try:
        body, signatures = split_note(note)
        origin, size, root = parse_checkpoint(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(f"not a checkpoint: {exc}") from None
    if state and state.get("log_vkey") and state["log_vkey"] != log_vkey:
        raise Refused("the fund's key differs from the one this witness pinned")
    check_log_signature(body, signatures, log_vkey)
    if origin != parse_vkey(log_vkey)[0]:
        raise Refused(f"the checkpoint's origin {origin!r} is not the fund's key name")
    if state and state.get("tree_size") is not None:
        if state.get("origin") != origin:
            raise Refused(f"the checkpoint is of another log ({origin!r}, not {state.get('origin')!r})")
        old_size, old_root = state["tree_size"], base64.b64decode(state["root_hash"])
        if size < old_size:
            raise Refused(
                f"ROLLBACK: the checkpoint has {size} entries but this witness already cosigned "
                f"{old_size}: the log shrank or is showing an old view"
            )
        if size == old_size and root != old_root:
            raise Refused(
                f"SPLIT VIEW: a checkpoint of size {size} with root {base64.b64encode(root).decode()} "
                f"but this witness cosigned size {size} with root {state['root_hash']}: the log shows "
                "different histories to different readers"
            )
        if size > old_size:
            proof = consistency_proof(old_size, size)
            if not verify_consistency(old_size, size, old_root, root, proof):
                raise Refused(
                    f"INCONSISTENT: the checkpoint of size {size} does not extend the one of size "
                    f"{old_size} this witness cosigned: the log's history was rewritten"
                )
    return {
        "origin": origin,
        "log_vkey": log_vkey,
        "tree_size": size,
        "root_hash": base64.b64encode(root).decode(),
        "note": body.decode(),
    }


# -- files and network -----------------------------------------------------------------------------


def load_state(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None


def save_state(path: str, state: dict) -> None:
    """Write atomically: a crash never leaves a half-written memory of what was cosigned."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".witness-state-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(state, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_key(path: str) -> Ed25519PrivateKey:
    with open(path, "rb") as fh:
        key = serialization.load_pem_private_key(fh.read(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit(f"{path} is not an Ed25519 private key")
    return key


def _request(url: str, data: bytes | None = None) -> bytes:
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "text/plain; charset=utf-8"
    req = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - the user chose the URL
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
        return resp.read()


class HttpLog:
    """The fund's public API, as a witness sees it."""

    def __init__(self, base: str):
        self.api = base.rstrip("/") + "/api/v1/ledger"

    def latest(self) -> dict:
        return json.loads(_request(self.api + "/checkpoint"))

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        query = urllib.parse.urlencode({"from": old, "to": new})
        data = json.loads(_request(f"{self.api}/consistency?{query}"))
        if data.get("from") != old or data.get("to") != new:
            raise Refused("the log answered a consistency proof for other sizes")
        return [bytes.fromhex(h) for h in data["proof"]]

    def submit(self, cosigned_note: str) -> dict:
        try:
            return json.loads(_request(self.api + "/cosignatures", cosigned_note.encode()))
        except urllib.error.HTTPError as exc:
            return {"error": f"HTTP {exc.code}: {exc.read().decode(errors='replace')[:300]}"}


def run_cosign(args, out=sys.stdout, err=sys.stderr, log=None) -> int:
    key = load_key(args.key)
    state = load_state(args.state)
    log = log or (HttpLog(args.source) if args.source else None)
    if args.note:
        with open(args.note, encoding="utf-8") as fh:
            note = fh.read()
        fetched_vkey = None
    elif log is not None:
        latest = log.latest()
        note, fetched_vkey = latest.get("note"), latest.get("vkey")
        if not note:
            print("REFUSED: the log publishes no signed-note checkpoint", file=err)
            return 2
    else:
        print("give the fund's address or --note", file=err)
        return 1
    log_vkey = args.log_key or (state or {}).get("log_vkey")
    if not log_vkey:
        if not fetched_vkey:
            print("REFUSED: no key for the fund: give --log-key", file=err)
            return 2
        log_vkey = fetched_vkey
        print(f"WARNING: pinning the fund's key from its own answer: {log_vkey}", file=err)

    def proof(old: int, new: int) -> list[bytes]:
        if log is None:
            raise Refused(f"a consistency proof from {old} to {new} is needed: give the fund's address")
        return log.consistency_proof(old, new)

    try:
        new_state = witness_checkpoint(note, state, log_vkey=log_vkey, consistency_proof=proof)
    except Refused as exc:
        print(f"REFUSED: {exc}", file=err)
        return 2
    body = new_state["note"].encode()
    name = args.name or (state or {}).get("witness_name")
    if not name:
        print("give --name (the witness's key name) on first use", file=err)
        return 1
    line = cosign(body, name, key, int(args.time if args.time is not None else time.time()))
    new_state["witness_name"] = name
    save_state(args.state, new_state)  # remembered before it is handed out
    cosigned = note if note.endswith("\n") else note + "\n"
    cosigned += line
    print(
        f"cosigned {new_state['origin']} size {new_state['tree_size']} root {new_state['root_hash']}",
        file=out,
    )
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(cosigned)
    if log is not None and not args.no_submit:
        answer = log.submit(cosigned)
        if "error" in answer:
            print(f"the fund did not accept the cosignature: {answer['error']}", file=err)
            return 1
        print(f"the fund accepted {answer.get('accepted', 0)} new cosignature(s)", file=out)
    return 0


def run_init(args, out=sys.stdout) -> int:
    if os.path.exists(args.key):
        key = load_key(args.key)
    else:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(args.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    print(make_vkey(args.name, SIG_COSIGNATURE, pub), file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_init = sub.add_parser("init", help="make a witness key and print its verifier key")
    p_init.add_argument(
        "--name", required=True, help="the witness's key name, e.g. ministry.example.tj/witness"
    )
    p_init.add_argument("--key", required=True, help="where to keep the private key (PEM)")
    p_cos = sub.add_parser("cosign", help="check and cosign the fund's latest checkpoint")
    p_cos.add_argument("source", nargs="?", help="the fund's base URL")
    p_cos.add_argument("--key", required=True, help="the witness's private key (PEM)")
    p_cos.add_argument("--state", required=True, help="the witness's memory (JSON), kept between runs")
    p_cos.add_argument("--name", help="the witness's key name (first use; kept in the state)")
    p_cos.add_argument("--log-key", help="the fund's verifier key (vkey); pinned on first use")
    p_cos.add_argument("--note", help="cosign this checkpoint note file instead of fetching one")
    p_cos.add_argument("--output", help="also write the cosigned note here")
    p_cos.add_argument("--no-submit", action="store_true", help="do not hand the cosignature to the fund")
    p_cos.add_argument("--time", type=int, help=argparse.SUPPRESS)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "init":
        return run_init(args)
    return run_cosign(args)


if __name__ == "__main__":
    sys.exit(main())
