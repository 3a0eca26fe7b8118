#!/usr/bin/env python3
"""Idempotency across Redis failures: a client that retries with the same
Idempotency-Key after a 503 ends with exactly one dossier, whatever became
of its first attempt.  A relay between nginx and Redis (RedisProxy) makes
each case happen exactly, not by luck of timing:

  A  EXEC ran, its answer was lost, Redis was killed right after
     (kill -9, restarted on its AOF): the retry gets the first 201
  B  the transaction never reached Redis, Redis killed and restarted: the
     key's reservation outlived the restart, the retry gets 409 until it
     expires, then a fresh 201
  C  Redis paused (SIGSTOP) with the transaction in its socket: nginx gives
     up (503), Redis runs it when resumed; the retry gets that 201
  D  as C without an Idempotency-Key: the dossier is recorded though the
     client was told 503, and the log says the outcome is unknown rather
     than "nothing recorded" (only a key makes such a retry safe)
  F  Redis full at the instant of the key's reservation (SET NX refused),
     with room again a moment later: the submission is refused (503), not
     recorded without a reservation that would stop a concurrent retry
  E  a real failover: EXEC ran on the master, its answer was lost, the
     replica had it; the master is killed, the replica promoted
     (REPLICAOF NO ONE) and the relay pointed at it, as a virtual address
     or a Sentinel-aware proxy would: the retry gets the first 201 from the
     new master, and the day's sequence goes on there without repeating"""

import hashlib
import sys
import threading
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from faultlib import (Gateway, RedisServer, Tap, MARGIN_MS, REDIS_TIMEOUT_MS,
                      example, redis_state, report, submit, wait_for)

BOUND = (REDIS_TIMEOUT_MS + MARGIN_MS) / 1000.0


def idem(key):
    return "dvc:idem:" + hashlib.sha256(key.encode()).hexdigest()


def in_background(fn, *args):
    box = {}
    th = threading.Thread(target=lambda: box.setdefault("r", fn(*args)))
    th.start()
    return th, box


def retry(port, body, key, secs=20):
    """As docs/api.md asks of a client: retry on 503 and 409 in_use."""
    answers = []
    deadline = time.time() + secs
    while time.time() < deadline:
        a = submit(port, body, key)
        answers.append(a)
        if a["status"] not in (503, 409) or \
                (a["status"] == 409 and a["error"] != "idempotency_key_in_use"):
            break
        time.sleep(0.25)
    return answers


def runs(statuses):
    """[503, 409, 409, 201] -> "503, 409 x2, 201" """
    out = []
    for st in statuses:
        if out and out[-1][0] == st:
            out[-1][1] += 1
        else:
            out.append([st, 1])
    return ", ".join("%d x%d" % (st, n) if n > 1 else str(st)
                     for st, n in out)


def dossiers_of(gw, body, redis=None):
    sha = hashlib.sha256(body).hexdigest()
    st = redis_state(redis or gw.redis)
    codes = sorted(c for c, d in st["dossiers"].items() if d["sha"] == sha)
    inbox = [e for e in st["inbox"] if e["sha"] == sha]
    return codes, inbox


def first_is_503(tap, case, a):
    tap.ok(a["status"] == 503 and a["error"] == "unavailable"
           and a["lat"] <= BOUND,
           "%s: the first attempt got 503 unavailable in %.3f s (<= %.2f)"
           % (case, a["lat"], BOUND), [repr(a)])


def settled(tap, case, gw, body, answers, want_code=None, redis=None):
    last = answers[-1]
    statuses = [a["status"] for a in answers]
    tap.ok(last["status"] == 201, "%s: the retries ended with 201 (%s)"
           % (case, runs(statuses)), [repr(last)])
    codes, inbox = dossiers_of(gw, body, redis)
    tap.is_(codes, [last["code"]], "%s: exactly one dossier, the 201's"
            % case)
    tap.is_([e["code"] for e in inbox], [last["code"]],
            "%s: exactly one inbox entry" % case)
    if want_code:
        tap.is_(last["code"], want_code,
                "%s: the 201 names the dossier the lost attempt recorded"
                % case)
    return statuses


