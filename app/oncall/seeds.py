"""The six incident-response runbooks of the team guide (T4.3 deliverable 3), as first revisions."""

from __future__ import annotations

from typing import Any

RUNBOOKS: list[dict[str, Any]] = [
    {"category": "database", "title": "Database issues", "sections": {
        "Connection pool exhaustion": [
            "Check active vs. maximum connections on the pool dashboard.",
            "Find long-running or idle-in-transaction sessions and terminate them.",
            "Raise the pool size only as a stop-gap; open an action item for the leak."],
        "Slow queries": [
            "List the slowest statements (pg_stat_statements) for the last 15 minutes.",
            "Compare plans with EXPLAIN ANALYZE; add the missing index in a change request.",
            "Throttle the offending job if users are affected."],
        "Deadlocks": [
            "Read the deadlock report in the database log.",
            "Identify the two code paths and their lock order.",
            "Retry the failed transactions; schedule a fix to lock in one order."]}},
    {"category": "api", "title": "API failures", "sections": {
        "500 errors": [
            "Check the error-rate dashboard and the latest deployment.",
            "Read the stack traces of the top error; roll back if it started with a deploy."],
        "Timeout issues": [
            "Check upstream latency (database, payment provider, storage).",
            "Shed load or raise timeouts temporarily; never both at once."],
        "Rate limit exceeded": [
            "Identify the client hitting the limit from the gateway logs.",
            "Contact the client or raise its quota through a standard change."]}},
    {"category": "authentication", "title": "Authentication problems", "sections": {
        "Login failures": [
            "Check the identity provider's status page and our login error rate.",
            "Verify clock skew and certificate validity on the auth service."],
        "Session issues": [
            "Check the session store's health and eviction rate.",
            "Confirm the signing key was not rotated without a grace period."],
        "2FA problems": [
            "Check the SMS/TOTP provider status.",
            "Use the documented break-glass procedure for locked-out admins only."]}},
    {"category": "payment", "title": "Payment processing", "sections": {
        "Stripe webhook failures": [
            "Check the webhook delivery log in the Stripe dashboard.",
            "Verify the signing secret; replay failed events once fixed."],
        "Payment stuck": [
            "Find payments pending longer than 30 minutes.",
            "Reconcile with the provider before retrying; never charge twice."]}},
    {"category": "cloud_storage", "title": "Cloud storage", "sections": {
        "Upload failures": [
            "Check the storage provider's status and our upload error rate.",
            "Verify credentials and bucket quotas."],
        "Access issues": [
            "Check bucket policies and recent IAM changes.",
            "Regenerate signed URLs if their key was rotated."]}},
    {"category": "deployment", "title": "Deployment rollback", "sections": {
        "When to roll back": [
            "Error rate above 2% or p95 latency above 500 ms after a deploy.",
            "Any data-corrupting bug: roll back first, investigate after."],
        "How to roll back": [
            "Redeploy the previous image tag from the release log.",
            "Run the down-migration only if the runbook of the release says it is safe.",
            "Announce the rollback in the incident channel and record it on the incident."]}},
]


def runbook_markdown(book: dict[str, Any]) -> str:
    """The Markdown text of a seeded runbook."""
    lines = [f"# {book['title']}", "",
             "Acknowledge the page within 15 minutes. Escalate to the secondary if not resolved "
             "within 30 minutes.", ""]
    for heading, steps in book["sections"].items():
        lines += [f"## {heading}", ""]
        lines += [f"{i}. {step}" for i, step in enumerate(steps, 1)]
        lines.append("")
    return "\n".join(lines)
