"""Demo people: the team of six (five roles and an auditor), all with the demo password."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.bootstrap import Services



DEMO_PASSWORD = "demo-password-123"


PEOPLE = [
    ("Alice Martin", "alice@example.org", "engineering", "member"),
    ("Bob Chen", "bob@example.org", "security", "member"),
    ("Carol Diaz", "carol@example.org", "product", "member"),
    ("Dave Okafor", "dave@example.org", "qa", "member"),
    ("Erin Novak", "erin@example.org", "devops", "member"),
    ("Frank Auditor", "frank@example.org", "management", "auditor"),
]


def load_people(services: Services) -> dict[str, str]:
    """The demo team; returns their ids by first name (lower case)."""
    ids: dict[str, str] = {}
    with services.ledger.as_system(reason="demo data"):
        for name, email, function, role in PEOPLE:
            ids[email.split("@")[0]] = services.people.register_person(
                name=name, email=email, function=function, role=role,
                password=DEMO_PASSWORD)["id"]
    return ids
