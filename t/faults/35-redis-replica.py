#!/usr/bin/env python3
"""The gateway's Redis becomes a read-only replica under load (REPLICAOF
another redis-server, as after a failover the old master does): writes are
refused with READONLY, the gateway answers 503 JSON and records nothing;
once it is a master again (REPLICAOF NO ONE), submissions go on.

So that no acknowledged dossier is lost by the switch itself, the other
server is first a replica of ours and takes over the way a planned
switchover does: CLIENT PAUSE WRITE on ours, wait until the replica has
everything, REPLICAOF NO ONE on it, REPLICAOF it on ours, CLIENT UNPAUSE."""

import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from faultlib import (Gateway, RedisServer, Tap, check_run, example,
                      forget, lookup, redis_state, report, submit, wait_for)

READONLY = 2.0

tap = Tap()
with Gateway("35-redis-replica", tap) as gw:
    other = RedisServer(gw.root, "other")
    other.start()
    gw.extra.append(other)
    other.cmd("REPLICAOF", "127.0.0.1", gw.redis.port)
    tap.ok(wait_for(lambda: other.info("replication")
                    .get("master_link_status") == "up", 10),
           "the other redis-server replicates ours")

    workers = gw.nginx.worker_pids()
    mine = submit(gw.nginx.port, example("1.001193", "looked-up"))
    tap.is_(mine["status"], 201, "a dossier to look up during the fault")
    token = __import__("json").loads(mine["body"])["lookup_token"]
    load = gw.load(rate=60)
    time.sleep(2)

    # the switchover: nothing written to ours after this is lost
    t_pause = time.time()
    gw.redis.cmd("CLIENT", "PAUSE", 10000, "WRITE")
    offset = gw.redis.info("replication")["master_repl_offset"]
    tap.ok(wait_for(lambda: other.info("replication")
                    .get("slave_repl_offset") == offset, 5),
           "the other has every write (offset %s)" % offset)
    other.cmd("REPLICAOF", "NO", "ONE")
    gw.redis.cmd("REPLICAOF", "127.0.0.1", other.port)
    gw.redis.cmd("CLIENT", "UNPAUSE")
    t_replica = time.time()
    tap.is_(gw.redis.info("replication")["role"], "slave",
            "ours is a replica now")
    st, doc = lookup(gw.nginx.port, mine["code"], token)
    tap.ok(st == 200 and doc and doc.get("code") == mine["code"],
           "while Redis is a replica, lookups still work (%s)" % st)
    time.sleep(READONLY)
    gw.redis.cmd("REPLICAOF", "NO", "ONE")
    t_master = time.time()
    time.sleep(3)

    attempts = load.stop()
    tap.note("load: %s" % load.summary)

    refused = [a for a in attempts if t_replica <= a["t0"] and
               a["t1"] <= t_master]
    fresh = [a for a in refused if a["status"] != 503 and not
             (a["status"] == 409 and a["n"] > 1) and not
             (a["status"] == 201 and a["code"] in
              {b["code"] for b in attempts if b["lid"] == a["lid"]
               and b["t1"] < t_replica})]
    tap.ok(refused and not fresh,
           "every request while Redis was a replica got 503 (%d), none a "
           "new code" % len(refused), [str(a) for a in fresh[:5]])
    after = [a for a in attempts if a["t0"] >= t_master + 0.1]
    tap.ok(after and all(a["status"] in (201, 409) for a in after),
           "once a master again, submissions succeed (%d)" % len(after))
    tap.is_(gw.nginx.worker_pids(), workers,
            "the same workers serve: none crashed, no reload")

    state = forget(redis_state(gw.redis), mine["code"])
    stats = check_run(tap, attempts, state,
                      windows=[("switchover", t_pause, t_replica),
                               ("replica", t_replica, t_master)],
                      recorded_503_allowed=False)
    log = gw.check_log()
    tap.ok("READONLY You can't write against a read only replica" in log,
           "the log gives Redis's reason (READONLY)")
    report(tap, "redis read-only replica for %.0f s" % READONLY, stats)

sys.exit(tap.done())
