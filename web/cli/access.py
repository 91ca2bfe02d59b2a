"""``govledger user deactivate|reactivate|role|unlock|token issue|token revoke``: withdrawing and
granting access from the command line, as the system actor (each with an optional
``--reason``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from app.people import queries as people_queries
from app.people.schemas import RoleChangeSchema, TokenInputSchema
from app.people.security import parse_token
from app.people.sessions import SessionStore
from app.people.sign_in import PasswordSignIn
from domain.errors import NotFound

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from app.bootstrap import Services


def add_access_commands(user: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the access subcommands under ``govledger user``."""
    for name, func, text in (("deactivate", cmd_deactivate, "withdraw all of a person's access"),
                             ("reactivate", cmd_reactivate, "give a person their access back"),
                             ("unlock", cmd_unlock,
                              "lift a lock after repeated failed sign-ins now")):
        command = user.add_parser(name, help=text)
        _person_and_reason(command)
        command.set_defaults(func=func)
    role = user.add_parser("role", help="make a role the person's only system role")
    _person_and_reason(role)
    role.add_argument("--role", required=True)
    role.set_defaults(func=cmd_role)
    token = user.add_parser("token", help="API tokens").add_subparsers(dest="token_action",
                                                                       required=True)
    issue = token.add_parser("issue", help="issue a token; prints {id, token} as JSON")
    _person_and_reason(issue)
    issue.add_argument("--name", default="cli", help="a name to recognise the token by")
    issue.add_argument("--expires-at", default=None, help="ISO 8601 expiry (default: never)")
    issue.set_defaults(func=cmd_token_issue)
    revoke = token.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", help="the token id (the third part of the token)")
    revoke.add_argument("--reason", default=None)
    revoke.set_defaults(func=cmd_token_revoke)


def _person_and_reason(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", help="the person's id or email address")
    parser.add_argument("--reason", default=None, help="recorded with the event")


def person_id(services: Services, person: str) -> str:
    """Resolve an id or an email address to a person id (NotFound if nobody)."""
    if "@" in person:
        found = services.people.person_id_by_email(person.strip().lower())
        if found is None:
            raise NotFound(f"nobody has the email {person}", email=person)
        return str(found)
    return services.people.get_person(person)["id"]


def _run(services: Services, args: argparse.Namespace, command: Callable[[], Any]) -> Any:
    with services.ledger.as_system(reason=args.reason or f"govledger user {args.action}"):
        result = command()
    services.projections.catch_up()
    services.audit.seal()
    return result


def cmd_deactivate(services: Services, args: argparse.Namespace) -> int:
    """Deactivate a person."""
    pid = person_id(services, args.person)
    _run(services, args, lambda: services.people.deactivate_person(pid))
    SessionStore(services.engine).end_for(pid)
    print(f"deactivated {pid}")
    return 0


def cmd_reactivate(services: Services, args: argparse.Namespace) -> int:
    """Reactivate a person."""
    pid = person_id(services, args.person)
    _run(services, args, lambda: services.people.reactivate_person(pid))
    print(f"reactivated {pid}")
    return 0


def cmd_unlock(services: Services, args: argparse.Namespace) -> int:
    """Lift a person's sign-in lock before it runs out."""
    pid = person_id(services, args.person)
    _run(services, args, lambda: PasswordSignIn(services.engine, services.people).unlock(pid))
    print(f"unlocked {pid}")
    return 0


def cmd_role(services: Services, args: argparse.Namespace) -> int:
    """Change a person's role."""
    pid = person_id(services, args.person)
    role = RoleChangeSchema().load({"role": args.role})["role"]
    _run(services, args, lambda: services.people.change_role(pid, role))
    print(f"{pid} now has the role {role}")
    return 0


def cmd_token_issue(services: Services, args: argparse.Namespace) -> int:
    """Issue a token and print it once, with its id, as JSON."""
    pid = person_id(services, args.person)
    data = TokenInputSchema().load({"name": args.name, "expires_at": args.expires_at})
    token = _run(services, args, lambda: services.people.issue_token(
        pid, label=data["name"], expires_at=data["expires_at"]))
    _, token_id, _ = parse_token(token)  # type: ignore[misc]
    print(json.dumps({"id": token_id, "person_id": pid, "token": token}))
    return 0


def cmd_token_revoke(services: Services, args: argparse.Namespace) -> int:
    """Revoke a token by its id."""
    services.projections.catch_up()
    owner = people_queries.token_owner(services.engine, args.token_id)
    if owner is None:
        raise NotFound(f"no token with id {args.token_id}", id=args.token_id)
    _run(services, args, lambda: services.people.revoke_token(owner, args.token_id))
    print(f"revoked {args.token_id}")
    return 0
