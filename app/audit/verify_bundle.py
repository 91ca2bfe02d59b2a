#!/usr/bin/env python3
"""Check a Governance Ledger compliance bundle offline, with the Python standard library only.

Usage: python3 verify_bundle.py [BUNDLE_FOLDER or BUNDLE.zip]   (default: this script's folder)

Checks: the Ed25519 signature of SHA256SUMS (SHA256SUMS.sig, the checkpoint key), that it lists
every file, every file against it; the manifest against the events; every event's leaf
(recomputed from its fields, its state against the committed SHA-256) and its RFC 6962 inclusion
proof against the root in the signed checkpoint (or, for a whole-prefix bundle, the root
recomputed from every leaf); that the period's events are contiguous in the log and that the
events just outside it are outside the period; the checkpoint's Ed25519 signature with
ledger.pub (RFC 8032, in pure Python here, and again with openssl when it is installed).
Exit 0 when every check passes, 1 otherwise.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys

OPENSSL = ("openssl pkeyutl -verify -pubin -inkey ledger.pub -rawin -in checkpoint.txt "
           "-sigfile checkpoint.sig")
OPENSSL_SUMS = ("openssl pkeyutl -verify -pubin -inkey ledger.pub -rawin -in SHA256SUMS "
                "-sigfile SHA256SUMS.sig")


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(leaves):
    """RFC 6962 MTH, recursive definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


def verify_inclusion(leaf, index, size, path, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


# -- Ed25519 signature verification (RFC 8032 section 5.1.7), pure Python ------------------------

P = 2 ** 255 - 19
D = -121665 * pow(121666, P - 2, P) % P
Q = 2 ** 252 + 27742317777372353535851937790883648493
SQRT_M1 = pow(2, (P - 1) // 4, P)
SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 % P == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _add(a, b):
    e1 = (a[1] - a[0]) * (b[1] - b[0]) % P
    e2 = (a[1] + a[0]) * (b[1] + b[0]) % P
    c = 2 * a[3] * b[3] * D % P
    d = 2 * a[2] * b[2] % P
    e, f, g, h = e2 - e1, d - c, d + c, e2 + e1
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
BASE = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % P)


def ed25519_verify(public, message, signature):
    """Whether ``signature`` is a valid Ed25519 signature of ``message`` by ``public`` (32 bytes)."""
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public), _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    left, right = _mul(s, BASE), _add(r, _mul(h, a))
    return (left[0] * right[2] - right[0] * left[2]) % P == 0 and \
        (left[1] * right[2] - right[1] * left[2]) % P == 0


