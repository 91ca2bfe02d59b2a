"""Audit API and pages: public key, checkpoints, proofs checked by an independent verifier,
verification, any entity's history with its inclusion in the latest checkpoint."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tests.conftest import bearer, login, valid_change
from tests.unit.audit.test_audit_merkle import naive_root

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def submit(client: FlaskClient, person: dict[str, Any], n: int) -> list[str]:
    return [client.post("/api/v1/change-requests", json=valid_change(title=f"Change {i}"),
                        headers=bearer(person)).get_json()["id"] for i in range(n)]


def hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def independent_root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """Recompute the root from an audit path by the recursive RFC 6962 definition."""
    def walk(lo: int, hi: int, path: list[bytes]) -> bytes:
        if hi - lo == 1:
            return leaf
        k = 1
        while k * 2 < hi - lo:
            k *= 2
        sibling, rest = path[-1], path[:-1]
        if index < lo + k:
            return hashlib.sha256(b"\x01" + walk(lo, lo + k, rest) + sibling).digest()
        return hashlib.sha256(b"\x01" + sibling + walk(lo + k, hi, rest)).digest()
    return walk(0, size, path)


class TestProofs:
    def test_inclusion_proofs_lead_to_the_signed_root(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        submit(client, member, 5)
        checkpoint = services.audit.seal(force=True)
        assert checkpoint is not None
        leaves = services.audit.leaf_hashes()

        for position in (1, 4, checkpoint["tree_size"]):
            proof = client.get(f"/api/v1/ledger/proofs/inclusion?position={position}"
                               f"&tree_size={checkpoint['tree_size']}",
                               headers=bearer(member)).get_json()
            root = independent_root_from_path(bytes.fromhex(proof["leaf_hash"]),
                                              proof["leaf_index"], proof["tree_size"],
                                              hexes(proof["audit_path"]))
            assert root.hex() == checkpoint["root_hash"] == naive_root(leaves).hex()

    def test_consistency_proofs_verify_and_bad_sizes_are_refused(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        from domain.audit.merkle import verify_consistency

        submit(client, member, 2)
        first = services.audit.seal(force=True)
        submit(client, member, 3)
        second = services.audit.seal(force=True)
        assert first and second

        body = client.get(f"/api/v1/ledger/proofs/consistency?first={first['tree_size']}"
                          f"&second={second['tree_size']}", headers=bearer(member)).get_json()
        bad = client.get("/api/v1/ledger/proofs/consistency?first=9&second=2",
                         headers=bearer(member))
        beyond = client.get("/api/v1/ledger/proofs/inclusion?position=99999",
                            headers=bearer(member))

        assert body["first_root"] == first["root_hash"]
        assert verify_consistency(first["tree_size"], second["tree_size"],
                                  bytes.fromhex(first["root_hash"]),
                                  bytes.fromhex(second["root_hash"]), hexes(body["proof"]))
        assert bad.status_code == 422 and "second" in bad.get_json()["error"]["details"]
        assert beyond.status_code == 404


class TestCheckpointsAndKeys:
    def test_the_public_key_verifies_the_latest_checkpoint_signature(
            self, client: FlaskClient, services: Services, auditor: dict[str, Any]) -> None:
        services.audit.seal(force=True)

        pem = client.get("/api/v1/ledger/public-key?format=pem", headers=bearer(auditor))
        latest = client.get("/api/v1/ledger/checkpoints/latest",
                            headers=bearer(auditor)).get_json()

        key = load_pem_public_key(pem.data)
        key.verify(base64.b64decode(latest["signature"]), latest["body"].encode())  # type: ignore[union-attr]
        assert latest["body"].splitlines()[1] == str(latest["tree_size"])

    def test_the_latest_checkpoint_is_served_as_a_signed_note_that_verify_against_accepts(
            self, client: FlaskClient, services: Services, auditor: dict[str, Any]) -> None:
        missing = client.get("/api/v1/ledger/checkpoints/latest/note", headers=bearer(auditor))
        services.audit.seal(force=True)

        note = client.get("/api/v1/ledger/checkpoints/latest/note", headers=bearer(auditor))

        assert missing.status_code == 404
        assert note.status_code == 200 and note.mimetype == "text/plain"
        text = note.get_data(as_text=True)
        assert text.startswith("Governance Ledger\n") and "\n\n\u2014 governance-ledger " in text
        assert services.audit.verify_against(text) == (1, [])

    def test_admins_seal_on_demand_and_auditors_may_not(
            self, client: FlaskClient, admin: dict[str, Any], auditor: dict[str, Any]) -> None:
        refused = client.post("/api/v1/ledger/checkpoints", headers=bearer(auditor))
        sealed = client.post("/api/v1/ledger/checkpoints", headers=bearer(admin))

        assert refused.status_code == 403
        assert sealed.status_code == 201 and sealed.get_json()["tree_size"] >= 1

    def test_verify_reports_an_intact_ledger(self, client: FlaskClient, services: Services,
                                             auditor: dict[str, Any]) -> None:
        services.audit.seal(force=True)

        report = client.get("/api/v1/ledger/verify", headers=bearer(auditor)).get_json()

        assert report["ok"] is True and report["first_bad_position"] is None


class TestHistory:
    def test_any_entity_history_shows_positions_and_inclusion_in_the_latest_checkpoint(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        [change_id] = submit(client, member, 1)
        client.post(f"/api/v1/change-requests/{change_id}/withdraw", json={"reason": "no"},
                    headers=bearer(member))
        services.audit.seal(force=True)

        generic = client.get(f"/api/v1/entities/{change_id}/history",
                             headers=bearer(member)).get_json()
        specific = client.get(f"/api/v1/change-requests/{change_id}/history",
                              headers=bearer(member)).get_json()
        person = client.get(f"/api/v1/entities/{member['id']}/history",
                            headers=bearer(member)).get_json()
        unknown = client.get("/api/v1/entities/not-an-id/history", headers=bearer(member))

        assert generic == specific
        assert [e["type"] for e in generic["events"]] == ["Submitted", "Withdrawn"]
        assert all(e["sealed"]["included"] for e in generic["events"])
        assert generic["events"][0]["position"] < generic["events"][1]["position"]
        assert "[redacted]" in str(person)
        assert unknown.status_code == 404

    def test_the_history_tab_shows_that_each_event_is_sealed(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        [change_id] = submit(client, member, 1)
        services.audit.seal(force=True)
        login(client, member)

        html = client.get(f"/changes/{change_id}?tab=history").get_data(as_text=True)
        link = re.search(r'href="(/audit/proofs/[^"]+)"', html)
        assert link is not None
        proof = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)

        assert "in checkpoint" in html
        assert "leads to the signed root" in proof


class TestVerifyPage:
    def test_an_auditor_runs_verification_from_the_page(
            self, client: FlaskClient, services: Services, auditor: dict[str, Any]) -> None:
        from tests.conftest import csrf_token

        services.audit.seal(force=True)
        auditor["password"] = auditor["password"] or "correct-horse-battery"
        login(client, auditor)

        started = client.post("/audit/verify", data={"csrf_token": csrf_token(client, "/audit/")})
        assert started.status_code == 302
        for _ in range(100):
            html = client.get(started.headers["Location"]).get_data(as_text=True)
            if "Checking" not in html:
                break
            time.sleep(0.05)

        assert "Intact." in html


def test_the_openapi_document_describes_the_audit_routes(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    docs = client.get("/api/v1/docs")

    assert {"/ledger/proofs/inclusion", "/ledger/proofs/consistency", "/ledger/public-key",
            "/ledger/bundle", "/entities/{entity_id}/history"} <= set(spec["paths"])
    assert docs.status_code == 200
