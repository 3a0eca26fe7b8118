#!/usr/bin/env python3
"""Back-end events across a failover to a replica: the gateway reaches Redis
through a relay (as a virtual address or a Sentinel-aware proxy would); under
load, a planned switchover moves the master to the replica (CLIENT PAUSE
WRITE, the replica catches up, REPLICAOF NO ONE on it), the relay is pointed
at it and drops its connections, and the old master is killed.  Redis 7
replicates a script's effects, not the script, so the promoted replica's
script cache is empty: the gateway's EVALSHA gets NOSCRIPT there and it sends
the text (EVAL) once.  Eight back-end workers move 200 dossiers accept ->
process -> resolve -> return, retrying every 503 with the same body: every
event ends 200, each applied exactly once on the new master.  Before the
load, one event whose answer is lost (Redis paused as its EVALSHA arrives,
past dvc_redis_timeout): 503 and `outcome unknown` in the log, applied when
Redis resumes, and the retry gets its first answer."""

import json
import os
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from faultlib import (EventBackend, Gateway, RedisServer, Tap,
                      check_event_stats, check_events, example, report,
                      script_calls, send_event, submit, wait_for)

DOSSIERS = 200
NOSCRIPT_LINE = "redis does not know the apply script"

tap = Tap()
with Gateway("56-events-failover", tap, proxy=True, events=True) as gw:
    port = gw.nginx.port
    workers = gw.nginx.worker_pids()
    replica = RedisServer(gw.root, "replica")
    replica.start()
    gw.extra.append(replica)
    replica.cmd("REPLICAOF", "127.0.0.1", gw.redis.port)
    tap.ok(wait_for(lambda: replica.info("replication")
                    .get("master_link_status") == "up", 10),
           "a replica follows the master")

    # first, an event whose answer never comes: Redis stops as its EVALSHA
    # arrives and resumes after the gateway gave up (503, outcome unknown);
    # it runs the script then, and the retry gets the event's first answer
    def event(code, eid, typ):
        body = json.dumps({"id": eid, "type": typ}).encode()
        return send_event(port, gw.event_secret, code, body)
    warm, lost = (submit(port, example("1.001612", vary="56-" + t))["code"]
                  for t in ("warm", "lost"))
    tap.is_(event(warm, "w.1.accept", "accept")["status"], 200,
            "an event first: Redis has the script")
    gw.proxy.arm("before", hook=gw.redis.pause, match=b"EVALSHA")
    r = event(lost, "l.1.accept", "accept")
    tap.is_((r["status"], r["error"]), (503, "unavailable"),
            "Redis paused as the EVALSHA arrived: 503")
    gw.redis.resume()
    tap.ok(wait_for(lambda: gw.redis.cmd("HGET", "dvc:d:" + lost, "status")
                    == b"2", 5), "Redis ran it when it resumed")
    stored = gw.redis.cmd("HGET", "dvc:d:" + lost, "e:l.1.accept")
    for _ in range(50):
        r2 = event(lost, "l.1.accept", "accept")
        if r2["status"] != 503:
            break
        time.sleep(0.1)
    tap.is_((r2["status"], r2["body"]), (200, stored.split(b" ", 1)[1]),
            "the retry: 200 with the event's first answer, byte for byte")
    tap.is_(gw.redis.cmd("HGET", "dvc:d:" + lost, "ver"), b"1",
            "applied once")
    tap.ok('event "l.1.accept" on "%s" answered 503, outcome unknown' % lost
           in gw.nginx.log(), "the log says the outcome was unknown")

    codes = []
    for i in range(DOSSIERS):
        r = submit(port, example("1.001612", vary="56-%d" % i))
        if r["status"] != 201:
            raise RuntimeError("submission: %r" % r)
        codes.append(r["code"])

    backend = EventBackend(port, gw.event_secret, codes)
    time.sleep(1.5)

    # the switchover: nothing written to the master after the pause is lost
    t_switch = time.time()
    gw.redis.cmd("CLIENT", "PAUSE", 10000, "WRITE")
    offset = gw.redis.info("replication")["master_repl_offset"]
    tap.ok(wait_for(lambda: replica.info("replication")
                    .get("slave_repl_offset") == offset, 5),
           "the replica has every write (offset %s)" % offset)
    tap.ok(replica.info("memory").get("number_of_cached_scripts") == "0",
           "the replica's script cache is empty (Redis replicates effects)")
    replica.cmd("REPLICAOF", "NO", "ONE")
    log0 = len(gw.nginx.log())
    gw.proxy.set_upstream(replica.port)
    gw.proxy.close_all()
    gw.redis.kill9()
    t_done = time.time()

    tap.ok(backend.join(), "the back-end finished")
    attempts = backend.attempts

    final = check_events(tap, replica, codes, attempts)
    after = [a for a in attempts if a["t0"] >= t_done and a["status"] == 200]
    tap.ok(len(after) > DOSSIERS, "%d events applied on the new master"
           % len(after))
    tap.is_(gw.nginx.worker_pids(), workers,
            "the same workers serve: none crashed, no reload")

    evalsha, noscript, evals = script_calls(replica)
    tap.ok(noscript >= 1 and evals == noscript and evalsha > evals,
           "on the new master: %d EVALSHA, %d of them NOSCRIPT, each "
           "followed by one EVAL (%d)" % (evalsha, noscript, evals))
    log = gw.check_log()
    n = log[log0:].count(NOSCRIPT_LINE)
    tap.ok(n >= 1, "after the failover: %d NOSCRIPT logged" % n)
    check_event_stats(tap, port, DOSSIERS, received=DOSSIERS + 2)

    n503 = sum(a["status"] == 503 for a in attempts)
    report(tap, "events across a failover to a replica",
           {"events": len(final), "tries": len(attempts), "503": n503,
            "on_new_master": len(after), "evalsha": evalsha,
            "noscript": noscript, "eval": evals,
            "switch_s": round(t_done - t_switch, 3),
            "max_latency": round(max(a["lat"] for a in attempts), 3)})

sys.exit(tap.done())
