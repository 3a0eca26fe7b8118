#!/usr/bin/env python3
"""Back-end events while Redis loses its script cache: SCRIPT FLUSH under
load, then kill -9 of redis-server (busy, events in flight) and a restart on
its AOF, whose cache is empty.  The gateway sends the apply script by its
SHA-1 (EVALSHA) and, on NOSCRIPT, once more with its text (EVAL).  Eight
back-end workers move 200 dossiers accept -> process -> resolve -> return,
retrying every 503 and every lost answer with the same body (docs/events.md):
every event ends 200, each is in its dossier's history exactly once, every
NOSCRIPT was followed by exactly one EVAL, and the statistics count each
dossier once."""

import os
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from faultlib import (EventBackend, Gateway, Tap, check_event_stats,
                      check_events, example, report, script_calls, submit)

DOSSIERS = 200
OUTAGE = 2.0
NOSCRIPT_LINE = "redis does not know the apply script"

tap = Tap()
with Gateway("55-events-noscript", tap, events=True) as gw:
    port = gw.nginx.port
    workers = gw.nginx.worker_pids()
    cli = ["redis-cli", "-p", str(gw.redis.port)]

    codes = []
    for i in range(DOSSIERS):
        r = submit(port, example("1.001612", vary="55-%d" % i))
        if r["status"] != 201:
            raise RuntimeError("submission: %r" % r)
        codes.append(r["code"])

    # the back-end: 8 workers, each event retried with the same body until
    # it is answered 200
    backend = EventBackend(port, gw.event_secret, codes)

    # 1 s in, the cache flushed under load (through redis-cli)
    time.sleep(1.0)
    log0 = len(gw.nginx.log())
    flushed = subprocess.run(cli + ["SCRIPT", "FLUSH"], capture_output=True,
                             text=True).stdout.strip()
    tap.is_(flushed, "OK", "redis-cli SCRIPT FLUSH under load")

    # 1 s later, kill -9 while Redis is busy (events surely in flight)
    time.sleep(1.0)
    log1 = len(gw.nginx.log())

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
    log2 = len(gw.nginx.log())

    tap.ok(backend.join(), "the back-end finished")
    attempts = backend.attempts

    final = check_events(tap, gw.redis, codes, attempts)
    during = [a for a in attempts if t_kill + 0.1 <= a["t0"]
              and a["t1"] <= t_up]
    tap.ok(during and all(a["status"] == 503 for a in during),
           "%d tries while Redis was down, all 503" % len(during))
    after = [a for a in attempts if a["t0"] >= t_up and a["status"] == 200]
    tap.ok(after, "%d events applied after the restart" % len(after))
    tap.is_(gw.nginx.worker_pids(), workers,
            "the same workers serve: none crashed, no reload")

    evalsha, noscript, evals = script_calls(gw.redis)   # since the restart
    tap.ok(noscript >= 1 and evals == noscript and evalsha > evals,
           "since the restart: %d EVALSHA, %d of them NOSCRIPT, each "
           "followed by one EVAL (%d)" % (evalsha, noscript, evals))

    log = gw.check_log()
    n_flush = log[log0:log1].count(NOSCRIPT_LINE)
    n_restart = log[log2:].count(NOSCRIPT_LINE)
    tap.ok(n_flush >= 1, "after SCRIPT FLUSH: %d NOSCRIPT logged" % n_flush)
    tap.ok(n_restart >= 1, "after the restart: %d NOSCRIPT logged"
           % n_restart)
    tap.ok(gw.event_secret.decode() not in log and "v1=" not in log,
           "error log: no key, no signature")
    check_event_stats(tap, port, DOSSIERS)

    n503 = sum(a["status"] == 503 for a in attempts)
    report(tap, "events across SCRIPT FLUSH and kill -9",
           {"events": len(final), "tries": len(attempts), "503": n503,
            "during_outage": len(during), "evalsha": evalsha,
            "noscript": noscript, "eval": evals,
            "noscript_logged": log.count(NOSCRIPT_LINE),
            "max_latency": round(max(a["lat"] for a in attempts), 3)})

sys.exit(tap.done())
