"""The sealer's proof tree is kept between calls: it must always agree with a fresh tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update

from app.audit.service import audit_leaves
from domain.audit import merkle
from tests.conftest import add_person

if TYPE_CHECKING:
    from app.bootstrap import Services


def test_proofs_and_roots_from_the_kept_tree_equal_a_fresh_computation_as_the_log_grows(
        services: Services) -> None:
    sealer = services.audit
    for round_ in range(3):
        for _ in range(40):
            add_person(services, password=None)
        sealer.seal(force=True)
        size = sealer.sealed_size()
        fresh = merkle.Tree(sealer.leaf_hashes(size))

        assert sealer.tree(size).root(size) == fresh.root(size) == merkle.root(
            sealer.leaf_hashes(size))
        for index in (0, size // 3, size - 1):
            assert sealer.tree(size).inclusion(index, size) == fresh.inclusion(index, size)
        if round_:
            first = size - 40
            assert sealer.tree(size).consistency(first, size) == fresh.consistency(first, size)


def test_a_changed_leaf_row_drops_the_kept_tree(services: Services) -> None:
    sealer = services.audit
    for _ in range(5):
        add_person(services, password=None)
    sealer.seal(force=True)
    size = sealer.sealed_size()
    before = sealer.tree(size).root(size)

    with services.engine.begin() as conn:
        conn.execute(update(audit_leaves).where(audit_leaves.c.leaf_index == size - 1)
                     .values(leaf_hash="00" * 32))

    assert sealer.tree(size).root(size) != before
    assert sealer.tree(size).root(size) == merkle.root(sealer.leaf_hashes(size))
