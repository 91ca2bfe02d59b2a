"""Read side of people: the directory and display names (read models only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.paging import DEFAULT_LIMIT, fetch_page
from app.people.token_usage import last_used
from projections.base import from_db
from projections.people.tables import people, person_tokens

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine


def list_people(engine: Engine) -> list[dict[str, Any]]:
    """Return everyone, by name."""
    with engine.connect() as conn:
        rows = list(conn.execute(select(people).order_by(people.c.name)))
    return [{**dict(r._mapping), "registered_at": from_db(r.registered_at)} for r in rows]


def person_choices(engine: Engine) -> list[dict[str, Any]]:
    """Everyone's id and name, by name (a picker's choices)."""
    with engine.connect() as conn:
        return [{"id": r.id, "name": r.name} for r in conn.execute(
            select(people.c.id, people.c.name).order_by(people.c.name))]


def people_page(engine: Engine, *, limit: int = DEFAULT_LIMIT,
                offset: int = 0) -> dict[str, Any]:
    """One page of the directory, by name, with how many people there are."""
    return fetch_page(engine, select(people).order_by(people.c.name, people.c.id), limit=limit,
                      offset=offset, convert=lambda r: {**dict(r._mapping),
                                                        "registered_at": from_db(r.registered_at)},
                      total=select(func.count()).select_from(people))


def people_names(engine: Engine) -> dict[str, str]:
    """Map person id to name (for showing actors in history)."""
    with engine.connect() as conn:
        return {r.id: r.name for r in conn.execute(select(people.c.id, people.c.name))}


def list_tokens(engine: Engine, person_id: str) -> list[dict[str, Any]]:
    """A person's API tokens that are not revoked, newest first (never the secret)."""
    t = person_tokens
    with engine.connect() as conn:
        rows = list(conn.execute(select(t).where(t.c.person_id == str(person_id),
                                                 t.c.revoked_at.is_(None))
                                 .order_by(t.c.created_at.desc())))
    used = last_used(engine, person_id, (r.id for r in rows))
    return [_token(r, used.get(r.id)) for r in rows]


def get_token(engine: Engine, person_id: str, token_id: str) -> dict[str, Any] | None:
    """One of a person's tokens, revoked or not (None if there is no such token)."""
    t = person_tokens
    with engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.person_id == str(person_id),
                                           t.c.id == token_id)).first()
    if row is None:
        return None
    return _token(row, last_used(engine, person_id, [token_id]).get(token_id))


def _token(r: Any, used: datetime | None) -> dict[str, Any]:
    return {"id": r.id, "person_id": r.person_id, "name": r.name,
            "created_at": from_db(r.created_at), "expires_at": from_db(r.expires_at),
            "revoked_at": from_db(r.revoked_at), "last_used_at": used}


def token_owner(engine: Engine, token_id: str) -> str | None:
    """The id of the person holding the unrevoked token ``token_id`` (None if nobody)."""
    t = person_tokens
    with engine.connect() as conn:
        return conn.scalar(select(t.c.person_id).where(t.c.id == token_id,
                                                       t.c.revoked_at.is_(None)).limit(1))
