"""The fund's Ed25519 checkpoint key and the signed checkpoints (C2SP signed notes).

The private key lives in ``instance/ledger_signing_key.pem`` (mode 0600), generated on first use,
or in the file named by ``LEDGER_SIGNING_KEY_FILE`` (several servers must share one key).

A checkpoint is a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note text

    <origin>
    <tree size>
    <root hash, base64>

signed per https://c2sp.org/signed-note with the fund's Ed25519 key under the key name
``<origin>``; witnesses add C2SP tlog-cosignature lines (signature type 0x04) to the same note.
Checkpoints signed before the fund adopted the note format (``origin`` NULL) carry the older plain
statement ``hamvatan-fund-ledger-checkpoint/v1\n<size>\n<root hex>\n<signed at>\n``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

HEADER = "hamvatan-fund-ledger-checkpoint/v1"


SIG_ED25519 = 0x01
SIG_COSIGNATURE = 0x04
COSIGNATURE_HEADER = "cosignature/v1"
EM_DASH = "\u2014"


def checkpoint_message(tree_size: int, root_hash: bytes, signed_at: str) -> bytes:
    """The plain statement of checkpoints signed before the note format (verified, never made)."""
    return f"{HEADER}\n{int(tree_size)}\n{root_hash.hex()}\n{signed_at}\n".encode("ascii")


def checkpoint_body(origin: str, tree_size: int, root_hash: bytes) -> bytes:
    """The note text of a C2SP checkpoint: origin, size, base64 root, each ending in a newline."""
    return f"{origin}\n{int(tree_size)}\n{base64.b64encode(root_hash).decode('ascii')}\n".encode()


def signed_message(origin: str | None, tree_size: int, root_hash: bytes, signed_at: str) -> bytes:
    """What a stored checkpoint's signature covers."""
    if origin is None:
        return checkpoint_message(tree_size, root_hash, signed_at)
    return checkpoint_body(origin, tree_size, root_hash)


def ledger_origin() -> str:
    """The log's origin line and the fund's key name: ``LEDGER_ORIGIN``, or the public address's
    host followed by ``/ledger``. It must never change once checkpoints are signed with it."""
    configured = current_app.config.get("LEDGER_ORIGIN")
    if configured:
        return configured
    host = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "").netloc
    return f"{host or 'hamvatan-fund.localhost'}/ledger"


def note_key_id(name: str, sig_type: int, public_raw: bytes) -> bytes:
    """C2SP signed-note key id: SHA-256(name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_raw).digest()[:4]


def vkey(name: str, sig_type: int, public_raw: bytes) -> str:
    """The verifier key text ``<name>+<hex key id>+<base64(type || key)>``."""
    kid = note_key_id(name, sig_type, public_raw).hex()
    return f"{name}+{kid}+{base64.b64encode(bytes([sig_type]) + public_raw).decode('ascii')}"


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    sig_type: int
    public_raw: bytes

    @property
    def text(self) -> str:
        return vkey(self.name, self.sig_type, self.public_raw)


def parse_vkey(text: str) -> VerifierKey:
    """Read a vkey; ValueError when it is malformed or its key id does not match its key."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not parts[0]:
        raise ValueError("a verifier key is <name>+<key id>+<key>")
    name, kid_hex, material = parts
    raw = base64.b64decode(material, validate=True)
    if len(raw) != 33 or raw[0] not in (SIG_ED25519, SIG_COSIGNATURE):
        raise ValueError("only Ed25519 note and cosignature keys are supported")
    kid = bytes.fromhex(kid_hex)
    if kid != note_key_id(name, raw[0], raw[1:]):
        raise ValueError("the key id does not match the key")
    return VerifierKey(name, kid, raw[0], raw[1:])


def signature_line(name: str, key_id: bytes, signature: bytes) -> str:
    return f"{EM_DASH} {name} {base64.b64encode(key_id + signature).decode('ascii')}\n"


def split_note(note: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A signed note's text (with its final newline) and its signatures [(key name, raw)].
    ValueError when it is not a signed note."""
    if "\n\n" not in note:
        raise ValueError("not a signed note: no blank line before the signatures")
    text, _, sigs = note.rpartition("\n\n")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise ValueError("a signed note holds no control characters")
    out = []
    for line in sigs.split("\n"):
        if not line:
            continue
        prefix, _, rest = line.partition(" ")
        name, _, b64 = rest.partition(" ")
        if prefix != EM_DASH or not name or not b64:
            raise ValueError("a signature line is: em dash, space, key name, space, base64")
        raw = base64.b64decode(b64, validate=True)
        if len(raw) < 5:
            raise ValueError("a signature is too short")
        out.append((name, raw))
    if not out or len(out) > 64:
        raise ValueError("a signed note carries between 1 and 64 signatures")
    return (text + "\n").encode(), out


def cosignature_message(body: bytes, timestamp: int) -> bytes:
    """What an Ed25519 witness signs (C2SP tlog-cosignature v1)."""
    return f"{COSIGNATURE_HEADER}\ntime {int(timestamp)}\n".encode() + body


def verify_cosignature(witness: VerifierKey, body: bytes, raw: bytes) -> int | None:
    """The timestamp of a valid cosignature ``raw`` (key id || u64 time || signature) of
    ``body`` by ``witness``, or None."""
    if witness.sig_type != SIG_COSIGNATURE or len(raw) != 4 + 8 + 64 or raw[:4] != witness.key_id:
        return None
    (timestamp,) = struct.unpack(">Q", raw[4:12])
    if timestamp >= 2**63:
        return None
    if not verify_signature(witness.public_raw, raw[12:], cosignature_message(body, timestamp)):
        return None
    return timestamp


def configured_witnesses() -> list[VerifierKey]:
    """The witnesses whose cosignatures the fund accepts (``LEDGER_WITNESSES``: vkeys)."""
    keys = current_app.config.get("LEDGER_WITNESSES") or []
    if isinstance(keys, str):
        keys = keys.split()
    return [parse_vkey(k) for k in keys]


def key_path() -> Path:
    configured = current_app.config.get("LEDGER_SIGNING_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "ledger_signing_key.pem"


def load_private_key() -> Ed25519PrivateKey:
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} is not an Ed25519 private key")
    return key


def public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_raw: bytes) -> str:
    """The key id of checkpoints signed before the note format."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def verify_signature(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
