"""RFC 6962 / RFC 9162 Merkle tree: leaf and node hashing, roots, inclusion and consistency
proofs and their verifiers. Standard library only; indices are 0-based; hashes are raw bytes."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || leaf bytes)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class RootBuilder:
    """Streams leaf hashes and gives the root of the tree so far in O(log n) memory."""

    def __init__(self) -> None:
        self.size = 0
        self.peaks: list[tuple[int, bytes]] = []  # perfect subtrees, largest first

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash."""
        size, node = 1, leaf
        while self.peaks and self.peaks[-1][0] == size:
            _, left = self.peaks.pop()
            size, node = size * 2, node_hash(left, node)
        self.peaks.append((size, node))
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """``append`` each leaf hash in turn (one tight loop)."""
        peaks = self.peaks
        sha256 = hashlib.sha256
        count = 0
        for node in leaves:
            size = 1
            while peaks and peaks[-1][0] == size:
                node = sha256(b"\x01" + peaks.pop()[1] + node).digest()
                size *= 2
            peaks.append((size, node))
            count += 1
        self.size += count

    def add_subtree(self, size: int, node: bytes) -> None:
        """Add the next ``size`` leaves as the root of their perfect subtree (``size`` a power
        of two dividing the leaves so far: an aligned block of the whole tree)."""
        if size & (size - 1) or self.size % size:
            raise ValueError(f"a subtree of {size} leaves is not aligned at {self.size}")
        peaks = self.peaks
        self.size += size
        while peaks and peaks[-1][0] == size:
            node = node_hash(peaks.pop()[1], node)
            size *= 2
        peaks.append((size, node))

    def root(self) -> bytes:
        """The root of the leaves appended so far."""
        if not self.peaks:
            return EMPTY_ROOT
        node = self.peaks[-1][1]
        for _, left in reversed(self.peaks[:-1]):
            node = node_hash(left, node)
        return node


def root(leaves: Iterable[bytes]) -> bytes:
    """The tree's root over leaf hashes."""
    builder = RootBuilder()
    for leaf in leaves:
        builder.append(leaf)
    return builder.root()


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree over ``leaves`` (RFC 6962 PATH)."""
    return Tree(leaves).inclusion(index, len(leaves))


def consistency_proof(leaves: Sequence[bytes], first: int) -> list[bytes]:
    """The proof that the tree of size ``first`` is a prefix of the one over ``leaves``
    (RFC 6962 PROOF)."""
    return Tree(leaves).consistency(first, len(leaves))


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes],
                     expected_root: bytes) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, node = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = node_hash(p, node)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and node == expected_root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows tree ``first`` is a prefix of tree ``second`` (RFC 9162 2.1.4.2)."""
    if first < 0 or first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


class Tree:
    """Proofs over a list of leaf hashes, sharing the roots of large perfect subtrees between
    proofs (many proofs cost O(n + k log n) instead of O(k n))."""

    CACHE_FROM = 64

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves
        self._cache: dict[tuple[int, int], bytes] = {}

    def subroot(self, lo: int, hi: int) -> bytes:
        """The root of leaves[lo:hi]."""
        n = hi - lo
        if n == 1:
            return self.leaves[lo]
        if n == 0:
            return EMPTY_ROOT
        perfect = n & (n - 1) == 0 and n >= self.CACHE_FROM
        if perfect and (lo, hi) in self._cache:
            return self._cache[(lo, hi)]
        k = split(n)
        node = node_hash(self.subroot(lo, lo + k), self.subroot(lo + k, hi))
        if perfect:
            self._cache[(lo, hi)] = node
        return node

    def root(self, size: int) -> bytes:
        """The root of the first ``size`` leaves."""
        return self.subroot(0, size)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
        if not 0 <= index < size <= len(self.leaves):
            raise ValueError(f"leaf index {index} is outside a tree of size {size}")
        proof, lo, hi = [], 0, size
        while hi - lo > 1:
            k = split(hi - lo)
            if index < lo + k:
                proof.append(self.subroot(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self.subroot(lo, lo + k))
                lo += k
        return proof[::-1]

    def consistency(self, first: int, second: int) -> list[bytes]:
        """The proof that the tree of ``first`` leaves is a prefix of the tree of ``second``."""
        if not 0 <= first <= second <= len(self.leaves):
            raise ValueError(f"sizes {first}, {second} are not within {len(self.leaves)}")
        if first in (0, second):
            return []
        proof, lo, hi, m, whole = [], 0, second, first, True
        while m != hi - lo:
            k = split(hi - lo)
            if m <= k:
                proof.append(self.subroot(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self.subroot(lo, lo + k))
                lo, m, whole = lo + k, m - k, False
        if not whole:
            proof.append(self.subroot(lo, hi))
        return proof[::-1]
