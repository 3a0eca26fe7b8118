#!/usr/bin/env python3
"""Redis reaches maxmemory under load (noeviction): it refuses writes, the
gateway answers 503 JSON and records nothing half: no dossier without its
201, no code without its dossier; when memory is raised again, submissions
go on without a reload."""

import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from faultlib import (Gateway, Tap, check_run, example, forget, lookup,
                      redis_state, report, submit, wait_for)

HEADROOM = 256 * 1024      # about 50 dossiers (5 KB each, docs/operations.md)
HOVER = 1.5
FULL = 2.0

tap = Tap()
with Gateway("30-redis-oom", tap) as gw:
    workers = gw.nginx.worker_pids()
    mine = submit(gw.nginx.port, example("1.001193", "looked-up"))
    tap.is_(mine["status"], 201, "a dossier to look up during the fault")
    token = __import__("json").loads(mine["body"])["lookup_token"]
    load = gw.load(rate=60)
    time.sleep(2)

    used = int(gw.redis.info("memory")["used_memory"])
    gw.redis.cmd("CONFIG", "SET", "maxmemory", used + HEADROOM)
    t_limit = time.time()

    def full():
        m = gw.redis.info("memory")
        return int(m["used_memory"]) > int(m["maxmemory"])
    tap.ok(wait_for(full, 10), "the load filled Redis to maxmemory "
           "(%d KB over what it used)" % (HEADROOM // 1024))
    # at the limit, Redis lets a write in whenever a few KB of client
    # buffers were freed: requests get 201 or 503, transactions are
    # refused halfway (EXECABORT); the checks of check_run hold throughout
    t_limit_reached = time.time()
    time.sleep(HOVER)
    # then held full, so that the strict checks below do not depend on
    # timing
    used = int(gw.redis.info("memory")["used_memory"])
    gw.redis.cmd("CONFIG", "SET", "maxmemory", used - 64 * 1024)
    t_full = time.time()
    st, doc = lookup(gw.nginx.port, mine["code"], token)
    tap.ok(st == 200 and doc and doc.get("code") == mine["code"],
           "while Redis is full, lookups still work (%s)" % st)
    time.sleep(FULL)
    t_free = time.time()
    gw.redis.cmd("CONFIG", "SET", "maxmemory", 0)
    time.sleep(3)

    attempts = load.stop()
    tap.note("load: %s" % load.summary)

    refused = [a for a in attempts if t_full + 0.1 <= a["t0"] and
               a["t1"] <= t_free]
    # a retry whose first attempt reserved its key just before Redis filled
    # up gets 409 until the reservation expires; a retry whose first
    # attempt was recorded gets its 201 again (a read)
    fresh = [a for a in refused if a["status"] != 503 and not
             (a["status"] == 409 and a["n"] > 1) and not
             (a["status"] == 201 and a["code"] in
              {b["code"] for b in attempts if b["lid"] == a["lid"]
               and b["t1"] < t_full})]
    tap.ok(refused and not fresh,
           "every request while Redis was full got 503 (%d), none a new "
           "code" % len(refused), [str(a) for a in fresh[:5]])
    after = [a for a in attempts if a["t0"] >= t_free + 0.1]
    tap.ok(after and all(a["status"] in (201, 409) for a in after),
           "once memory was raised, submissions succeed again (%d)"
           % len(after))
    tap.is_(gw.nginx.worker_pids(), workers,
            "the same workers serve: none crashed, no reload")

    state = forget(redis_state(gw.redis), mine["code"])
    stats = check_run(tap, attempts, state,
                      windows=[("filling", t_limit, t_limit_reached),
                               ("at_the_limit", t_limit_reached, t_full),
                               ("full", t_full, t_free)],
                      recorded_503_allowed=False)
    log = gw.check_log()
    tap.ok("OOM command not allowed" in log,
           "the log gives Redis's reason (OOM command not allowed)")
    aborted = log.count("nothing recorded: EXECABORT")
    explained = log.count("discarded the transaction, a command was "
                          "refused: OOM command not allowed")
    tap.is_(explained, aborted, "each transaction Redis discarded "
            "(EXECABORT) is logged with the reason, OOM (%d at the limit)"
            % aborted)
    report(tap, "redis maxmemory reached for %.0f s" % FULL, stats)

sys.exit(tap.done())
