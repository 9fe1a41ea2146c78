"""The Merkle code against the RFC 6962 reference vectors (certificate-transparency's test data:
the 8 leaves of merkle_tree_test), and proofs round-tripping for every shape of tree."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundapp.ledger import merkle

LEAF_DATA = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path)
INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (old size, new size, consistency proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
LEAVES = [merkle.leaf_hash(d) for d in LEAF_DATA]


def _tool():
    path = Path(__file__).resolve().parents[2] / "tools" / "verify_ledger.py"
    spec = importlib.util.spec_from_file_location("verify_ledger_tool", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_empty_tree_root_is_sha256_of_nothing():
    """Is the root of the empty tree SHA-256 of the empty string, as RFC 6962 says?"""
    assert merkle.root_from_leaves([]).hex() == ROOTS[0]
    assert merkle.MemoryTree([]).root(0).hex() == ROOTS[0]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference_vectors(size):
    """Do all three ways of computing a root agree with the reference root for 1..8 leaves?"""
    assert merkle.root_from_leaves(LEAVES[:size]).hex() == ROOTS[size]
    assert merkle.MemoryTree(LEAVES).root(size).hex() == ROOTS[size]
    tool = _tool()
    assert tool.root_at(tool.levels_of(LEAVES), size).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_reference_vectors(index, size, path):
    """Is our audit path the reference one, and does it verify (and fail for a wrong leaf)?"""
    tree = merkle.MemoryTree(LEAVES)
    proof = tree.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == path
    root = bytes.fromhex(ROOTS[size])
    assert merkle.verify_inclusion(LEAVES[index], index, size, proof, root)
    assert not merkle.verify_inclusion(LEAVES[(index + 1) % size], index, size, proof, root)
    assert not merkle.verify_inclusion(LEAVES[index], index, size, proof, bytes.fromhex(ROOTS[0]))


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_reference_vectors(old, new, path):
    """Is our consistency proof the reference one, and does it verify in both verifiers?"""
    tree = merkle.MemoryTree(LEAVES)
    proof = tree.consistency_proof(old, new)
    assert [p.hex() for p in proof] == path
    old_root, new_root = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)
    assert _tool().verify_consistency(old, new, old_root, new_root, proof)
    if old != new:
        assert not merkle.verify_consistency(old, new, bytes.fromhex(ROOTS[0]), new_root, proof)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_proofs_round_trip_for_any_tree(n, data):
    """For any tree size, do inclusion and consistency proofs verify, and tampered ones fail?"""
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    tree = merkle.MemoryTree(leaves)
    root = merkle.root_from_leaves(leaves)
    assert tree.root(n) == root
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = tree.inclusion_proof(i, n)
    assert merkle.verify_inclusion(leaves[i], i, n, proof, root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"x"), i, n, proof, root)
    m = data.draw(st.integers(min_value=1, max_value=n))
    cproof = tree.consistency_proof(m, n)
    old_root = merkle.root_from_leaves(leaves[:m])
    assert merkle.verify_consistency(m, n, old_root, root, cproof)
    if m < n:
        assert not merkle.verify_consistency(m, n, merkle.leaf_hash(b"other"), root, cproof)


def test_prefetching_reader_asks_once_and_agrees():
    """Does the prefetching reader (one batch lookup) give the same proofs as the plain one?"""
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(13)]
    tree = merkle.MemoryTree(leaves)
    calls = []

    def perfect_many(wanted):
        calls.append(len(wanted))
        return {k: tree.levels[k[0]][k[1]] for k in wanted}

    run = merkle.prefetching(perfect_many)
    assert run(lambda t: t.inclusion_proof(4, 13)) == tree.inclusion_proof(4, 13)
    assert run(lambda t: t.consistency_proof(5, 13)) == tree.consistency_proof(5, 13)
    assert calls and all(c > 0 for c in calls) and len(calls) == 2
