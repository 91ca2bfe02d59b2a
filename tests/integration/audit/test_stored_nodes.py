"""Stored subtree roots (``audit_nodes``): proofs and roots read from them equal a fresh tree over
every leaf, sealing stays right when they are damaged, and a bundle refuses proofs they spoil."""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest import mock

import pytest
from sqlalchemy import text

from app.audit import service
from app.audit.bundle import BundleError, build_bundle, parse_moment
from domain.audit import merkle
from tests.conftest import add_person

if TYPE_CHECKING:
    from collections.abc import Iterator

    from app.bootstrap import Services


@pytest.fixture(autouse=True)
def small_blocks() -> Iterator[None]:
    """Blocks of 4 leaves, so a short log has nodes at several levels."""
    with mock.patch.object(service, "NODE_LEVEL", 2):
        yield


def grow(services: Services, people: int) -> int:
    for _ in range(people):
        add_person(services, password=None)
    services.audit.seal(force=True)
    return services.audit.sealed_size()


def test_the_stored_tree_gives_the_roots_and_proofs_of_every_leaf(services: Services) -> None:
    sealer = services.audit
    size = grow(services, 12)
    assert sealer.extend_nodes() == 0  # sealing stored them already
    with services.engine.connect() as conn:
        levels = {r[0] for r in conn.execute(text("SELECT level FROM audit_nodes"))}
    assert {2, 3} <= levels
    fresh = merkle.Tree(sealer.leaf_hashes(size))
    stored = sealer.stored_tree(size)
    for n in range(1, size + 1):
        assert stored.root(n) == fresh.root(n)
    for index in range(size):
        assert stored.inclusion(index, size) == fresh.inclusion(index, size)
    for first in range(size + 1):
        assert stored.consistency(first, size) == fresh.consistency(first, size)
    assert sealer.latest()["root_hash"] == fresh.root(size).hex()  # type: ignore[index]


def test_a_damaged_node_neither_changes_what_is_signed_nor_passes_into_a_bundle(
        services: Services) -> None:
    sealer = services.audit
    grow(services, 10)
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE audit_nodes SET node_hash = :h WHERE level = 2 AND "
                          "node_index = 1"), {"h": "00" * 32})
    size = grow(services, 3)  # the stored tree no longer extends the last checkpoint

    assert sealer.latest()["root_hash"] == merkle.root(  # type: ignore[index]
        sealer.leaf_hashes(size)).hex()
    assert sealer.verify().ok
    with pytest.raises(BundleError, match="inclusion proof does not give the root"):
        build_bundle(services, parse_moment("2000-01-01", "from"),
                     parse_moment("2100-01-01", "to", end=True))


def positions(services: Services) -> list[int]:
    with services.engine.connect() as conn:
        return [r[0] for r in conn.execute(text(
            "SELECT position FROM audit_leaves ORDER BY leaf_index"))]


def test_a_process_that_never_sealed_proves_from_the_stored_nodes_not_every_leaf(
        services: Services) -> None:
    sealer = services.audit
    size = grow(services, 12)
    fresh = merkle.Tree(sealer.leaf_hashes(size))
    sealer._tree = None  # noqa: SLF001 - as in a web process that never sealed

    checked = sealer.inclusion_many(positions(services))
    proofs = [sealer.inclusion(p) for p in positions(services)]

    assert len(checked) == size and all(c["included"] for c in checked.values())
    assert [bytes.fromhex(h) for h in proofs[5]["audit_path"]] == fresh.inclusion(5, size)
    assert proofs[5]["root_hash"] == sealer.latest()["root_hash"]  # type: ignore[index]
    assert sealer.consistency(3, size)["proof"] == [p.hex() for p in fresh.consistency(3, size)]
    assert sealer._tree is None  # noqa: SLF001 - no proof loaded every leaf


def test_a_damaged_node_does_not_make_an_honest_event_look_altered(services: Services) -> None:
    sealer = services.audit
    grow(services, 12)
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE audit_nodes SET node_hash = :h WHERE level = 2 AND "
                          "node_index = 1"), {"h": "00" * 32})
    sealer._tree = None  # noqa: SLF001 - as in a web process that never sealed

    checked = sealer.inclusion_many(positions(services))

    assert all(c["included"] for c in checked.values())
    assert sealer._tree is not None  # noqa: SLF001 - the proofs were made from every leaf
