#!/usr/bin/python3
"""The demo's citizens paying their fees online: for each dossier in the
seeded file ("CODE TOKEN" per line, as scripts/demo.sh writes it), look it
up every few seconds with its token; when the back-end asked for the fee
(status 6), do what the portal's Pay button does:

  POST /dvc/v1/dossiers/{code}/payment      (the token, no body)
  GET  payment_url                          (the provider: here
                                             examples/vnpay-sim.py, which
                                             calls the gateway's IPN first,
                                             then answers 302 to return_url)

and look the dossier up again: paid, it is back in status 4 with a signed
payment receipt.  One line per payment in the log (code, amount, the
provider's answer, the status after); never a token.  Stops when every
dossier is closed (3, 8, 9, 10) or paid, or after --for seconds.

    demo-citizen.py --gateway URL --seeded FILE [--every S] [--for S]

Debian's python3 only.  Not VNPAY's page: a browser would show the
provider's form, the simulator pays at once.
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request

CLOSED = {3, 8, 9, 10}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(url, method="GET", headers=None, data=None):
    req = urllib.request.Request(url, method=method, headers=headers or {},
                                 data=data)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def lookup(gw, code, token):
    status, body, _ = call("%s/dossiers/%s" % (gw, code),
                           headers={"X-DVC-Lookup-Token": token})
    return json.loads(body) if status == 200 else None


def pay(gw, code, token):
    status, body, _ = call("%s/dossiers/%s/payment" % (gw, code), "POST",
                           {"X-DVC-Lookup-Token": token}, b"")
    if status == 429:
        return None                         # the demo's rate limit: later
    if status != 200:
        return "not paid: the payment endpoint answered %d: %s" % (
            status, body.decode(errors="replace")[:200])
    answer = json.loads(body)
    status, _, headers = call(answer["payment_url"])
    if status != 302:
        return "not paid: the provider answered %d" % status
    back = headers.get("Location", "")
    rsp = "vnp_ResponseCode=00" in back
    d = lookup(gw, code, token)
    paid = d is not None and d.get("payment") is not None and d.get("status_number") == 4
    return "%s %d VND through %s (the provider's answer: %s), status now %s%s" % (
        "paid" if paid else "not paid:", answer["amount"], answer["provider"],
        "paid" if rsp else "not paid", d.get("status_number") if d else "?",
        ", a signed payment receipt on the lookup" if paid else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gateway", required=True, help="the API's base URL")
    ap.add_argument("--seeded", required=True)
    ap.add_argument("--every", type=float, default=2.0)
    ap.add_argument("--for", dest="limit", type=float, default=1800.0)
    a = ap.parse_args()
    gw = a.gateway.rstrip("/")
    with open(a.seeded) as f:
        todo = dict(line.split() for line in f if line.strip())
    paid = set()
    end = time.monotonic() + a.limit
    while todo and time.monotonic() < end:
        for code, token in list(todo.items()):
            try:
                d = lookup(gw, code, token)
            except OSError as e:
                print("citizen: %s: lookup failed: %s" % (code, e), flush=True)
                continue
            if d is None:
                continue
            n = d.get("status_number")
            if n == 6 and code not in paid:
                try:
                    what = pay(gw, code, token)
                except (OSError, ValueError, KeyError) as e:
                    what = "not paid: %s" % e
                if what is None:
                    continue
                print("citizen: %s: %s" % (code, what), flush=True)
                if what.startswith("paid "):
                    paid.add(code)
            elif n in CLOSED:
                del todo[code]
        time.sleep(a.every)
    print("citizen: done, %d dossier(s) paid online" % len(paid), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
