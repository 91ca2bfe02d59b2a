"""RFC 6962 Merkle tree: roots against a naive recursive definition, proofs round-trip, tampered
proofs are refused."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from domain import merkle


def naive_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 section 2.1 (an independent implementation)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_root(leaves[:k]) + naive_root(leaves[k:])).digest()


def leaves_of(n: int) -> list[bytes]:
    return [merkle.leaf_hash(str(i).encode()) for i in range(n)]


sizes = st.integers(min_value=1, max_value=70)


def test_leaf_and_node_hashes_use_the_rfc_prefixes() -> None:
    assert merkle.leaf_hash(b"") == bytes.fromhex(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert merkle.EMPTY_ROOT == bytes.fromhex(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


@given(st.integers(min_value=0, max_value=130))
def test_the_streaming_root_equals_the_naive_recursive_root(n: int) -> None:
    leaves = leaves_of(n)

    assert merkle.root(leaves) == naive_root(leaves)


@given(sizes, st.data())
def test_every_inclusion_proof_verifies(n: int, data: st.DataObject) -> None:
    leaves = leaves_of(n)
    index = data.draw(st.integers(0, n - 1))

    proof = merkle.inclusion_proof(leaves, index)

    assert merkle.verify_inclusion(leaves[index], index, n, proof, naive_root(leaves))


@given(sizes, st.data())
def test_tampered_inclusion_proofs_are_refused(n: int, data: st.DataObject) -> None:
    leaves = leaves_of(n)
    index = data.draw(st.integers(0, n - 1))
    proof = merkle.inclusion_proof(leaves, index)
    root = naive_root(leaves)

    assert not merkle.verify_inclusion(merkle.leaf_hash(b"wrong"), index, n, proof, root)
    for other in (index - 1, index + 1):
        assert not merkle.verify_inclusion(leaves[index], other, n, proof, root)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        flipped = bytearray(proof[k])
        flipped[bit // 8] ^= 1 << (bit % 8)
        assert not merkle.verify_inclusion(
            leaves[index], index, n, [*proof[:k], bytes(flipped), *proof[k + 1:]], root)
        assert not merkle.verify_inclusion(leaves[index], index, n, proof[:-1], root)
    assert not merkle.verify_inclusion(leaves[index], index, n, [*proof, root], root)


@given(sizes, st.data())
def test_every_consistency_proof_verifies(n: int, data: st.DataObject) -> None:
    leaves = leaves_of(n)
    m = data.draw(st.integers(0, n))

    proof = merkle.consistency_proof(leaves, m)

    assert merkle.verify_consistency(m, n, naive_root(leaves[:m]), naive_root(leaves), proof)


@given(st.integers(min_value=2, max_value=70), st.data())
def test_tampered_consistency_proofs_are_refused(n: int, data: st.DataObject) -> None:
    leaves = leaves_of(n)
    m = data.draw(st.integers(1, n - 1))
    proof = merkle.consistency_proof(leaves, m)
    old, new = naive_root(leaves[:m]), naive_root(leaves)
    forged = [*leaves[:m - 1], merkle.leaf_hash(b"forged")]

    assert not merkle.verify_consistency(m, n, naive_root(forged), new, proof)
    assert not merkle.verify_consistency(m, n, old, merkle.leaf_hash(b"x"), proof)
    assert not merkle.verify_consistency(m - 1, n, old, new, proof)
    assert not merkle.verify_consistency(m + 1, n, old, new, proof)
    k = data.draw(st.integers(0, len(proof) - 1))
    flipped = bytearray(proof[k])
    flipped[data.draw(st.integers(0, 31))] ^= 0x80
    assert not merkle.verify_consistency(m, n, old, new,
                                         [*proof[:k], bytes(flipped), *proof[k + 1:]])


def test_proofs_from_one_tree_with_shared_subtrees_verify_on_large_trees() -> None:
    leaves = leaves_of(300)
    tree = merkle.Tree(leaves)

    for size in (129, 256, 300):
        root = naive_root(leaves[:size])
        assert tree.root(size) == root
        for index in range(0, size, 37):
            assert merkle.verify_inclusion(leaves[index], index, size,
                                           tree.inclusion(index, size), root)
        for first in (1, 64, 100, size):
            assert merkle.verify_consistency(first, size, naive_root(leaves[:first]), root,
                                             tree.consistency(first, size))
