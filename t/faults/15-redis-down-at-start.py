#!/usr/bin/env python3
"""nginx started while redis-server is down (a host booting, Redis slower to
come up): submissions get a prompt 503 JSON meanwhile, and once Redis is up
the same workers connect and record, without a reload."""

import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from faultlib import Gateway, Tap, check_run, redis_state, report

DOWN = 2.0

tap = Tap()
with Gateway("15-redis-down-at-start", tap, redis_up=False) as gw:
    workers = gw.nginx.worker_pids()
    t_start = time.time()
    load = gw.load(rate=60)
    time.sleep(DOWN)
    gw.redis.start()
    t_up = time.time()
    time.sleep(3)
    attempts = load.stop()
    tap.note("load: %s" % load.summary)

    down = [a for a in attempts if a["t1"] <= t_up]
    tap.ok(down and all(a["status"] == 503 for a in down),
           "every request answered before Redis was up got 503 (%d)"
           % len(down))
    first = min((a["t1"] for a in attempts if a["status"] == 201),
                default=None)
    tap.ok(first is not None and first - t_up < 2.0,
           "201s %.2f s after Redis came up" % ((first or 0) - t_up))
    tap.is_(gw.nginx.worker_pids(), workers,
            "the same workers serve: none crashed, no reload")

    state = redis_state(gw.redis)
    log = gw.check_log()
    stats = check_run(tap, attempts, state, log=log,
                      windows=[("down", t_start, t_up)],
                      recorded_503_allowed=False)
    tap.ok("answers again" in log, "the log says Redis answers again")
    report(tap, "redis down at nginx start for %.0f s" % DOWN, stats)

sys.exit(tap.done())
