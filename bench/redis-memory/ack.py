#!/usr/bin/env python3
"""The back-end's side for the memory bench: read every entry of dvc:inbox with
the consumer group `backend`, XACK it, then trim with the documented rule
(examples/inbox-consumer.py's trim(): never below an unacknowledged entry).
usage: ack.py PORT   prints: acked=N trimmed=M left=L"""
import importlib.util, os, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "../../examples"))   # its dvc_cluster
spec = importlib.util.spec_from_file_location(
    "inbox_consumer", os.path.join(here, "../../examples/inbox-consumer.py"))
ic = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ic)

r = ic.Redis("127.0.0.1", int(sys.argv[1]))
try:
    r("XGROUP", "CREATE", ic.STREAM, "backend", "0", "MKSTREAM")
except ic.RedisError as e:
    if "BUSYGROUP" not in str(e):
        raise
acked = 0
while True:
    reply = r("XREADGROUP", "GROUP", "backend", "bench", "COUNT", 1000,
              "STREAMS", ic.STREAM, ">")
    if not reply or not reply[0][1]:
        break
    ids = [e[0] for e in reply[0][1]]
    acked += r("XACK", ic.STREAM, "backend", *ids)
# trim() takes a Source (one stream of the inbox) since the cluster's 16
trimmed = ic.trim(ic.Source(r, ic.STREAM, ic.DEAD)) if hasattr(ic, "Source") \
    else ic.trim(r)
print("acked=%d trimmed=%d left=%d" % (acked, trimmed, r("XLEN", ic.STREAM)))
