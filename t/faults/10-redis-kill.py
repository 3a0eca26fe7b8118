#!/usr/bin/env python3
"""kill -9 redis-server under load, restart it on its AOF (appendfsync
always): every 201 issued before, during and after is in Redis after the
restart; during the outage every request got a prompt 503 JSON; the same
workers serve 201s again without a reload."""

import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from faultlib import Gateway, Tap, check_run, redis_state, report, wait_for

OUTAGE = 2.0

tap = Tap()
with Gateway("10-redis-kill", tap) as gw:
    workers = gw.nginx.worker_pids()
    load = gw.load(rate=60)
    time.sleep(3)

    # kill it while it is busy (DEBUG SLEEP), so that submissions are
    # surely in flight, their commands in its socket, when it dies
    def busy():
        try:
            gw.redis.cmd("DEBUG", "SLEEP", "0.3")
        except (OSError, ConnectionError):
            pass
    busy_thread = threading.Thread(target=busy)
    busy_thread.start()
    time.sleep(0.15)
    t_kill = time.time()
    gw.redis.kill9()
    busy_thread.join()
    time.sleep(OUTAGE)
    gw.redis.start()
    t_up = time.time()
    time.sleep(4)

    attempts = load.stop()
    tap.note("load: %s" % load.summary)

    after = [a for a in attempts if a["t0"] >= t_up and a["status"] == 201]
    first = min((a["t1"] for a in after), default=None)
    tap.ok(first is not None and first - t_up < 2.0,
           "201s again %.2f s after Redis came back (backoff is at most 1 s "
           "+25%%)" % ((first or 0) - t_up))
    tap.is_(gw.nginx.worker_pids(), workers,
            "the same workers serve: none crashed, no reload")
    dead = [a for a in attempts if t_kill + 0.1 <= a["t0"]
            and a["t1"] <= t_up and a["status"] != 503]
    tap.ok(not dead, "every request sent and answered while Redis was down "
           "got 503", [str(a) for a in dead[:5]])

    # the same with redis-cli, independent of the harness's client
    codes = sorted({a["code"] for a in attempts if a["status"] == 201})
    cli = ["redis-cli", "-p", str(gw.redis.port)]
    found = subprocess.run(cli + ["EXISTS"] + ["dvc:d:" + c for c in codes],
                           capture_output=True, text=True).stdout.strip()
    inbox = subprocess.run(cli + ["XRANGE", "dvc:inbox", "-", "+"],
                           capture_output=True, text=True).stdout.split("\n")
    in_inbox = {inbox[i + 1] for i, f in enumerate(inbox[:-1])
                if f == "code"}
    tap.ok(found == str(len(codes)) and in_inbox >= set(codes),
           "redis-cli: EXISTS finds %s of the %d dossiers acknowledged, and "
           "XRANGE dvc:inbox has %d of their codes"
           % (found, len(codes), len(in_inbox & set(codes))))

    state = redis_state(gw.redis)
    log = gw.check_log()
    stats = check_run(tap, attempts, state, log=log,
                      windows=[("outage", t_kill, t_up)],
                      recorded_503_allowed=True)
    tap.ok("answers again" in log, "the log says Redis answers again")
    report(tap, "redis kill -9 for %.0f s" % OUTAGE, stats)

sys.exit(tap.done())
