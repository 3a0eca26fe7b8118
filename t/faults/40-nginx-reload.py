#!/usr/bin/env python3
"""nginx reloaded (SIGHUP) three times under load: the old workers finish
what they hold while new ones take the new connections.  Each reload comes
while Redis is busy (DEBUG SLEEP 0.3, below dvc_redis_timeout), so the old
workers get their signal with submissions waiting for Redis; every request the load sent got exactly one answer,
a 201, and Redis holds exactly one dossier per 201."""

import sys
import threading
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from faultlib import Gateway, Tap, alive, check_run, redis_state, report

RELOADS = 3

tap = Tap()
with Gateway("40-nginx-reload", tap) as gw:
    load = gw.load(rate=80)
    time.sleep(2)
    generations = [gw.nginx.worker_pids()]
    t_first = time.time()
    for i in range(RELOADS):
        busy = threading.Thread(target=gw.redis.cmd,
                                args=("DEBUG", "SLEEP", "0.3"))
        busy.start()
        time.sleep(0.1)
        generations.append(gw.nginx.reload())
        busy.join()
        time.sleep(1)
    t_last = time.time()
    time.sleep(1)
    attempts = load.stop()
    tap.note("load: %s" % load.summary)

    old = [p for g in generations[:-1] for p in g]
    tap.ok(not any(alive(p) for p in old) and
           len(set(old) & set(generations[-1])) == 0,
           "%d reloads: %d generations of workers, the old ones gone"
           % (RELOADS, len(generations)))
    during = [a for a in attempts if t_first <= a["t0"] < t_last]
    tap.ok(len(during) > 100, "%d requests sent while reloading"
           % len(during))

    state = redis_state(gw.redis)
    stats = check_run(tap, attempts, state, statuses=(201,),
                      windows=[("reloading", t_first, t_last)],
                      recorded_503_allowed=False)
    gw.check_log()
    report(tap, "nginx reloaded %d times" % RELOADS, stats)

sys.exit(tap.done())
