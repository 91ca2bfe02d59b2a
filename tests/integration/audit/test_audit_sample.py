"""The auditor's sample: reproducible from its seed, bound to its population by a hash, each
sampled change with its evidence; segregation-of-duties failures flagged; page, CSV, API, CLI
and bundle."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from app.audit.bundle import build_bundle, parse_moment
from app.audit.sampling import population_hash, sample_changes, selection_key
from tests.conftest import bearer, login, valid_change
from tests.integration.audit.test_audit_bundle import unzip, verify
from tests.support.ccb import make_ccb, running_meeting
from web.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from flask.testing import FlaskClient

    from app.bootstrap import Services

FROM, TO = parse_moment("2026-03-01", "from"), parse_moment("2026-03-31", "to", end=True)


def submit(client: FlaskClient, person: dict[str, Any], n: int) -> list[str]:
    return [client.post("/api/v1/change-requests", json=valid_change(title=f"Change {i}"),
                        headers=bearer(person)).get_json()["id"] for i in range(n)]


class TestReproducibility:
    def test_the_same_seed_gives_the_same_sample(self, client: FlaskClient,
                                                 member: dict[str, Any],
                                                 services: Services) -> None:
        submit(client, member, 12)

        first = sample_changes(services, FROM, TO, 5, "audit-2026")
        again = sample_changes(services, FROM, TO, 5, "audit-2026")
        other = sample_changes(services, FROM, TO, 5, "another-seed")

        ids = [i["change_id"] for i in first["items"]]
        assert ids == [i["change_id"] for i in again["items"]]
        assert ids != [i["change_id"] for i in other["items"]]
        assert (first["population"], first["sampled"], first["seed"]) == (12, 5, "audit-2026")
        keys = [i["selection_key"] for i in first["items"]]
        assert keys == sorted(keys)
        assert keys == [selection_key("audit-2026", i) for i in ids]

    def test_the_population_hash_changes_when_the_population_changes(
            self, client: FlaskClient, member: dict[str, Any], services: Services) -> None:
        ids = submit(client, member, 3)
        before = sample_changes(services, FROM, TO, 2, "s")

        submit(client, member, 1)
        after = sample_changes(services, FROM, TO, 2, "s")

        assert before["population_sha256"] == population_hash(ids)
        assert after["population_sha256"] != before["population_sha256"]
        assert after["population"] == 4

    def test_without_a_seed_a_new_one_is_chosen_and_reported(
            self, client: FlaskClient, member: dict[str, Any], services: Services) -> None:
        submit(client, member, 3)

        drawn = sample_changes(services, FROM, TO, 2)

        assert drawn["seed"]
        replay = sample_changes(services, FROM, TO, 2, drawn["seed"])
        assert replay["items"] == drawn["items"]


def approved_by_requester(services: Services) -> tuple[Any, str, str]:
    """A change its requester voted to approve (the charter allows it), and one without."""
    ccb = make_ccb(services, charter={"requester_may_vote": True}, requester_on_board=True)
    own = ccb.submit(title="Self-approved change")
    other = ccb.submit(by=ccb.people[2], title="Properly approved change")
    ccb.schedule()
    ccb.add(own)
    ccb.add(other)
    ccb.open()
    for person in ccb.people:
        ccb.attend(person)
    for person in ccb.people:
        ccb.vote(person, own, "approve")
        if person is not ccb.people[2]:
            ccb.vote(person, other, "approve")
    ccb.decide(own)
    ccb.decide(other)
    return ccb, own, other


class TestEvidence:
    def test_a_requester_approving_their_own_change_fails_segregation_of_duties(
            self, services: Services) -> None:
        ccb, own, other = approved_by_requester(services)

        drawn = sample_changes(services, FROM, TO, 10, "x")

        items = {i["change_id"]: i for i in drawn["items"]}
        assert items[own]["segregation_of_duties"] == "FAIL"
        assert "Paul Product" in items[own]["segregation_detail"]
        assert items[other]["segregation_of_duties"] == "pass"
        approvals = items[other]["approvals"]
        assert len(approvals) == 4
        assert {a["function"] for a in approvals} == {"engineering", "product", "devops", "qa"}
        assert all(a["at"] and a["approver"] for a in approvals)
        assert items[other]["freeze_window"] == "pass"
        assert items[other]["requester"].startswith("Sara Security")
        assert items[other]["implementation"].startswith("no implementation recorded")

    def test_a_chairs_approving_casting_vote_is_listed_as_an_approval(
            self, services: Services) -> None:
        ccb = running_meeting(services)
        change = ccb.changes[0]
        ccb.vote(ccb.people[1], change, "approve")
        ccb.vote(ccb.people[2], change, "reject")
        with ccb.as_(ccb.chair):
            services.ccb.cast_deciding_vote(ccb.meeting_id, change, "approve")

        item = sample_changes(services, FROM, TO, 1, "x")["items"][0]

        capacities = {a["capacity"]: a for a in item["approvals"]}
        assert set(capacities) == {"board member vote", "chair's casting vote"}
        chair = capacities["chair's casting vote"]
        assert chair["approver_id"] == ccb.chair["id"] and chair["function"] == "engineering"
        assert item["segregation_of_duties"] == "pass"

    def test_a_change_planned_inside_a_freeze_fails_the_freeze_check(
            self, client: FlaskClient, member: dict[str, Any], admin: dict[str, Any],
            services: Services) -> None:
        cid = submit(client, member, 1)[0]
        with services.ledger.acting_as(admin["id"], reason="quarter close"):
            services.ccb.declare_freeze("Quarter close", parse_moment("2026-04-01", "s"),
                                        parse_moment("2026-04-02", "e"), ["billing-db"])

        drawn = sample_changes(services, FROM, TO, 1, "x")

        assert drawn["items"][0]["change_id"] == cid
        assert drawn["items"][0]["freeze_window"] == "FAIL"
        assert "Quarter close" in drawn["items"][0]["freeze_detail"]


class TestDelivery:
    def test_the_api_answers_json_and_csv_with_seed_and_population_hash(
            self, client: FlaskClient, member: dict[str, Any], auditor: dict[str, Any],
            services: Services) -> None:
        submit(client, member, 4)
        query = "/api/v1/ledger/sample?from=2026-03-01&to=2026-03-31&size=3&seed=abc"

        body = client.get(query, headers=bearer(auditor)).get_json()
        response = client.get(query + "&format=csv", headers=bearer(auditor))

        assert body["seed"] == "abc" and body["sampled"] == 3
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert [r["change_id"] for r in rows] == [i["change_id"] for i in body["items"]]
        assert {r["population_sha256"] for r in rows} == {body["population_sha256"]}
        assert response.headers["X-Sample-Seed"] == "abc"
        spec = client.get("/api/v1/openapi.json").get_json()
        documented = spec["paths"]["/ledger/sample"]["get"]
        assert {p["name"] for p in documented["parameters"]} >= {"from", "to", "size", "seed"}
        assert "text/csv" in documented["responses"]["200"]["content"]

    def test_bad_input_is_a_422_naming_the_field(self, client: FlaskClient,
                                                 auditor: dict[str, Any]) -> None:
        for query, field in (("from=2026-03-01&to=2026-03-31&size=0", "size"),
                             ("from=2026-03-01&to=2026-03-31&seed=a%20b", "seed"),
                             ("from=nope&to=2026-03-31", "from")):
            response = client.get(f"/api/v1/ledger/sample?{query}", headers=bearer(auditor))
            assert response.status_code == 422, query
            assert field in json.dumps(response.get_json()["error"]), query

    def test_the_page_is_linked_from_the_audit_page_and_shows_the_sample(
            self, client: FlaskClient, member: dict[str, Any], auditor: dict[str, Any],
            services: Services) -> None:
        ids = submit(client, member, 2)
        login(client, auditor)

        index = client.get("/audit/").get_data(as_text=True)
        page = client.get("/audit/sample?from=2026-03-01&to=2026-03-31&size=2&seed=s1")
        download = client.get("/audit/sample?from=2026-03-01&to=2026-03-31&size=2&seed=s1"
                              "&format=csv")
        bad = client.get("/audit/sample?from=2026-03-01&to=2026-03-31&size=x")

        assert "/audit/sample" in index
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert all(i in html for i in ids) and "s1" in html
        assert download.mimetype == "text/csv"
        assert bad.status_code == 422

    def test_the_cli_prints_the_sample_and_writes_csv_and_refuses_bad_input_in_one_line(
            self, client: FlaskClient, member: dict[str, Any], services: Services,
            tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        submit(client, member, 3)
        monkeypatch.setenv("GOVLEDGER_DATABASE_URL", services.settings.database_url)
        monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(services.settings.instance_path))
        out = tmp_path / "sample.csv"

        assert main(["sample", "--from", "2026-03-01", "--to", "2026-03-31", "--size", "2",
                     "--seed", "cli", "--csv", str(out)]) == 0
        printed = capsys.readouterr().out
        assert main(["sample", "--from", "2026-03-01", "--to", "2026-03-31", "--size", "0"]) == 2
        err = capsys.readouterr().err

        assert "seed cli" in printed and "population SHA-256" in printed
        assert len(list(csv.DictReader(out.open()))) == 2
        assert len(err.strip().splitlines()) == 1 and "size" in err

    def test_the_bundle_holds_the_sample_seeded_by_the_checkpoint_root(
            self, client: FlaskClient, member: dict[str, Any], services: Services,
            tmp_path: Path) -> None:
        submit(client, member, 3)

        data, manifest = build_bundle(services, FROM, TO, sample_size=2)

        folder = unzip(data, tmp_path / "b")
        assert verify(folder).returncode == 0
        sample = json.loads((folder / "reports" / "change_sample.json").read_text())
        assert sample["seed"] == manifest["checkpoint"]["root_hash"]
        assert manifest["sample"]["population_sha256"] == sample["population_sha256"]
        rows = list(csv.DictReader((folder / "reports" / "change_sample.csv").open()))
        assert len(rows) == 2
        assert "  reports/change_sample.csv\n" in (folder / "SHA256SUMS").read_text()


def test_a_formula_in_a_sampled_title_is_neutralised_in_the_csv(
        client: FlaskClient, member: dict[str, Any], auditor: dict[str, Any]) -> None:
    client.post("/api/v1/change-requests", json=valid_change(title="=HYPERLINK(\"x\")"),
                headers=bearer(member))

    text = client.get("/api/v1/ledger/sample?from=2026-03-01&to=2026-03-31&size=1&seed=f"
                      "&format=csv", headers=bearer(auditor)).get_data(as_text=True)

    titles = [r["title"] for r in csv.DictReader(io.StringIO(text))]
    assert titles == ["'=HYPERLINK(\"x\")"]


def test_the_population_is_every_change_submitted_within_the_period_ends_included(
        client: FlaskClient, member: dict[str, Any], services: Services,
        clock: Any) -> None:
    """The period is selected in SQL: a change submitted at its first or last microsecond is
    in it, one a microsecond outside is not — and only the sampled changes' decisions are
    read, yet each sampled change still carries its own approvals."""
    from datetime import timedelta

    tick = timedelta(microseconds=1)
    submitted = {}
    for name, at in [("before", FROM - tick), ("first", FROM), ("last", TO),
                     ("after", TO + tick)]:
        clock.now = at
        submitted[name] = submit(client, member, 1)[0]

    drawn = sample_changes(services, FROM, TO, 10, "ends")

    assert drawn["population"] == 2
    assert drawn["population_sha256"] == population_hash([submitted["first"],
                                                          submitted["last"]])
    assert {i["change_id"] for i in drawn["items"]} == {submitted["first"], submitted["last"]}
    assert {i["submitted_at"] for i in drawn["items"]} == {FROM.isoformat(), TO.isoformat()}


def test_a_sample_of_one_carries_the_same_approvals_as_in_a_sample_of_all(
        services: Services) -> None:
    """Only the sampled changes' decisions are read: each sampled change's approvals are the
    same whether the other change is sampled beside it or not."""
    ccb, own, other = approved_by_requester(services)
    start, end = parse_moment("2026-01-01", "from"), parse_moment("2026-12-31", "to", end=True)
    both = {i["change_id"]: i for i in sample_changes(services, start, end, 10, "s")["items"]}
    assert set(both) == {str(own), str(other)}
    assert {a["approver_id"] for a in both[str(own)]["approvals"]} == set(ccb.ids())
    assert {a["approver_id"] for a in both[str(other)]["approvals"]} == set(ccb.ids()) - {
        ccb.people[2]["id"]}
    (single,) = sample_changes(services, start, end, 1, "s")["items"]
    assert single["approvals"] == both[single["change_id"]]["approvals"]
