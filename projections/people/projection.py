"""Projection of people and their roles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from domain.people.person import Person
from projections.base import Projection, handles
from projections.people.tables import people, person_tokens

if TYPE_CHECKING:
    from projections.base import Writer


class PeopleProjection(Projection):
    """Keeps ``rm_people`` and ``rm_person_tokens`` in step with Person events."""

    name = "people"
    tables = (people, person_tokens)

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

    @handles(Person.RoleChanged)
    def role_changed(self, w: Writer, e: Any) -> None:
        self._set_roles(w, e, [e.role])

    @handles(Person.Deactivated)
    def deactivated(self, w: Writer, e: Any) -> None:
        w.execute(update(people).where(people.c.id == str(e.originator_id)).values(active=False))

    @handles(Person.Reactivated)
    def reactivated(self, w: Writer, e: Any) -> None:
        w.execute(update(people).where(people.c.id == str(e.originator_id)).values(active=True))

    @handles(Person.TokenIssued)
    def token_issued(self, w: Writer, e: Any) -> None:
        w.insert(person_tokens, id=e.token_id, person_id=str(e.originator_id), name=e.label,
                 created_at=e.timestamp, expires_at=getattr(e, "expires_at", None),
                 revoked_at=None)

    @handles(Person.TokenRevoked)
    def token_revoked(self, w: Writer, e: Any) -> None:
        w.execute(update(person_tokens).where(
            person_tokens.c.person_id == str(e.originator_id), person_tokens.c.id == e.token_id)
            .values(revoked_at=e.timestamp))

    @staticmethod
    def _roles(w: Writer, e: Any) -> list[str]:
        return list(w.scalar(select(people.c.roles).where(people.c.id == str(e.originator_id))))

    @staticmethod
    def _set_roles(w: Writer, e: Any, roles: list[str]) -> None:
        w.execute(update(people).where(people.c.id == str(e.originator_id)).values(roles=roles))
