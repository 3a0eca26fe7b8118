#!/usr/bin/env python3
"""A citizen's supplement or rating applied while its answer was lost on the
gateway's side: Redis ran the script but nginx never got the reply (lost on
the way back, or Redis paused past dvc_redis_timeout, running it when it
resumed), so the citizen got 503.  The retry, with the same body, must get
the answer the change would have had (200/201, its applied_at), not a 409
for something that worked; nothing applied twice (one history entry, one
dvc:inbox entry, one rating counted); another body stays refused."""

import json
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from faultlib import (Gateway, Tap, example, exchange, s, submit, wait_for,
                      REDIS_TIMEOUT_MS)
from load import parse_response


def act(port, code, action, token, body, timeout=5.0):
    """POST /dvc/v1/dossiers/CODE/ACTION with the token: (status, body)."""
    req = (("POST /dvc/v1/dossiers/%s/%s HTTP/1.1\r\nHost: localhost\r\n"
            "X-DVC-Lookup-Token: %s\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: %d\r\n\r\n"
            % (code, action, token, len(body))).encode() + body)
    raw = exchange(port, req, timeout)
    parsed = parse_response(raw)
    return (parsed[0], parsed[2]) if parsed else (None, raw)


def retrying(port, code, action, token, body):
    """As a client does (api.md): again on 503, here every 0.1 s for up to
    5 s (the gateway reconnects to Redis after a timeout)."""
    for _ in range(50):
        st, rbody = act(port, code, action, token, body)
        if st != 503:
            break
        time.sleep(0.1)
    return st, rbody


def dossier(gw, code):
    h = gw.redis.cmd("HGETALL", "dvc:d:" + code)
    return {s(h[i]): s(h[i + 1]) for i in range(0, len(h), 2)}


def history_types(gw, code):
    return [e.get("type") for e in json.loads(dossier(gw, code)["history"])]


def inbox(gw, typ):
    return [e for e in gw.redis.cmd("XRANGE", "dvc:inbox", "-", "+")
            if typ.encode() in e[1]]


def new_dossier(gw, tag, status):
    for _ in range(50):
        r = submit(gw.nginx.port, example("1.001612", vary=tag))
        if r["status"] == 201:
            break
        time.sleep(0.1)
    d = json.loads(r["body"])
    gw.redis.cmd("HSET", "dvc:d:" + d["code"], "status", str(status))
    return d["code"], d["lookup_token"]


def rated_today(gw, rating):
    day = time.strftime("%Y%m%d", time.gmtime(time.time() + 7 * 3600))
    return int(s(gw.redis.cmd("HGET", "dvc:st:all:rating_" + rating, day))
               or 0)


tap = Tap()
with Gateway("60-citizen-lost-answer", tap, workers=1, proxy=True) as gw:
    port = gw.nginx.port
    corrected = example("1.001612", vary="supplement-60")

    # the gateway sends the script by its SHA-1 (EVALSHA); a fresh Redis
    # answers the first call NOSCRIPT and gets the text after it (EVAL): one
    # change first, a withdrawal, so that the calls the relay acts on below
    # are the ones that run
    code, token = new_dossier(gw, "60-0", 1)
    st, _ = act(port, code, "withdrawal", token, b"{}")
    tap.is_(st, 200, "a withdrawal first: Redis has the script")

    # 1. a supplement: the script runs, its reply is swallowed on the way
    # back ("receipt_facts" is only in a supplement's write)
    code, token = new_dossier(gw, "60-1", 5)
    gw.proxy.arm("lose_reply", match=b"receipt_facts")
    t0 = time.monotonic()
    st, body = act(port, code, "supplement", token, corrected)
    lat = time.monotonic() - t0
    tap.ok(gw.proxy.fired.is_set(), "supplement: the script's reply was lost")
    tap.is_(st, 503, "supplement: the citizen got 503")
    tap.ok(lat >= REDIS_TIMEOUT_MS / 1000.0 * 0.9,
           "supplement: after dvc_redis_timeout (%.2f s)" % lat)
    h = dossier(gw, code)
    tap.is_(h.get("status"), "1", "supplement: applied all the same")
    st, body = retrying(port, code, "supplement", token, corrected)
    tap.is_(st, 200, "supplement: the retry gets 200, not 409")
    ans = json.loads(body)
    tap.is_((ans.get("status"), ans.get("status_slug")), (1, "submitted"),
            "supplement: the retry tells the status it left")
    tap.is_(ans.get("applied_at"), h.get("updated_at"),
            "supplement: applied_at is when it applied, not the retry's time")
    tap.is_(body.decode(), h.get("c:supplement", "")[65:],
            "supplement: the answer kept with the change, byte for byte")
    tap.is_(history_types(gw, code).count("supplement"), 1,
            "supplement: one history entry")
    tap.is_(len(inbox(gw, "supplement")), 1,
            "supplement: one dvc:inbox entry for the back-end")
    st, body = act(port, code, "supplement", token,
                   example("1.001612", vary="supplement-60-other"))
    tap.is_((st, json.loads(body).get("error")), (409, "illegal_transition"),
            "supplement: another body is still refused")

    # 2. a rating: Redis stops just as the script arrives and resumes after
    # the gateway gave up: it runs it then ("rating_at" is only in the write)
    code, token = new_dossier(gw, "60-2", 9)
    rating = b'{"rating":"very_satisfied","comment":"T\xe1\xbb\x91t"}'
    gw.proxy.arm("before", hook=gw.redis.pause, match=b"rating_at")
    st, body = act(port, code, "rating", token, rating)
    tap.is_(st, 503, "rating, Redis paused: the citizen got 503")
    gw.redis.resume()
    tap.ok(wait_for(lambda: dossier(gw, code).get("rating") ==
                    "very_satisfied", 5),
           "rating: Redis ran the script when it resumed")
    h = dossier(gw, code)
    st, body = retrying(port, code, "rating", token, rating)
    tap.is_(st, 201, "rating: the retry gets 201, not 409 already_rated")
    tap.is_(json.loads(body).get("rated_at"), h.get("rating_at"),
            "rating: rated_at is when it applied")
    tap.is_(rated_today(gw, "very_satisfied"), 1, "rating: counted once")
    st, again = act(port, code, "rating", token, rating)
    tap.is_((st, again), (201, body), "rating: a second retry, the same bytes")

    # 3. the answer lost, then the citizen changes their mind: refused,
    # the first rating stands
    code, token = new_dossier(gw, "60-3", 10)
    gw.proxy.arm("lose_reply", match=b"rating_at")
    st, _ = act(port, code, "rating", token, b'{"rating":"satisfied"}')
    tap.is_(st, 503, "lost rating: 503")
    st, body = retrying(port, code, "rating", token,
                        b'{"rating":"dissatisfied"}')
    tap.is_((st, json.loads(body).get("error")), (409, "already_rated"),
            "lost rating, then another: 409 already_rated")
    tap.is_(dossier(gw, code).get("rating"), "satisfied", "the first stands")
    tap.is_(rated_today(gw, "satisfied"), 1, "counted once")
    tap.is_(rated_today(gw, "dissatisfied"), 0, "the other not at all")

    log = gw.check_log()
    tap.ok("did not answer within %d ms" % REDIS_TIMEOUT_MS in log,
           "the log names the timeouts")
    tap.ok(log.count("outcome unknown") == 3,
           "the log says each 503 may have been applied (3)")

sys.exit(tap.done())
