"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification.

leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right); a tree of n > 1 leaves splits
at k, the largest power of two smaller than n. Every subtree the algorithms need is then a
*complete* subtree of 2**level leaves starting at a multiple of 2**level, so a store only has to
answer ``perfect(level, index)`` (the hash of leaves ``[index * 2**level, (index + 1) * 2**level)``)
and the proofs cost O(log n) lookups. ``tools/verify_ledger.py`` carries its own copy of the
verification half, so that it needs nothing of this package.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    return _sha(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """The root of the tree over ``leaves``, bottom-up: pairing left to right and carrying an odd
    last node up unchanged gives exactly RFC 6962's left-balanced tree."""
    level = list(leaves)
    if not level:
        return EMPTY_ROOT
    sha = _sha
    while len(level) > 1:
        nxt = [sha(b"\x01" + a + b).digest() for a, b in zip(level[0::2], level[1::2], strict=False)]
        if len(level) & 1:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def levels_from_leaves(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """All complete-subtree hashes: ``levels[l][i]`` covers leaves ``[i * 2**l, (i + 1) * 2**l)``."""
    levels = [list(leaves)]
    sha = _sha
    while len(levels[-1]) > 1:
        cur = levels[-1]
        levels.append([sha(b"\x01" + a + b).digest() for a, b in zip(cur[0::2], cur[1::2], strict=False)])
    return levels


class TreeReader:
    """Roots and proofs of a tree whose complete subtrees are given by ``perfect(level, index)``."""

    def __init__(self, perfect: Callable[[int, int], bytes]):
        self.perfect = perfect

    def subtree(self, start: int, size: int) -> bytes:
        """MTH of leaves ``[start, start + size)`` (``start`` aligned as in the RFC recursion)."""
        if size == 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0:
            return self.perfect(size.bit_length() - 1, start // size)
        k = split_point(size)
        return node_hash(self.subtree(start, k), self.subtree(start + k, size - k))

    def root(self, size: int) -> bytes:
        return self.subtree(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 PATH(index, D[0:size])."""
        if not 0 <= index < size:
            raise ValueError("leaf index outside the tree")
        return self._path(index, 0, size)

    def _path(self, m: int, start: int, n: int) -> list[bytes]:
        if n == 1:
            return []
        k = split_point(n)
        if m < k:
            return self._path(m, start, k) + [self.subtree(start + k, n - k)]
        return self._path(m - k, start + k, n - k) + [self.subtree(start, k)]

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 PROOF(old_size, D[0:new_size])."""
        if not 0 <= old_size <= new_size:
            raise ValueError("sizes must satisfy 0 <= old <= new")
        if old_size == 0 or old_size == new_size:
            return []
        return self._subproof(old_size, 0, new_size, True)

    def _subproof(self, m: int, start: int, n: int, b: bool) -> list[bytes]:
        if m == n:
            return [] if b else [self.subtree(start, n)]
        k = split_point(n)
        if m <= k:
            return self._subproof(m, start, k, b) + [self.subtree(start + k, n - k)]
        return self._subproof(m - k, start + k, n - k, False) + [self.subtree(start, k)]


def prefetching(perfect_many: Callable[[set[tuple[int, int]]], dict[tuple[int, int], bytes]]):
    """Run a TreeReader computation twice: once to learn which complete subtrees it needs, then
    with all of them fetched in one go (one query instead of one per node)."""

    def run(compute: Callable[[TreeReader], object]):
        wanted: set[tuple[int, int]] = set()

        def record(level: int, index: int) -> bytes:
            wanted.add((level, index))
            return b"\x00" * 32

        compute(TreeReader(record))
        got = perfect_many(wanted)

        def lookup(level: int, index: int) -> bytes:
            try:
                return got[(level, index)]
            except KeyError:
                raise LookupError(f"missing tree node level={level} index={index}") from None

        return compute(TreeReader(lookup))

    return run


class MemoryTree(TreeReader):
    """A whole tree held in memory (tests, exports, the verifier)."""

    def __init__(self, leaves: Sequence[bytes]):
        self.levels = levels_from_leaves(leaves)
        super().__init__(lambda level, index: self.levels[level][index])

    @property
    def size(self) -> int:
        return len(self.levels[0])


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if old_size > new_size or old_size < 0:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    path = list(proof)
    if not path:
        return False
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
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
