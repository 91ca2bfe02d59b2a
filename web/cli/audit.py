"""``govledger seal|verify|checkpoint|keys|witness|bundle|sample``: the audit subcommands."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from app.audit.service import Problem
    from app.bootstrap import Services


def add_audit_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the audit subcommands on the ``govledger`` parser."""
    sub.add_parser("seal", help="seal new events and sign a checkpoint now").set_defaults(
        func=cmd_seal)
    verify = sub.add_parser("verify", help="recompute every leaf and check every checkpoint; "
                                           "exit 0 when intact, 1 when tampered")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--read-models", action="store_true",
                        help="also replay the log into a scratch database and compare every "
                             "read-model table with the live one")
    verify.add_argument("--against", metavar="FILE",
                        help="checkpoints kept elsewhere (signed notes from `checkpoint "
                             "export`): prove today's log extends each")
    verify.set_defaults(func=cmd_verify)
    checkpoint = sub.add_parser("checkpoint", help="signed checkpoints").add_subparsers(
        dest="action", required=True)
    export = checkpoint.add_parser("export", help="print the latest checkpoint (or every one) "
                                                  "as a C2SP signed note, for a witness")
    export.add_argument("--all", action="store_true", help="every checkpoint, oldest first")
    export.add_argument("--out", help="write to this file instead of standard output")
    export.set_defaults(func=cmd_checkpoint_export)
    keys = sub.add_parser("keys", help="checkpoint signing keys").add_subparsers(
        dest="action", required=True)
    keys.add_parser("rotate", help="replace the signing key (recorded as an event)"
                    ).set_defaults(func=cmd_rotate)
    keys.add_parser("rotate-event-key", help="add a new event-authentication (HMAC) key and "
                                             "tag new events with it (recorded as an event)"
                    ).set_defaults(func=cmd_rotate_event_key)
    keys.add_parser("show", help="print the public keys").set_defaults(func=cmd_keys_show)
    witness = sub.add_parser("witness", help="checkpoint witnesses (GOVLEDGER_WITNESSES)"
                             ).add_subparsers(dest="action", required=True)
    witness.add_parser("push", help="give the latest checkpoint to every witness now; exit 1 "
                                    "when one did not take it").set_defaults(
        func=cmd_witness_push)
    bundle = sub.add_parser("bundle", help="write a self-verifying compliance export (.zip)")
    bundle.add_argument("--from", dest="start", required=True, help="ISO 8601 date or time")
    bundle.add_argument("--to", dest="end", required=True, help="ISO 8601 date or time")
    bundle.add_argument("--out", required=True, help="the .zip file to write")
    bundle.add_argument("--full-prefix", action="store_true",
                        help="include every event from position 1 (the whole log prefix)")
    bundle.add_argument("--full-verify", action="store_true",
                        help="run `govledger verify` over the whole log first (by default "
                             "only the exported events, the checkpoint and the proofs are "
                             "checked: time proportional to the period)")
    bundle.add_argument("--sample-size", type=int, default=25,
                        help="changes in the bundle's auditor sample (default 25)")
    bundle.add_argument("--seed", help="seed of the bundle's auditor sample (default: the "
                                       "signed checkpoint's root hash)")
    bundle.set_defaults(func=cmd_bundle)
    sample = sub.add_parser("sample", help="an auditor's reproducible random sample of the "
                                           "changes of a period, with their evidence")
    sample.add_argument("--from", dest="start", required=True, help="ISO 8601 date or time")
    sample.add_argument("--to", dest="end", required=True, help="ISO 8601 date or time")
    sample.add_argument("--size", type=int, default=25, help="how many changes (default 25)")
    sample.add_argument("--seed", help="the seed (default: a new random one, printed)")
    sample.add_argument("--csv", metavar="FILE", help="also write the sample as CSV")
    sample.add_argument("--json", action="store_true", help="print the sample as JSON")
    sample.set_defaults(func=cmd_sample)


