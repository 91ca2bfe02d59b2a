"""RFC 6962 Merkle tree: roots against a naive recursive definition, proofs round-trip, tampered
proofs are refused."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from domain.audit import merkle


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


VECTOR_LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
                 bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]
"""The reference inputs of the Certificate Transparency / transparency-dev Merkle tests."""

VECTOR_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_roots_and_proofs_match_the_reference_vectors() -> None:
    leaves = [merkle.leaf_hash(d) for d in VECTOR_LEAVES]

    assert [merkle.root(leaves[:n]).hex() for n in range(1, 9)] == VECTOR_ROOTS
    assert [p.hex() for p in merkle.inclusion_proof(leaves, 0)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]
    assert [p.hex() for p in merkle.consistency_proof(leaves[:6], 4)] == [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"]
