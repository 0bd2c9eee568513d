#!/usr/bin/env python3
"""Verifies an export of a Kompass audit chain without Kompass.

    kompass audit export 12 --format json > chain.json
    python3 audit_verify.py chain.json          # or a --format csv export

Exit 0 and "OK ..." when every event matches; exit 1 naming the first
event that does not. Needs only the Python standard library. The rules
are in docs/audit.md ("The hash", "Verifying it yourself").

    python3 audit_verify.py --canonical < event.json

prints one event's canonical serialization (what is hashed) instead.
"""
import csv
import hashlib
import json
import sys

GENESIS = "0" * 64
HASHED_TEXT = ["action", "actor", "after", "at", "before", "client_addr",
               "client_key", "prev_hash", "real_actor", "reason", "target"]
HASHED_INT = ["actor_id", "eval_version", "evaluation_id", "real_actor_id", "seq"]


def canonical(event):
    """The bytes that are hashed: the event's fields as JSON, keys sorted,
    no white space, non-ASCII escaped, plus the format version v = 1."""
    fields = {k: str(event[k]) for k in HASHED_TEXT}
    fields.update({k: int(event[k]) for k in HASHED_INT})
    fields["v"] = 1
    return json.dumps(fields, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")


def event_hash(event):
    return hashlib.sha256(canonical(event)).hexdigest()


def load(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if text.lstrip().startswith("{"):
        return json.loads(text)["events"]
    return list(csv.DictReader(text.splitlines(keepends=True)))


def verify(events):
    """None if the chain is intact, else (event, what differs)."""
    prev_seq, prev_id, prev_hash = 0, 0, GENESIS
    for e in sorted(events, key=lambda e: int(e["seq"])):
        seq, eid = int(e["seq"]), int(e["id"])
        problems = []
        if seq != prev_seq + 1:
            problems.append(f"sequence gap: seq {seq} follows seq {prev_seq}")
        if prev_seq and eid < prev_id:
            problems.append(f"out of order: id {eid} is older than id {prev_id}")
        if e["prev_hash"] != prev_hash:
            problems.append(f"link broken: prev_hash {e['prev_hash'][:12]}... is not "
                            f"{prev_hash[:12]}...")
        if event_hash(e) != e["hash"]:
            problems.append(f"content changed: the fields hash to {event_hash(e)[:12]}..., "
                            f"the stored hash is {e['hash'][:12]}...")
        if problems:
            return e, "; ".join(problems)
        prev_seq, prev_id, prev_hash = seq, eid, e["hash"]
    return None


def main(argv):
    if len(argv) == 2 and argv[1] == "--canonical":
        sys.stdout.write(canonical(json.load(sys.stdin)).decode("ascii"))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    events = load(argv[1])
    bad = verify(events)
    if bad:
        e, why = bad
        print(f"MISMATCH at event id {e['id']} (seq {e['seq']}, {e['at']}): {why}")
        return 1
    head = max(events, key=lambda e: int(e["seq"]))["hash"] if events else GENESIS
    print(f"OK: {len(events)} events, head {head}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