def cmd_seal(services: Services, args: argparse.Namespace) -> int:
    """Seal and sign a checkpoint now."""
    checkpoint = services.audit.seal(force=True, witness="now")
    assert checkpoint is not None
    print(f"Checkpoint {checkpoint['id']}: {checkpoint['tree_size']} events, root "
          f"{checkpoint['root_hash']}, key {checkpoint['key_id']}")
    report_witnesses(services.audit.witnessed)
    blocked = services.audit.blocked
    if blocked is not None:
        print(f"REFUSED to seal past position {blocked.position}: the event there does not "
              f"authenticate ({blocked.detail}). The checkpoint stops before it. Run "
              f"`govledger verify`, then remove the row or restore the store from a verified "
              f"backup before sealing again.", file=sys.stderr)
        return 1
    return 0


def report_witnesses(results: list[dict[str, object]]) -> bool:
    """Print one line per witness; True when every witness took the checkpoint."""
    for r in results:
        if r["ok"]:
            print(f"witness {r['witness']}: took checkpoint {r['checkpoint_id']} (size "
                  f"{r['tree_size']})")
        else:
            print(f"witness {r['witness']}: FAILED to take checkpoint {r['checkpoint_id']} "
                  f"(size {r['tree_size']}): {r['detail']}. Sealing went on; check that the "
                  f"witness is up and run `govledger witness push`.", file=sys.stderr)
    return all(r["ok"] for r in results)


def cmd_witness_push(services: Services, args: argparse.Namespace) -> int:
    """Push the latest checkpoint to every configured witness."""
    if not services.settings.witnesses:
        print("govledger: no witnesses configured: set GOVLEDGER_WITNESSES to HTTP(S) URLs "
              "and/or folder paths, comma-separated", file=sys.stderr)
        return 2
    if services.audit.latest() is None:
        services.audit.seal(force=True, witness="off")
    return 0 if report_witnesses(services.audit.push_to_witnesses()) else 1


def cmd_verify(services: Services, args: argparse.Namespace) -> int:
    """Verify the whole ledger; non-zero exit and the first bad position when tampered."""
    from web.cli.progress import progress_lines

    head = services.ledger.recorder.max_notification_id() or 0
    advance, close = progress_lines(head, "verify")
    try:
        report = services.audit.verify(progress=advance)
    finally:
        close()
    result = report.as_dict()
    differences: list[dict[str, object]] = []
    if getattr(args, "read_models", False):
        replayed_to, differences = services.as_of.compare_with_live()
        result["read_models"] = {"replayed_to": replayed_to, "ok": not differences,
                                 "differences": differences}
    against: list[Problem] = []
    if getattr(args, "against", None):
        from pathlib import Path

        try:
            kept = Path(args.against).read_text(encoding="utf-8")
        except OSError as exc:
            print(f"govledger: --against: cannot read {args.against}: {exc.strerror}",
                  file=sys.stderr)
            return 2
        checked, against = services.audit.verify_against(kept)
        result["against"] = {"file": args.against, "checked": checked, "ok": not against,
                             "problems": [p.__dict__ for p in against]}
    ok = report.ok and not differences and not against
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return 0 if ok else 1
    for line in report.lines():
        print(line, file=sys.stdout if report.ok else sys.stderr)
    if getattr(args, "against", None):
        if not against:
            print(f"against {args.against}: today's log extends all "
                  f"{result['against']['checked']} kept checkpoint(s) (consistency proofs "
                  f"verified)")
        for p in against:
            print(f"against {args.against}: {p.kind}: {p.detail}",
                  file=sys.stderr)
        if against:
            print(f"What to do next: {against[0].next_step}", file=sys.stderr)
    if getattr(args, "read_models", False):
        if not differences:
            print(f"read models: every table matches a replay of the log up to position "
                  f"{result['read_models']['replayed_to']}")
        for d in differences:
            where = f"table {d['table']}, row {'/'.join(map(str, d['key']))}"  # type: ignore[call-overload]
            what = (f"column {d['column']} is {d['live']!r} live but {d['replayed']!r} from "
                    f"the log" if d["column"] else
                    f"row {d['live']} live but {d['replayed']} from the log")
            print(f"read model DIFFERS: {where}: {what}", file=sys.stderr)
        if differences:
            print("The live read models were changed outside the ledger (or a projection is "
                  "stale). Rebuild them from the log with `govledger projections rebuild` (after checking "
                  "`govledger verify` passes) and find out who wrote to the table.",
                  file=sys.stderr)
    return 0 if ok else 1


