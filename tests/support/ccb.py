"""Helpers for the Change Control Board tests: a five-function board and its first meeting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from app.changes.schemas import ChangeRequestInputSchema
from tests.conftest import add_person, valid_change

if TYPE_CHECKING:
    from app.bootstrap import Services

ROLES = [("Erin Engineering", "engineering"), ("Paul Product", "product"),
         ("Sara Security", "security"), ("Dev Ops", "devops"), ("Quinn QA", "qa")]
START = datetime(2026, 3, 4, 14, 0, tzinfo=timezone.utc)


@dataclass
class Ccb:
    """A board of five members (engineering chairs), an admin, a requester and a meeting."""

    services: Services
    admin: dict[str, Any]
    people: list[dict[str, Any]]
    requester: dict[str, Any]
    board_id: str = ""
    meeting_id: str = ""
    changes: list[str] = field(default_factory=list)

    @property
    def ledger(self) -> Any:
        return self.services.ledger

    @property
    def chair(self) -> dict[str, Any]:
        return self.people[0]

    def ids(self) -> list[str]:
        return [p["id"] for p in self.people]

    def as_(self, person: dict[str, Any] | str, **context: Any) -> Any:
        return self.ledger.acting_as(person if isinstance(person, str) else person["id"],
                                     **context)

    def submit(self, by: dict[str, Any] | None = None, **overrides: Any) -> str:
        data = ChangeRequestInputSchema().load(valid_change(**overrides))
        with self.as_(by or self.requester):
            change_id = self.services.changes.submit_change_request(**data)["id"]
        self.changes.append(change_id)
        return change_id

    def schedule(self) -> str:
        with self.as_(self.chair):
            self.meeting_id = self.services.ccb.schedule_meeting(self.board_id, START)["id"]
        return self.meeting_id

    def open(self) -> None:
        with self.as_(self.chair):
            self.services.ccb.open_meeting(self.meeting_id)

    def add(self, change_id: str) -> None:
        with self.as_(self.chair):
            self.services.ccb.add_agenda_item(self.meeting_id, change_id)

    def attend(self, person: dict[str, Any], mode: str = "in_person") -> None:
        with self.as_(person):
            self.services.ccb.record_attendance(
                self.meeting_id, person["id"], mode,
                "https://meet.example.org/rec/1" if mode == "remote" else None)

    def vote(self, person: dict[str, Any], change_id: str, choice: str,
             on_behalf_of: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.as_(person):
            return self.services.ccb.cast_vote(self.meeting_id, change_id, choice,
                                         on_behalf_of["id"] if on_behalf_of else None)

    def decide(self, change_id: str, by: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.as_(by or self.chair):
            return self.services.ccb.decide_item(self.meeting_id, change_id)

    def proxy(self, grantor: dict[str, Any], holder: dict[str, Any]) -> str:
        with self.as_(grantor):
            return self.services.ccb.give_proxy(self.meeting_id, grantor["id"], holder["id"])["id"]


def make_ccb(services: Services, charter: dict[str, Any] | None = None,
             requester_on_board: bool = False) -> Ccb:
    """Create the people and the board (no meeting yet)."""
    admin = add_person(services, "admin", "management", name="Ada Admin")
    people = [add_person(services, "member", function, name=name) for name, function in ROLES]
    requester = people[1] if requester_on_board else add_person(
        services, "member", "engineering", name="Rita Requester")
    ccb = Ccb(services=services, admin=admin, people=people, requester=requester)
    with ccb.as_(admin, reason="board set up"):
        ccb.board_id = services.ccb.create_board(
            name="Platform CCB", chair_id=people[0]["id"], members=ccb.ids(),
            charter=charter)["id"]
    return ccb


def running_meeting(services: Services, n_changes: int = 1, charter: dict[str, Any] | None = None,
                    attend: int = 5) -> Ccb:
    """A board, an open meeting with ``n_changes`` items and the first ``attend`` members in."""
    ccb = make_ccb(services, charter)
    for i in range(n_changes):
        ccb.submit(title=f"Change number {i + 1}")
    ccb.schedule()
    for change_id in ccb.changes:
        ccb.add(change_id)
    ccb.open()
    for person in ccb.people[:attend]:
        ccb.attend(person)
    return ccb
