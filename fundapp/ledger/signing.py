"""The fund's Ed25519 checkpoint key and the signed checkpoint statement.

The private key lives in ``instance/ledger_signing_key.pem`` (mode 0600), generated on first use,
or in the file named by ``LEDGER_SIGNING_KEY_FILE`` (several servers must share one key). The
statement signed is plain text, so anyone can rebuild it::

    hamvatan-fund-ledger-checkpoint/v1
    <tree size>
    <root hash, hex>
    <signed at, 2026-11-28T16:00:00.123456Z>
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

HEADER = "hamvatan-fund-ledger-checkpoint/v1"


def checkpoint_message(tree_size: int, root_hash: bytes, signed_at: str) -> bytes:
    return f"{HEADER}\n{int(tree_size)}\n{root_hash.hex()}\n{signed_at}\n".encode("ascii")


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
    return hashlib.sha256(public_raw).hexdigest()[:16]


def verify_signature(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