tap = Tap()
stats = {}
with Gateway("50-idempotency-failover", tap, proxy=True) as gw:
    port = gw.nginx.port
    workers = gw.nginx.worker_pids()
    a = submit(port, example("2.000488", "warm-up"), "warm-up")
    tap.is_(a["status"], 201, "through the relay, a submission is recorded")

    # A: the transaction ran, its answer was lost, Redis killed after EXEC
    body, key = example("1.001612", "case-a"), "failover-case-a"
    gw.proxy.arm("lose_reply")
    th, box = in_background(submit, port, body, key)
    tap.ok(gw.proxy.fired.wait(5), "A: the transaction went to Redis")
    tap.ok(wait_for(lambda: (gw.redis.cmd("GET", idem(key)) or b"")
                    .startswith(b"done:"), 5),
           "A: Redis executed it (the key holds the answer)")
    done = gw.redis.cmd("GET", idem(key)).decode()
    gw.redis.kill9()
    th.join()
    first_is_503(tap, "A", box["r"])
    gw.redis.start()
    answers = retry(port, body, key)
    stats["A"] = [503] + settled(tap, "A", gw, body, answers,
                                 want_code=done.split(":")[2])
    tap.ok(done.endswith(answers[-1]["body"].decode()),
           "A: the retry's 201 is the lost answer, byte for byte")

    # B: the transaction never reached Redis; Redis killed and restarted
    body, key = example("1.001193", "case-b"), "failover-case-b"
    gw.proxy.arm("drop")
    th, box = in_background(submit, port, body, key)
    tap.ok(gw.proxy.fired.wait(5), "B: the transaction was cut off")
    th.join()
    first_is_503(tap, "B", box["r"])
    gw.redis.kill9()
    gw.redis.start()
    tap.ok((gw.redis.cmd("GET", idem(key)) or b"").startswith(b"pending:"),
           "B: the key's reservation survived the restart (AOF)")
    tap.is_(dossiers_of(gw, body)[0], [], "B: nothing was recorded")
    t0 = time.time()
    answers = retry(port, body, key)
    stats["B"] = [503] + settled(tap, "B", gw, body, answers)
    tap.ok(409 in stats["B"] and stats["B"][-1] == 201
           and time.time() - t0 < 12,
           "B: 409 idempotency_key_in_use until the 10 s reservation "
           "expired, then a fresh 201 (%.1f s)" % (time.time() - t0))

    # C: Redis paused with the transaction in its socket, runs it late
    body, key = example("1.002820", "case-c"), "failover-case-c"
    gw.proxy.arm("before", gw.redis.pause)
    th, box = in_background(submit, port, body, key)
    tap.ok(gw.proxy.fired.wait(5), "C: the transaction reached a paused "
           "Redis")
    th.join()
    first_is_503(tap, "C", box["r"])
    tap.ok(box["r"]["lat"] >= REDIS_TIMEOUT_MS / 1000.0 * 0.9,
           "C: after dvc_redis_timeout")
    gw.redis.resume()
    tap.ok(wait_for(lambda: (gw.redis.cmd("GET", idem(key)) or b"")
                    .startswith(b"done:"), 5),
           "C: resumed, Redis ran the transaction nginx had given up on")
    done = gw.redis.cmd("GET", idem(key)).decode()
    answers = retry(port, body, key)
    stats["C"] = [503] + settled(tap, "C", gw, body, answers,
                                 want_code=done.split(":")[2])

    # D: as C, without a key: recorded though answered 503
    body = example("1.009994", "case-d")
    gw.proxy.arm("before", gw.redis.pause)
    th, box = in_background(submit, port, body, None)
    tap.ok(gw.proxy.fired.wait(5), "D: the transaction reached a paused "
           "Redis")
    th.join()
    first_is_503(tap, "D", box["r"])
    gw.redis.resume()
    tap.ok(wait_for(lambda: len(dossiers_of(gw, body)[0]) == 1, 5),
           "D: Redis ran it once resumed: a dossier its client was told "
           "503 about")
    code = dossiers_of(gw, body)[0][0]
    log = gw.nginx.log()
    tap.ok('answered 503, outcome unknown: the transaction of dossier "%s" '
           'was sent' % code in log,
           "D: the log says the outcome is unknown and names the dossier")
    tap.ok("nothing recorded: no reply" not in log and
           "nothing recorded: transaction not executed" not in log,
           "no log line claims nothing was recorded when Redis did not "
           "answer")

    # F: the reservation refused (Redis full for that one command)
    time.sleep(1.5)         # past the reconnect backoff D left behind
    body, key = example("2.000488", "case-f"), "failover-case-f"
    gw.proxy.arm("around",
                 lambda: gw.redis.cmd("CONFIG", "SET", "maxmemory", 1),
                 match=b"pending:",
                 after=lambda: gw.redis.cmd("CONFIG", "SET", "maxmemory", 0))
    a = submit(port, body, key)
    tap.ok(gw.proxy.fired.is_set(), "F: Redis was full for the reservation")
    tap.ok(a["status"] == 503 and a["error"] == "unavailable",
           "F: 503 unavailable (got %s)" % a["status"])
    tap.is_(dossiers_of(gw, body)[0], [], "F: nothing recorded")
    log = gw.nginx.log()
    tap.ok("redis refused a command of the batch: OOM command not allowed"
           in log and "nothing recorded: the Idempotency-Key could not be "
           "reserved" in log, "F: the log says the key could not be reserved "
           "and why (OOM)")
    answers = retry(port, body, key)
    stats["F"] = [503] + settled(tap, "F", gw, body, answers)

    # E: failover to a replica that had the transaction
    replica = RedisServer(gw.root, "replica")
    replica.start()
    gw.extra.append(replica)
    replica.cmd("REPLICAOF", "127.0.0.1", gw.redis.port)
    tap.ok(wait_for(lambda: replica.info("replication")
                    .get("master_link_status") == "up", 10),
           "E: a replica follows the master")
    body, key = example("1.001612", "case-e"), "failover-case-e"
    gw.proxy.arm("lose_reply")
    th, box = in_background(submit, port, body, key)
    tap.ok(gw.proxy.fired.wait(5), "E: the transaction went to the master")
    tap.ok(wait_for(lambda: (replica.cmd("GET", idem(key)) or b"")
                    .startswith(b"done:"), 5),
           "E: the master ran it and the replica has it")
    done = replica.cmd("GET", idem(key)).decode()
    gw.redis.kill9()
    replica.cmd("REPLICAOF", "NO", "ONE")
    gw.proxy.set_upstream(replica.port)
    gw.proxy.close_all()
    th.join()
    first_is_503(tap, "E", box["r"])
    answers = retry(port, body, key)
    stats["E"] = [503] + settled(tap, "E", gw, body, answers,
                                 want_code=done.split(":")[2],
                                 redis=replica)
    after = submit(port, example("1.001612", "case-e-next"))
    before = [c for c in redis_state(replica)["dossiers"]
              if c.startswith("000.20.31.H29-")]
    tap.ok(after["status"] == 201 and after["code"] > max(
           c for c in before if c != after["code"]),
           "E: the new master goes on with the day's sequence (%s after %s)"
           % (after.get("code"), answers[-1].get("code")))

    tap.is_(gw.nginx.worker_pids(), workers,
            "the same workers serve: none crashed, no reload")
    gw.check_log()
    report(tap, "idempotency across failover", {
        "case_%s" % k: runs(v) for k, v in stats.items()})

sys.exit(tap.done())