def public_key_from_pem(pem):
    """The raw 32-byte key of an Ed25519 SubjectPublicKeyInfo PEM."""
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    der = base64.b64decode(body)
    if not der.startswith(SPKI_PREFIX) or len(der) != len(SPKI_PREFIX) + 32:
        raise ValueError("not an Ed25519 public key")
    return der[len(SPKI_PREFIX):]


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def main(folder):
    failures = []

    def fail(message):
        failures.append(message)
        print("FAIL  " + message)

    def read(name):
        with open(os.path.join(folder, name), "rb") as fh:
            return fh.read()

    # 0. SHA256SUMS is signed with the checkpoint key and lists every file
    try:
        sums_signed = ed25519_verify(public_key_from_pem(read("ledger.pub").decode()),
                                     read("SHA256SUMS"), read("SHA256SUMS.sig"))
    except (ValueError, OSError):
        sums_signed = False
    if sums_signed:
        print("ok    SHA256SUMS signature verified (Ed25519, ledger.pub, pure Python)")
    else:
        fail("SHA256SUMS.sig: the signature of SHA256SUMS does not verify with ledger.pub "
             "(a file was changed and the sums recomputed, or the signature is missing)")
    openssl = shutil.which("openssl")
    if openssl:
        result = subprocess.run(OPENSSL_SUMS.replace("openssl", openssl, 1).split(),
                                cwd=folder, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            fail("SHA256SUMS signature: openssl says " + (result.stdout + result.stderr).strip())
        else:
            print("ok    SHA256SUMS signature verified with openssl (Ed25519, ledger.pub)")

    # 1. every file against SHA256SUMS
    listed = {}
    for line in read("SHA256SUMS").decode().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        try:
            actual = hashlib.sha256(read(name)).hexdigest()
        except OSError:
            fail(f"{name}: listed in SHA256SUMS but missing")
            continue
        if actual != digest:
            fail(f"{name}: SHA-256 does not match SHA256SUMS")
    for here, _dirs, names in os.walk(folder):
        for name in names:
            rel = os.path.relpath(os.path.join(here, name), folder).replace(os.sep, "/")
            if rel not in listed and rel not in ("SHA256SUMS", "SHA256SUMS.sig") and \
                    "__pycache__" not in rel:
                fail(f"{rel}: in the bundle but not listed in SHA256SUMS")
    print(f"ok    {len(listed)} files checked against SHA256SUMS" if not failures else
          "FAIL  SHA256SUMS")

    # 2. the checkpoint
    note = read("checkpoint.txt").decode()
    lines = note.split("\n")
    size, root = int(lines[1]), base64.b64decode(lines[2])
    manifest = json.loads(read("manifest.json"))
    if manifest["checkpoint"]["tree_size"] != size or \
            manifest["checkpoint"]["root_hash"] != root.hex():
        fail("manifest.json and checkpoint.txt disagree on the tree size or root")

    # 3. every event: leaf, state, proof
    events = [json.loads(line) for line in read("events.jsonl").decode().splitlines() if line]
    proofs = {}
    if "proofs.jsonl" in listed:
        for line in read("proofs.jsonl").decode().splitlines():
            if line:
                p = json.loads(line)
                proofs[p["leaf_index"]] = p
    leaves = {}
    for e in events:
        leaf, where = e["leaf"], f"position {e['leaf']['position']}"
        if e.get("state") is not None:
            state = base64.b64decode(e["state"])
            if hashlib.sha256(state).hexdigest() != leaf["state_sha256"]:
                fail(f"{where}: state does not match its committed SHA-256")
            try:
                recorded = json.loads(state)["timestamp"]["_data_"]
                if not recorded.startswith(leaf["recorded_at"][:19]):
                    fail(f"{where}: recorded_at does not match the time inside the state")
            except (ValueError, KeyError, TypeError):
                pass
        h = leaf_hash(canonical(leaf))
        leaves[e["leaf_index"]] = h
        if manifest["mode"] != "full_prefix":
            p = proofs.get(e["leaf_index"])
            if p is None or not verify_inclusion(h, e["leaf_index"], size,
                                                 [bytes.fromhex(x) for x in p["audit_path"]],
                                                 root):
                fail(f"{where}: inclusion proof does not lead to the signed root")
    if manifest["mode"] == "full_prefix":
        if sorted(leaves) != list(range(size)):
            fail("the whole-prefix bundle does not hold every leaf 0..tree_size-1")
        elif tree_root([leaves[i] for i in range(size)]) != root:
            fail("the root recomputed from every event is not the signed root")
    print(f"ok    {len(events)} events: leaves recomputed, proofs checked against the signed "
          f"root" if not failures else "FAIL  events")

    # 4. completeness of the period
    period = [e for e in events if e["in_period"]]
    if len(period) != manifest["counts"]["events"]:
        fail("manifest event count does not match events.jsonl")
    indexes = [e["leaf_index"] for e in period]
    if indexes and indexes != list(range(indexes[0], indexes[0] + len(indexes))):
        fail("the period's events are not contiguous in the log")
    start, end = manifest["period"]["from"], manifest["period"]["to"]
    for e in events:
        inside = start <= e["leaf"]["recorded_at"] <= end
        if inside != e["in_period"]:
            fail(f"position {e['leaf']['position']}: in_period flag does not match its time")
    if period:
        if manifest["first_position"] != period[0]["leaf"]["position"] or \
                manifest["last_position"] != period[-1]["leaf"]["position"]:
            fail("manifest first/last positions do not match events.jsonl")
        before = [e for e in events if e["leaf_index"] == indexes[0] - 1]
        after = [e for e in events if e["leaf_index"] == indexes[-1] + 1]
        if indexes[0] > 0 and not before:
            fail("the event just before the period is missing (completeness unproven)")
        if indexes[-1] + 1 < size and not after:
            fail("the event just after the period is missing (completeness unproven)")
    print("ok    period complete: contiguous, bounded by events outside it"
          if not failures else "FAIL  completeness")

    # 5. the signature
    try:
        signed = ed25519_verify(public_key_from_pem(read("ledger.pub").decode()),
                                read("checkpoint.txt"), read("checkpoint.sig"))
    except ValueError:
        signed = False
    if signed:
        print("ok    checkpoint signature verified (Ed25519, ledger.pub, pure Python)")
    else:
        fail("checkpoint signature does not verify with ledger.pub")
    if openssl:
        result = subprocess.run(OPENSSL.replace("openssl", openssl, 1).split(), cwd=folder,
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            fail("checkpoint signature: openssl says " + (result.stdout + result.stderr).strip())
        else:
            print("ok    checkpoint signature verified with openssl (Ed25519, ledger.pub)")
    else:
        print("note  openssl not found; check the signature with:  " + OPENSSL)

    print("PASS" if not failures else f"FAIL  {len(failures)} problem(s)")
    return 0 if not failures else 1


def run(target):
    """Verify a bundle folder, or a .zip of one."""
    if os.path.isfile(target):
        import tempfile
        import zipfile

        with tempfile.TemporaryDirectory() as tmp:
            with zipfile.ZipFile(target) as archive:
                archive.extractall(tmp)
            return main(tmp)
    return main(target)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(
        __file__))))
