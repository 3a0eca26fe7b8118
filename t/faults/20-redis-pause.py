#!/usr/bin/env python3
"""redis-server paused (SIGSTOP) under load, then resumed (SIGCONT): nginx's
timers answer 503 JSON within dvc_redis_timeout (+ margin), nothing hangs,
every 201 is in Redis, and clients retrying with their Idempotency-Key end
with one dossier each, also those whose transaction Redis executed late,
after the gateway had given up on it."""

import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from faultlib import (Gateway, Tap, check_run, redis_state, report,
                      REDIS_TIMEOUT_MS)

PAUSE = 2.0

tap = Tap()
with Gateway("20-redis-pause", tap) as gw:
    workers = gw.nginx.worker_pids()
    load = gw.load(rate=60)
    time.sleep(3)

    t_stop = time.time()
    gw.redis.pause()
    time.sleep(PAUSE)
    gw.redis.resume()
    t_cont = time.time()
    time.sleep(4)

    attempts = load.stop()
    tap.note("load: %s" % load.summary)

    stalled = [a for a in attempts if t_stop <= a["t0"] and
               a["t1"] <= t_cont]
    timed_out = [a for a in stalled if a["status"] == 503 and
                 a["lat"] >= REDIS_TIMEOUT_MS / 1000.0 * 0.9]
    tap.ok(stalled and all(a["status"] == 503 for a in stalled),
           "every request answered while Redis was paused got 503 (%d)"
           % len(stalled))
    tap.ok(timed_out, "%d of them waited for dvc_redis_timeout (the others "
           "were refused at once while the connection was down)"
           % len(timed_out))
    tap.is_(gw.nginx.worker_pids(), workers,
            "the same workers serve: none crashed, no reload")
    after = [a for a in attempts if a["t0"] >= t_cont + 1.5
             and a["status"] == 201]
    tap.ok(after, "201s again after Redis resumed (%d)" % len(after))

    state = redis_state(gw.redis)
    log = gw.check_log()
    stats = check_run(tap, attempts, state, log=log,
                      windows=[("paused", t_stop, t_cont)],
                      recorded_503_allowed=True)
    tap.ok("did not answer within %d ms" % REDIS_TIMEOUT_MS in log,
           "the log names the timeout")
    report(tap, "redis SIGSTOP for %.0f s" % PAUSE, stats)

sys.exit(tap.done())
