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

import json
import os
import queue
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from faultlib import (Gateway, Tap, example, report, send_event, submit,
                      REDIS_TIMEOUT_MS, MARGIN_MS)

DOSSIERS = 200
THREADS = 8
PACE = 0.04            # s between two events of one back-end worker
OUTAGE = 2.0
STEPS = [("b.1.accept", {"type": "accept",
                         "actor": "Bộ phận Một cửa UBND phường Hồng Gai"}),
         ("b.2.process", {"type": "process", "actor": "Phòng Tư pháp"}),
         ("b.3.resolve", {"type": "resolve", "actor": "Phòng Tư pháp",
                          "note": "Trả kết quả qua dịch vụ bưu chính"}),
         ("b.4.return", {"type": "return", "actor": "Bộ phận Một cửa"})]
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

    # the back-end: each worker takes a dossier and drives it to the end,
    # each event retried with the same body until it is answered 200
    todo = queue.Queue()
    for c in codes:
        todo.put(c)
    attempts = []           # every try: code, event id and the answer
    lock = threading.Lock()

    def backend():
        while True:
            try:
                code = todo.get_nowait()
            except queue.Empty:
                return
            for eid, fields in STEPS:
                body = json.dumps(dict(id=eid, **fields),
                                  ensure_ascii=False).encode()
                delay = 0.05
                deadline = time.time() + 30
                while True:
                    rec = send_event(port, gw.event_secret, code, body)
                    rec.update(code=code, id=eid)
                    with lock:
                        attempts.append(rec)
                    if rec["status"] == 200 or time.time() > deadline:
                        break
                    if rec["status"] not in (503, None):
                        break                   # a refusal: not retried
                    time.sleep(delay)
                    delay = min(delay * 2, 0.4)
                time.sleep(PACE)
                if rec["status"] != 200:
                    break

    threads = [threading.Thread(target=backend) for _ in range(THREADS)]
    for t in threads:
        t.start()

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

    for t in threads:
        t.join(120)
    tap.ok(not any(t.is_alive() for t in threads), "the back-end finished")

    # ---------------------------------------------------------- answers
    final = {}
    for a in attempts:
        if a["status"] == 200:
            final[(a["code"], a["id"])] = a
    tap.is_(len(final), DOSSIERS * len(STEPS),
            "every event of every dossier ended answered 200 (%d events)"
            % (DOSSIERS * len(STEPS)))
    odd = [a for a in attempts
           if a["status"] not in (200, 503) or a["err"]
           or a.get("extra")]
    tap.ok(not odd, "every try was answered 200 or 503, once, no bytes "
           "after the answer", [str(a)[:300] for a in odd[:5]])
    bad503 = [a for a in attempts if a["status"] == 503
              and (a["error"] != "unavailable" or a["retry_after"] != "1")]
    tap.ok(not bad503, "every 503 is JSON unavailable with Retry-After: 1",
           [str(a)[:300] for a in bad503[:5]])
    limit = (REDIS_TIMEOUT_MS + MARGIN_MS) / 1000.0
    slow = [a for a in attempts if a["lat"] > limit]
    tap.ok(not slow, "every answer within dvc_redis_timeout + %d ms"
           % MARGIN_MS, [str(a)[:300] for a in slow[:5]])
    during = [a for a in attempts if t_kill + 0.1 <= a["t0"]
              and a["t1"] <= t_up]
    tap.ok(during and all(a["status"] == 503 for a in during),
           "%d tries while Redis was down, all 503" % len(during))
    after = [a for a in attempts if a["t0"] >= t_up and a["status"] == 200]
    tap.ok(after, "%d events applied after the restart" % len(after))
    tap.is_(gw.nginx.worker_pids(), workers,
            "the same workers serve: none crashed, no reload")

    # ---------------------------------------------------------- Redis
    want = [eid for eid, _ in STEPS]
    wrong = []
    for code in codes:
        h = gw.redis.cmd("HMGET", "dvc:d:" + code, "status", "ver", "history",
                         *["e:" + e for e in want])
        status, ver, history = (x.decode() if x else None for x in h[:3])
        ids = [e.get("event") for e in json.loads(history)
               if "event" in e]
        # each stored once-only answer is the one its 200 carried
        stored = [x.decode().split(" ", 1)[1] if x else None for x in h[3:]]
        answers = [final.get((code, e), {}).get("body", b"").decode()
                   for e in want]
        if (status, ver, ids) != ("10", "4", want) or stored != answers:
            wrong.append("%s: status %s ver %s history %s" % (code, status,
                                                              ver, ids))
    tap.ok(not wrong, "every dossier: status 10, ver 4, each event once in "
           "its history, each stored answer the one its 200 carried", wrong[:5])

    cs = gw.redis.info("commandstats")      # since the restart

    def calls(name):
        f = dict(kv.split("=") for kv in cs.get("cmdstat_" + name,
                                                "calls=0").split(","))
        return int(f.get("calls", 0)), int(f.get("failed_calls", 0))
    (evalsha, noscript), (evals, _) = calls("evalsha"), calls("eval")
    tap.ok(noscript >= 1 and evals == noscript and evalsha > evals,
           "since the restart: %d EVALSHA, %d of them NOSCRIPT, each "
           "followed by one EVAL (%d)" % (evalsha, noscript, evals))

    log = gw.nginx.log()
    n_flush = log[log0:log1].count(NOSCRIPT_LINE)
    n_restart = log[log2:].count(NOSCRIPT_LINE)
    tap.ok(n_flush >= 1, "after SCRIPT FLUSH: %d NOSCRIPT logged" % n_flush)
    tap.ok(n_restart >= 1, "after the restart: %d NOSCRIPT logged"
           % n_restart)
    bad = [l for l in log.splitlines()
           if "[alert]" in l or "[crit]" in l or "[emerg]" in l
           or "exited on signal" in l or "Sanitizer" in l
           or "runtime error:" in l]
    tap.ok(not bad, "error log: no [alert], [crit], crash or sanitizer "
           "report", bad[:10])
    secret = gw.event_secret.decode()
    tap.ok(secret not in log and "v1=" not in log,
           "error log: no key, no signature")

    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))
    out = subprocess.run(["curl", "-sf", "http://127.0.0.1:%d/dvc/v1/stats?"
                          "from=%s&to=%s" % (port, today, today)],
                         capture_output=True, text=True).stdout
    st = json.loads(out or "{}")
    tap.ok(st.get("received_new") == DOSSIERS
           and st.get("resolved") == DOSSIERS,
           "statistics: received_new %s and resolved %s, each dossier once"
           % (st.get("received_new"), st.get("resolved")))

    n503 = sum(a["status"] == 503 for a in attempts)
    report(tap, "events across SCRIPT FLUSH and kill -9",
           {"events": len(final), "tries": len(attempts), "503": n503,
            "during_outage": len(during), "evalsha": evalsha,
            "noscript": noscript, "eval": evals,
            "noscript_logged": log.count(NOSCRIPT_LINE),
            "max_latency": round(max(a["lat"] for a in attempts), 3)})

sys.exit(tap.done())
