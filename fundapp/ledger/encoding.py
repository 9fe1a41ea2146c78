"""The canonical, versioned encoding of a sealed entry: the bytes its Merkle leaf hashes.

Version 1 is JSON with sorted keys, no whitespace, ASCII only (``\\uXXXX`` escapes), UTF-8::

    {"backer":null,"kind":"donation","legs":[["C","project:7","TJS",5000],["D","stripe_clearing","TJS",5000]],
     "memo":"...","posted_at":"2026-11-28T16:00:00.123456Z","reverses":null,"seq":1,"v":1}

``legs`` are ``[direction "D"|"C", account code, currency, amount in minor units]`` sorted, so the
order rows come back in never matters. ``backer`` is the backer's public label only when they chose
to be named (``null`` = anonymous); no other personal data is in the ledger's public record.
``tools/verify_ledger.py`` re-implements exactly this with the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

VERSION = 1

_str = json.encoder.encode_basestring_ascii  # the C encoder json.dumps uses for ensure_ascii


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_fields(
    *,
    seq: int,
    kind: str,
    posted_at: str,
    memo: str,
    backer: str | None,
    reverses: int | None,
    legs: Iterable[tuple[str, str, str, int]],
) -> dict:
    """The public record of an entry, as published and as hashed."""
    return {
        "backer": backer,
        "kind": kind,
        "legs": sorted([list(leg) for leg in legs]),
        "memo": memo,
        "posted_at": posted_at,
        "reverses": reverses,
        "seq": seq,
        "v": VERSION,
    }


def encode_fields(fields: dict) -> bytes:
    """The reference encoding (slow path; the fast one below must agree byte for byte)."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def encode_entry(
    seq: int,
    kind: str,
    posted_at: str,
    memo: str,
    backer: str | None,
    reverses: int | None,
    legs: list[tuple[str, str, str, int]],
) -> bytes:
    """Fast path of ``encode_fields(entry_fields(...))`` for sealing and verifying in bulk.

    ``legs`` items are (direction "D"/"C", code, currency, amount)."""
    legs = sorted(legs)
    leg_text = ",".join(f"[{_str(d)},{_str(c)},{_str(cur)},{a}]" for d, c, cur, a in legs)
    return (
        f'{{"backer":{"null" if backer is None else _str(backer)},"kind":{_str(kind)},'
        f'"legs":[{leg_text}],"memo":{_str(memo)},"posted_at":{_str(posted_at)},'
        f'"reverses":{"null" if reverses is None else int(reverses)},"seq":{int(seq)},"v":1}}'
    ).encode("ascii")
