#!/usr/bin/env python3
"""Soak: many faults in a row under a heavier load, then every check of
check_run on the whole run.  Not part of `make test-faults` (it takes
minutes); run it by hand when the adapter or the submission path changes:

    python3 t/faults/soak.py [SECONDS] [SEED]     # default 180 s, seed random

Each cycle waits 1-3 s, then one of: kill -9 + restart, SIGSTOP for
0.2-1.5 s, Redis full for 1 s (maxmemory just under what it uses), writes
refused for 1 s (min-replicas-to-write 1), an nginx reload, a reload while
Redis is paused.

An agency takes at most 9,999 dossiers a day and the load spreads over the
five shipped procedures: keep SECONDS under about 400 at this rate."""

import os
import random
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from faultlib import Gateway, Tap, check_run, redis_state, report

secs = float(sys.argv[1]) if len(sys.argv) > 1 else 180
seed = int(sys.argv[2]) if len(sys.argv) > 2 else random.randrange(1 << 30)
rng = random.Random(seed)

tap = Tap()
tap.note("soak for %.0f s, seed %d" % (secs, seed))
faults = {}
with Gateway("soak", tap) as gw:
    load = gw.load(rate=120, give_up=60)
    end = time.time() + secs
    while time.time() < end:
        time.sleep(rng.uniform(1, 3))
        kind = rng.choice(["kill", "pause", "full", "noreplicas", "reload",
                           "reload-paused"])
        faults[kind] = faults.get(kind, 0) + 1
        if kind == "kill":
            gw.redis.kill9()
            time.sleep(rng.uniform(0, 1.5))
            gw.redis.start()
        elif kind == "pause":
            gw.redis.pause()
            time.sleep(rng.uniform(0.2, 1.5))
            gw.redis.resume()
        elif kind == "full":
            used = int(gw.redis.info("memory")["used_memory"])
            gw.redis.cmd("CONFIG", "SET", "maxmemory", used - 1024)
            time.sleep(1)
            gw.redis.cmd("CONFIG", "SET", "maxmemory", 0)
        elif kind == "noreplicas":
            gw.redis.cmd("CONFIG", "SET", "min-replicas-to-write", 1)
            time.sleep(1)
            gw.redis.cmd("CONFIG", "SET", "min-replicas-to-write", 0)
        elif kind == "reload":
            gw.nginx.reload()
        else:
            gw.redis.pause()
            gw.nginx.reload()
            gw.redis.resume()
    time.sleep(2)
    attempts = load.stop(timeout=300)
    tap.note("load: %s; faults: %s" % (load.summary, faults))
    state = redis_state(gw.redis)
    log = gw.check_log()
    stats = check_run(tap, attempts, state, log=log,
                      recorded_503_allowed=True)
    stats["faults"] = faults
    stats["seed"] = seed
    report(tap, "soak %.0f s" % secs, stats)

sys.exit(tap.done())