def cmd_checkpoint_export(services: Services, args: argparse.Namespace) -> int:
    """Export signed checkpoints as C2SP signed notes."""
    notes = services.audit.export_checkpoints(every=args.all)
    if not notes:
        print("govledger: no checkpoint yet; run `govledger seal` first", file=sys.stderr)
        return 2
    if args.out:
        from pathlib import Path

        Path(args.out).write_text(notes, encoding="utf-8")
        print(f"Wrote {args.out}; keep it where the ledger's operators cannot change it and "
              f"check with `govledger verify --against {args.out}`.")
    else:
        print(notes, end="")
    return 0


def cmd_rotate(services: Services, args: argparse.Namespace) -> int:
    """Rotate the signing key."""
    key_id = services.audit.rotate_key()
    print(f"New signing key {key_id}; the rotation is recorded in the log and sealed.")
    return 0


def cmd_rotate_event_key(services: Services, args: argparse.Namespace) -> int:
    """Rotate the event-authentication key."""
    with services.ledger.as_system(reason="event key rotation"):
        key_id = services.audit.rotate_event_key()
    services.audit.seal(force=True)
    print(f"New event key {key_id}: new events are tagged with it; the rotation is recorded in "
          f"the log and sealed. Earlier events keep verifying with the old key, which stays in "
          f"{services.audit.event_key_path} (back the file up with the signing key).")
    return 0


def cmd_keys_show(services: Services, args: argparse.Namespace) -> int:
    """Print the public keys and the event keys' ids."""
    keys = services.audit.public_keys()
    for key_id, pem in keys["keys"].items():
        print(f"# key {key_id}{' (current)' if key_id == keys['current'] else ''}")
        print(pem, end="")
    event_keys = services.audit.event_keys()
    for key_id in event_keys["key_ids"]:
        retired = event_keys["retired_after"].get(key_id)
        state = (" (current)" if key_id == event_keys["current"] else
                 f" (retired at position {retired})" if retired is not None else "")
        print(f"# event key {key_id}{state}")
    return 0


def cmd_bundle(services: Services, args: argparse.Namespace) -> int:
    """Write the compliance export bundle."""
    from app.audit.bundle import parse_moment, write_bundle

    manifest = write_bundle(services, parse_moment(args.start, "from"),
                            parse_moment(args.end, "to", end=True), args.out,
                            full_prefix=args.full_prefix,
                            sample_size=getattr(args, "sample_size", 25),
                            seed=getattr(args, "seed", None),
                            full_verify=getattr(args, "full_verify", False))
    print(f"Wrote {args.out}: {manifest['counts']['events']} events "
          f"(positions {manifest['first_position']}..{manifest['last_position']}), "
          f"checkpoint of {manifest['checkpoint']['tree_size']} events.")
    return 0


def cmd_sample(services: Services, args: argparse.Namespace) -> int:
    """Print (and optionally write as CSV) an auditor's sample of changes."""
    from pathlib import Path

    from app.audit.bundle import parse_moment
    from app.audit.sampling import sample_changes, sample_csv

    result = sample_changes(services, parse_moment(args.start, "from"),
                            parse_moment(args.end, "to", end=True), args.size, args.seed)
    if args.csv:
        try:
            Path(args.csv).write_text(sample_csv(result), encoding="utf-8")
        except OSError as exc:
            print(f"govledger: --csv: cannot write {args.csv}: {exc.strerror}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Sample of {result['sampled']} of {result['population']} changes; seed "
          f"{result['seed']}; population SHA-256 {result['population_sha256']}; replayed to "
          f"position {result['replayed_to']}")
    for item in result["items"]:
        approvers = ", ".join(f"{a['approver']} [{a['function']}] at {a['at']}"
                              for a in item["approvals"]) or "none"
        print(f"{item['rank']:>3}. {item['change_id']} {item['title']!r} ({item['category']}, "
              f"{item['status']}): approvals {approvers}; segregation of duties "
              f"{item['segregation_of_duties']}; freeze window {item['freeze_window']}; "
              f"{item['implementation']}")
    if args.csv:
        print(f"Wrote {args.csv}")
    return 0
