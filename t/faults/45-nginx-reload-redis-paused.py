#!/usr/bin/env python3
"""nginx reloaded while Redis is paused (SIGSTOP) under load: the old
workers hold submissions that wait for a Redis that does not answer; each
gets its 503 when dvc_redis_timeout fires, and only then does the old worker
exit. Nothing hangs, nothing is answered twice, every 201 is recorded."""

import sys
import threading
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from faultlib import (Gateway, Tap, alive, check_run, redis_state, report,
                      REDIS_TIMEOUT_MS)

tap = Tap()
with Gateway("45-nginx-reload-redis-paused", tap) as gw:
    load = gw.load(rate=60)
    time.sleep(2)
    old = gw.nginx.worker_pids()

    t_stop = time.time()
    gw.redis.pause()
    time.sleep(0.2)
    new = gw.nginx.reload()      # waits until the old workers are gone
    t_reloaded = time.time()
    time.sleep(0.5)
    gw.redis.resume()
    t_cont = time.time()
    time.sleep(3)
    attempts = load.stop()
    tap.note("load: %s" % load.summary)

    tap.ok(not any(alive(p) for p in old) and not set(old) & set(new),
           "the old workers exited while Redis was still paused (%.2f s "
           "after the pause)" % (t_reloaded - t_stop))
    tap.ok(t_reloaded < t_cont, "the reload finished before Redis resumed")
    waited = [a for a in attempts if a["t0"] < t_stop + 0.2 <= a["t1"]
              and a["status"] == 503
              and a["lat"] >= REDIS_TIMEOUT_MS / 1000.0 * 0.5]
    tap.ok(waited, "%d submission(s) held by the old workers at the reload "
           "got their 503 from the timeout" % len(waited))

    state = redis_state(gw.redis)
    log = gw.check_log()
    stats = check_run(tap, attempts, state, log=log,
                      windows=[("paused", t_stop, t_cont)],
                      recorded_503_allowed=True)
    report(tap, "nginx reloaded with Redis paused", stats)

sys.exit(tap.done())
