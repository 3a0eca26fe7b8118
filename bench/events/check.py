#!/usr/bin/env python3
"""After a run of bench/events: was every event answered 200 applied exactly
once, and nothing else?  Reads the load generator's OUT file (code, event id,
HTTP status, latency), the dossiers' hashes (redis-cli --raw HMGET output, 6
lines per code: status, history, e:b.1.accept .. e:b.4.return), the day's
statistics report (JSON) and XLEN dvc:inbox.  Prints one line; exit 1 when
anything disagrees.

usage: check.py CODES OUT HMGET_OUTPUT STATS_JSON XLEN
"""
import json
import sys

STEPS = ["b.1.accept", "b.2.process", "b.3.resolve", "b.4.return"]
STATUS_AFTER = {"b.1.accept": 2, "b.2.process": 4, "b.3.resolve": 9, "b.4.return": 10}

codes_f, out_f, hmget_f, stats_f, xlen = sys.argv[1:6]
codes = open(codes_f).read().split()
ok = {c: [] for c in codes}          # the events answered 200, in order
sent = 0
for line in open(out_f):
    code, eid, status, _ = line.split()
    sent += 1
    if status == "200":
        ok[code].append(eid)

lines = open(hmget_f, encoding="utf-8").read().split("\n")
bad = []
applied = 0
for i, code in enumerate(codes):
    status, history, *once = lines[6 * i: 6 * i + 6]
    hist = json.loads(history)
    events = [h["event"] for h in hist if "event" in h]
    applied += len(events)
    want = ok[code]
    if events != want:
        bad.append(f"{code}: history has {events}, answered 200: {want}")
        continue
    stored = [STEPS[k] for k in range(4) if once[k] != ""]
    if stored != want:
        bad.append(f"{code}: e: fields {stored}, answered 200: {want}")
    expect = STATUS_AFTER[want[-1]] if want else 1
    if int(status) != expect:
        bad.append(f"{code}: status {status}, expected {expect}")
    if len(hist) != 1 + len(want):
        bad.append(f"{code}: {len(hist)} history entries for {len(want)} events")

n_ok = {s: sum(s in v for v in ok.values()) for s in STEPS}
report = json.load(open(stats_f))
for fig, want in (("received_new", n_ok["b.1.accept"]),
                  ("resolved", n_ok["b.3.resolve"]),
                  ("awaiting_acceptance", len(codes) - n_ok["b.1.accept"])):
    if report.get(fig) != want:
        bad.append(f"statistics: {fig} is {report.get(fig)}, expected {want}")
if int(xlen) != len(codes):
    bad.append(f"inbox: {xlen} entries for {len(codes)} dossiers (events add none)")

total_ok = sum(len(v) for v in ok.values())
print(f"check: {sent} events sent, {total_ok} answered 200, {applied} in the histories, "
      f"received_new={report.get('received_new')} resolved={report.get('resolved')}, "
      f"inbox {xlen}: " + ("OK" if not bad else f"{len(bad)} FAILED"))
for b in bad[:10]:
    print("  " + b)
sys.exit(1 if bad else 0)
