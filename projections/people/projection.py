"""Projection of people and their roles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from domain.people.person import Person
from projections.base import Projection, handles
from projections.people.tables import people

if TYPE_CHECKING:
    from projections.base import Writer


class PeopleProjection(Projection):
    """Keeps ``rm_people`` in step with Person events."""

    name = "people"
    tables = (people,)

    @handles(Person.Registered)
    def registered(self, w: Writer, e: Any) -> None:
        w.insert(people,
            id=str(e.originator_id), name=e.name, email=e.email, function=e.function,
            roles=[], active=True, registered_at=e.timestamp)

    @handles(Person.RoleGranted)
    def role_granted(self, w: Writer, e: Any) -> None:
        roles = self._roles(w, e)
        self._set_roles(w, e, [*roles, e.role])

    @handles(Person.RoleRevoked)
    def role_revoked(self, w: Writer, e: Any) -> None:
        self._set_roles(w, e, [r for r in self._roles(w, e) if r != e.role])

    @staticmethod
    def _roles(w: Writer, e: Any) -> list[str]:
        return list(w.scalar(select(people.c.roles).where(people.c.id == str(e.originator_id))))

    @staticmethod
    def _set_roles(w: Writer, e: Any, roles: list[str]) -> None:
        w.execute(update(people).where(people.c.id == str(e.originator_id)).values(roles=roles))
