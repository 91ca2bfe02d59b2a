"""Projections: follow the log with tracking, resume, never apply twice, rebuild to the same rows."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from projections.changes.tables import change_requests
from projections.people.tables import people
from projections.runner import SKIP_PERSIST, ProjectionRunner
from tests.conftest import add_person

if TYPE_CHECKING:
    from app.bootstrap import Services

START = datetime(2026, 4, 1, 10, tzinfo=timezone.utc)


def submit_many(services: Services, person: dict[str, Any], n: int) -> list[str]:
    ids = []
    with services.ledger.acting_as(person["id"]):
        for i in range(n):
            ids.append(services.changes.submit_change_request(
                board_id=None, title=f"Change {i:03}", description="d", category="normal",
                risk="low", systems=[f"s{i % 3}"], planned_start=START + timedelta(hours=i),
                planned_end=START + timedelta(hours=i + 1), rollback_plan="r")["id"])
    return ids


def rows(services: Services, table: Any = change_requests) -> list[tuple[Any, ...]]:
    with services.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(table)))


class TestTracking:
    def test_catch_up_applies_new_events_and_resumes_where_it_stopped(
            self, services: Services) -> None:
        person = add_person(services)
        submit_many(services, person, 3)
        services.projections.catch_up()
        position = services.projections.position("change_requests")

        submit_many(services, person, 2)
        applied = services.projections.catch_up()

        assert applied == 2
        assert len(rows(services)) == 5
        assert services.projections.position("change_requests") > position

    def test_a_second_runner_in_another_process_does_not_apply_events_twice(
            self, services: Services) -> None:
        person = add_person(services)
        submit_many(services, person, 30)
        other = ProjectionRunner(services.ledger, services.engine, batch_size=7)
        mine = ProjectionRunner(services.ledger, services.engine, batch_size=5)
        errors: list[BaseException] = []

        def run(runner: ProjectionRunner) -> None:
            try:
                runner.catch_up()
            except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(r,)) for r in (other, mine)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert errors == []
        assert len(rows(services)) == 30
        assert len(rows(services, people)) == 1

    def test_a_batch_that_fails_leaves_rows_and_position_untouched(
            self, services: Services) -> None:
        person = add_person(services)
        submit_many(services, person, 3)
        runner = services.projections
        projection = next(p for p in runner.projections if p.name == "change_requests")
        original = projection.handlers

        def boom(*args: Any) -> None:
            raise RuntimeError("crash mid-batch")

        type(projection).handlers = {k: boom for k in original}
        try:
            try:
                runner._caught_up_to = -1  # noqa: SLF001
                runner.catch_up()
            except RuntimeError:
                pass
            assert runner.position("change_requests") == 0
            assert rows(services) == []
        finally:
            type(projection).handlers = original

        restarted = ProjectionRunner(services.ledger, services.engine)  # with the fixed handler
        restarted.catch_up()
        assert len(rows(services)) == 3


class TestRebuild:
    def test_rebuild_gives_the_same_rows(self, services: Services) -> None:
        person = add_person(services)
        ids = submit_many(services, person, 12)
        with services.ledger.acting_as(person["id"]):
            services.changes.withdraw_change_request(ids[3])
        services.projections.catch_up()
        before = (rows(services), rows(services, people))

        services.projections.rebuild()

        assert (rows(services), rows(services, people)) == before
        assert dict((r[0], r[11]) for r in rows(services))[ids[3]] == "withdrawn"


class TestSchemaChanges:
    def test_a_read_model_whose_tables_changed_is_rebuilt_at_start_up(
            self, services: Services) -> None:
        from sqlalchemy import update as sql_update

        from projections.tables import schemas

        person = add_person(services)
        submit_many(services, person, 4)
        services.projections.catch_up()
        with services.engine.begin() as conn:
            conn.execute(sql_update(schemas).where(schemas.c.name == "change_requests")
                         .values(fingerprint="an older table definition"))

        services.projections.create_tables()

        assert services.projections.position("change_requests") == 0
        assert rows(services) == []
        assert services.projections.position("people") > 0
        services.projections._caught_up_to = -1  # noqa: SLF001
        services.projections.catch_up()
        assert len(rows(services)) == 4

    def test_unchanged_read_models_are_left_alone(self, services: Services) -> None:
        person = add_person(services)
        submit_many(services, person, 2)
        services.projections.catch_up()
        position = services.projections.position("change_requests")

        services.projections.create_tables()

        assert services.projections.position("change_requests") == position
        assert len(rows(services)) == 2


class ScanLog:
    """The runner's event log, noting where each scan for events starts."""

    def __init__(self, ledger: Any) -> None:
        self.ledger, self.starts = ledger, []
        self.mapper = ledger.mapper

    @property
    def recorder(self) -> Any:
        return self

    def max_notification_id(self) -> int | None:
        return self.ledger.recorder.max_notification_id()

    def select_notifications(self, start: int, limit: int, stop: int | None = None,
                             topics: Any = ()) -> Any:
        self.starts.append(start)
        return self.ledger.recorder.select_notifications(start, limit, stop=stop, topics=topics)


class TestPositionsPastIgnoredEvents:
    def test_a_projection_moves_past_events_it_does_not_follow(
            self, services: Services) -> None:
        person = add_person(services)
        submit_many(services, person, SKIP_PERSIST + 5)

        services.projections.catch_up()

        head = services.ledger.recorder.max_notification_id()
        assert services.projections.position("rehearsals") == head  # no rehearsal events at all
        assert services.projections.position("change_requests") == head

    def test_a_catch_up_after_one_command_scans_only_the_new_event(
            self, services: Services) -> None:
        person = add_person(services)
        submit_many(services, person, 40)
        log = ScanLog(services.ledger)
        runner = ProjectionRunner(log, services.engine)  # type: ignore[arg-type]
        runner.catch_up()
        head = services.ledger.recorder.max_notification_id()

        submit_many(services, person, 1)
        log.starts.clear()
        runner.catch_up()

        assert log.starts and all(start > head for start in log.starts)

    def test_a_rebuild_leaves_every_position_at_the_head(self, services: Services) -> None:
        person = add_person(services)
        submit_many(services, person, 20)

        services.projections.rebuild()

        head = services.ledger.recorder.max_notification_id()
        assert {row["name"]: row["position"] for row in services.projections.status()} == {
            p.name: head for p in services.projections.projections}

    def test_a_skip_never_passes_events_another_runner_has_not_applied(
            self, services: Services) -> None:
        person = add_person(services)
        submit_many(services, person, 5)
        mine = ProjectionRunner(services.ledger, services.engine)
        mine.catch_up()
        other = ProjectionRunner(services.ledger, services.engine)
        with services.engine.begin() as conn:  # the other process rebuilds the read model
            other._reset(conn, next(p for p in other.projections if p.name == "change_requests"))

        submit_many(services, person, 1)
        mine.catch_up()

        assert len(rows(services)) == 6  # all replayed, none skipped, none twice
