"""The ``govledger`` command: init, user add|deactivate|reactivate|role|token, serve, demo,
projections rebuild|status."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError

from app.bootstrap import Services, bootstrap
from app.config import ConfigError, load_settings
from app.people.schemas import PersonInputSchema
from domain.errors import InvalidInput, LedgerError
from web.cli import preflight
from web.cli.access import add_access_commands
from web.cli.audit import add_audit_commands

if TYPE_CHECKING:
    from collections.abc import Sequence
from web.cli.progress import progress_bar

USER_ERRORS = (LedgerError, ConfigError)


class CliError(Exception):
    """Raised for a user error the CLI reports on stderr with a non-zero exit."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user errors are one line on stderr and exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        preflight.check(args, settings)
        services = bootstrap(settings)
    except (ConfigError, preflight.Refused) as exc:
        print(f"govledger: {exc}", file=sys.stderr)
        return 2
    except preflight.STORE_ERRORS as exc:
        print(f"govledger: {preflight.describe(exc)}", file=sys.stderr)
        return 2
    try:
        return int(args.func(services, args) or 0)
    except ValidationError as exc:
        for field, messages in _flatten(exc.messages):
            print(f"govledger: --{field}: {' '.join(messages)}", file=sys.stderr)
        return 2
    except InvalidInput as exc:
        for field, messages in _flatten(exc.details):
            print(f"govledger: --{field}: {' '.join(messages)}", file=sys.stderr)
        return 2
    except USER_ERRORS as exc:
        code = getattr(exc, "code", "error")
        print(f"govledger: {code}: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"govledger: {exc}", file=sys.stderr)
        return 2
    except preflight.STORE_ERRORS as exc:
        print(f"govledger: {preflight.describe(exc)}", file=sys.stderr)
        return 2
    finally:
        services.close()


def _flatten(messages: Any) -> list[tuple[str, list[str]]]:
    if isinstance(messages, dict):
        return [(k, v if isinstance(v, list) else [str(v)]) for k, v in messages.items()]
    return [("input", [str(messages)])]


def build_parser() -> argparse.ArgumentParser:
    """Describe every subcommand."""
    parser = argparse.ArgumentParser(prog="govledger", description=(
        "Governance Ledger. Honours GOVLEDGER_DATABASE_URL and GOVLEDGER_INSTANCE_PATH."))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create the store and the first admin").set_defaults(func=cmd_init)
    user = sub.add_parser("user", help="manage people").add_subparsers(dest="action",
                                                                        required=True)
    add = user.add_parser("add", help="add a person; prints {id, token} as JSON")
    for name in ("name", "email", "function"):
        add.add_argument(f"--{name}", required=True)
    add.add_argument("--role", required=True)
    add.add_argument("--password", default=None, help="optional web password (12+ characters)")
    add.set_defaults(func=cmd_user_add)
    add_access_commands(user)
    serve = sub.add_parser("serve", help="serve the web UI and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="1-65535")
    serve.add_argument("--workers", default=None,
                       help="web processes (default GOVLEDGER_WEB_WORKERS, else 2)")
    serve.add_argument("--threads", default=None,
                       help="request threads in each web process (default "
                            "GOVLEDGER_WEB_THREADS, else 4 on PostgreSQL, 2 on SQLite)")
    serve.add_argument("--no-worker", action="store_true",
                       help="do not start a `govledger worker` process beside the web processes "
                            "(run them elsewhere; also GOVLEDGER_SERVE_WORKER=0)")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("demo", help="load demo data once").set_defaults(func=cmd_demo)
    generate = sub.add_parser("generate", help="append a realistic generated history (scale "
                                               "tests, benchmarks)")
    generate.add_argument("--events", required=True, help="how many events to append (>= 1)")
    generate.add_argument("--seed", default="0", help="the same seed on the same store gives "
                                                      "the same history (default 0)")
    generate.set_defaults(func=cmd_generate)
    proj = sub.add_parser("projections", help="read models").add_subparsers(dest="action",
                                                                           required=True)
    proj.add_parser("rebuild", help="drop and rebuild every read model").set_defaults(
        func=cmd_rebuild)
    proj.add_parser("status", help="position and lag of each projection").set_defaults(
        func=cmd_status)
    esc = sub.add_parser("escalations", help="clock-driven incident escalation").add_subparsers(
        dest="action", required=True)
    tick = esc.add_parser("tick", help="fire every time-based escalation that is due")
    tick.add_argument("--now", default=None, help="evaluate at this ISO 8601 time (default: now)")
    tick.set_defaults(func=cmd_escalations_tick)
    worker = sub.add_parser("worker", help="apply new events to the read models, seal, escalate, "
                            "derive and deliver notifications (email, webhooks) until stopped; "
                            "safe to run several, on several hosts")
    worker.add_argument("--interval", type=float, default=None,
                        help="seconds between rounds (default GOVLEDGER_WORKER_INTERVAL or 1)")
    worker.add_argument("--once", action="store_true", help="run one round, print it, and exit")
    worker.add_argument("--parent", type=int, default=0, help=argparse.SUPPRESS)
    worker.set_defaults(func=cmd_worker)
    add_audit_commands(sub)
    return parser


def first_admin_exists(services: Services) -> bool:
    """Whether anyone holds the admin role."""
    from app.people.queries import list_people

    services.projections.catch_up()
    return any("admin" in p["roles"] for p in list_people(services.engine))


def cmd_init(services: Services, args: argparse.Namespace) -> int:
    """Create the store (already done by bootstrap) and the first admin, once."""
    if first_admin_exists(services):
        services.audit.seal()
        print("govledger: store already initialised (an admin exists); nothing to do")
        return 0
    password = secrets.token_urlsafe(12)
    with services.ledger.as_system(reason="govledger init"):
        result = services.people.register_person(
            name="Administrator", email="admin@example.org", function="management",
            role="admin", password=password)
    services.projections.catch_up()
    services.audit.seal(force=True)
    print("Created the first admin. These credentials are shown once:")
    print("  email:    admin@example.org")
    print(f"  password: {password}")
    print(f"  token:    {result['token']}")
    return 0


def cmd_user_add(services: Services, args: argparse.Namespace) -> int:
    """Add a person and print their id and first API token as JSON."""
    data = PersonInputSchema().load({"name": args.name, "email": args.email,
                                     "function": args.function, "role": args.role,
                                     "password": args.password})
    with services.ledger.as_system(reason="govledger user add"):
        result = services.people.register_person(**data)
    services.projections.catch_up()
    services.audit.seal()
    print(json.dumps({"id": result["id"], "token": result["token"]}))
    return 0


def cmd_demo(services: Services, args: argparse.Namespace) -> int:
    """Load the demo data unless it is there already."""
    from app.demo import load_demo

    earlier = services.ledger.recorder.max_notification_id() or 0
    loaded = load_demo(services)
    services.audit.seal(force=loaded)
    print("Loaded demo data." if loaded else "Demo data already present; nothing to do.")
    if loaded and earlier:
        print(f"Note: the store already held {earlier} events, so the demo's story (dated over "
              "the last 30 days) sits after them in the log; as-of views show it from now on. "
              "Load the demo into an empty store to browse its history as of past days.")
    return 0


def cmd_generate(services: Services, args: argparse.Namespace) -> int:
    """Append a seeded, realistic history (whole commands, at least --events events)."""
    import time

    from app.generate import generate

    events = _whole_number(args.events, "events", minimum=1)
    seed = _whole_number(args.seed, "seed", minimum=0)
    advance, close = progress_bar(events, "generate")
    began = time.perf_counter()
    try:
        appended = generate(services, events, seed=seed, progress=advance)
    finally:
        close()
    took = time.perf_counter() - began
    print(f"Appended {appended} events (seed {seed}) in {took:.1f} s "
          f"({appended / max(took, 1e-9):,.0f} events/s). Read models catch up when the service "
          f"starts (or run `govledger projections rebuild`).")
    return 0


def _whole_number(value: str, field: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise CliError(f"--{field}: {value!r} is not a whole number") from None
    if number < minimum:
        raise CliError(f"--{field}: must be at least {minimum}, not {number}")
    return number


def cmd_serve(services: Services, args: argparse.Namespace) -> int:
    """Serve the web UI and API under gunicorn (``web/cli/serving.py``), with a worker process
    for the background work unless --no-worker."""
    from web.cli import serving

    if args.workers is not None:
        args.workers = _whole_number(args.workers, "workers", minimum=1)
        if args.workers > 64:
            raise CliError(f"--workers: at most 64, not {args.workers}")
    if args.threads is not None:
        args.threads = _whole_number(args.threads, "threads", minimum=1)
        if args.threads > 64:
            raise CliError(f"--threads: at most 64, not {args.threads}")
    return serving.serve(services, args)


def cmd_worker(services: Services, args: argparse.Namespace) -> int:
    """Run the background work: read models, sealing, escalations, notifications derived from
    the log, delivery with retries. Several may run at once; each stops cleanly on Ctrl+C or
    SIGTERM."""
    from web.cli import serving

    if args.interval is not None and not 0 < args.interval <= 3600:
        raise ValidationError({"interval": ["must be a number of seconds between 0 and 3600"]})
    return serving.work(services, args)


def cmd_rebuild(services: Services, args: argparse.Namespace) -> int:
    """Drop and rebuild every read model from the events."""
    head = services.ledger.recorder.max_notification_id() or 0
    advance, close = progress_bar(head * len(services.projections.projections), "rebuild")
    try:
        applied = services.projections.rebuild(progress=advance)
    finally:
        close()
    print(f"Rebuilt {len(services.projections.projections)} read models from {head} events "
          f"({applied} applied).")
    return 0


def cmd_status(services: Services, args: argparse.Namespace) -> int:
    """Print each projection's position, how far behind it is, and any projection stalled on
    an event its handler cannot apply (with the position and the error)."""
    rows = services.projections.status()
    print(f"{'projection':<24}{'position':>10}{'head':>10}{'pending':>10}")
    for row in rows:
        print(f"{row['name']:<24}{row['position']:>10}{row['head']:>10}{row['pending']:>10}")
    for row in rows:
        if row["failure"]:
            failure = row["failure"]
            print(f"{row['name']} stalled at notification {failure['position']} "
                  f"({failure['topic']}) since {failure['failed_at']:%Y-%m-%d %H:%M:%S}Z: "
                  f"{failure['error']}")
    return 0


def cmd_escalations_tick(services: Services, args: argparse.Namespace) -> int:
    """Append the escalations due now (or at --now); safe to run late, twice or concurrently."""
    from app.oncall.escalations import tick
    from app.schemas import when

    try:
        at = when().deserialize(args.now) if args.now else None
    except ValidationError as exc:
        raise ValidationError({"now": exc.messages}) from None
    fired = tick(services, at)
    print(json.dumps({"escalations": fired}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
