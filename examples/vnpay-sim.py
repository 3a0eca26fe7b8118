#!/usr/bin/python3
"""A small VNPAY simulator: the provider's side of VNPAY's payment protocol
(API 2.1.0) for the demo and the tests, since the real sandbox cannot be
reached from here.  It does what sandbox.vnpayment.vn does for a merchant:

  GET /paymentv2/vpcpay.html?vnp_...&vnp_SecureHash=...
      checks the payment URL (the parameters once each, vnp_Version 2.1.0,
      vnp_Command pay, our vnp_TmnCode, vnp_SecureHash = HMAC-SHA512 of the
      sorted, PHP-urlencoded parameters with the merchant's secret), "pays"
      at once, calls the merchant's IPN URL with the signed result (before
      the citizen is sent back, as VNPAY may), then answers 302 to
      vnp_ReturnUrl with the same signed parameters.  A URL that fails a
      check gets 400 and no IPN ("Sai chữ ký", VNPAY's code 70).

Controls for tests (not VNPAY's):
  GET /sim/outcome?code=24   the next payments' vnp_ResponseCode (00 paid;
                             24 the citizen cancelled; 51 no funds...)
  GET /sim/last              the last transaction: its IPN parameters and
                             the merchant's answer
  GET /sim/replay            sends the last IPN again; answers the merchant's
                             answer

usage: vnpay-sim.py --port N --tmn CODE --secret-file FILE --ipn URL
"""
import argparse
import datetime
import hashlib
import hmac
import json
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def php_urlencode(s):
    """PHP's urlencode(): what VNPAY's reference code signs."""
    return urllib.parse.quote_plus(s, safe="").replace("~", "%7E")


def sign(secret, params):
    data = "&".join(php_urlencode(k) + "=" + php_urlencode(v)
                    for k, v in sorted(params.items()))
    return data, hmac.new(secret, data.encode(), hashlib.sha512).hexdigest()


class Sim:
    def __init__(self, tmn, secret, ipn):
        self.tmn, self.secret, self.ipn = tmn, secret, ipn
        self.outcome = "00"
        self.seq = 14226000
        self.last = None


def vn_now():
    tz = datetime.timezone(datetime.timedelta(hours=7))
    return datetime.datetime.now(tz).strftime("%Y%m%d%H%M%S")


class Handler(BaseHTTPRequestHandler):
    sim = None

    def log_message(self, fmt, *args):
        sys.stderr.write("vnpay-sim: " + fmt % args + "\n")

    def answer(self, status, body, ctype="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def call_ipn(self, params):
        data, h = sign(self.sim.secret, params)
        url = (self.sim.ipn + "?" + data + "&vnp_SecureHashType=HmacSHA512"
               + "&vnp_SecureHash=" + h)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.loads(r.read().decode())
        except Exception as e:  # the merchant did not answer: VNPAY retries
            return {"error": str(e)}

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        pairs = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
        sim = self.sim

        if u.path == "/sim/outcome":
            sim.outcome = dict(pairs).get("code", "00")
            return self.answer(200, json.dumps({"outcome": sim.outcome}))
        if u.path == "/sim/last":
            return self.answer(200, json.dumps(sim.last))
        if u.path == "/sim/replay":
            if sim.last is None:
                return self.answer(404, "{}")
            return self.answer(200, json.dumps(self.call_ipn(sim.last["ipn"])))
        if u.path != "/paymentv2/vpcpay.html":
            return self.answer(404, "{}")

        names = [k for k, _ in pairs]
        if len(names) != len(set(names)):
            return self.answer(400, "a parameter given twice", "text/plain")
        p = dict(pairs)
        given = p.pop("vnp_SecureHash", "")
        p = {k: v for k, v in p.items() if k.startswith("vnp_")}
        _, want = sign(sim.secret, p)
        problems = []
        if not hmac.compare_digest(given.lower(), want):
            problems.append("Sai chữ ký (70): vnp_SecureHash does not match")
        if p.get("vnp_Version") != "2.1.0" or p.get("vnp_Command") != "pay":
            problems.append("vnp_Version 2.1.0 and vnp_Command pay expected")
        if p.get("vnp_TmnCode") != sim.tmn:
            problems.append("unknown vnp_TmnCode")
        if not p.get("vnp_Amount", "").isdigit() or len(p["vnp_Amount"]) > 12:
            problems.append("vnp_Amount must be 1 to 12 digits")
        for k in ("vnp_CreateDate", "vnp_ExpireDate", "vnp_IpAddr",
                  "vnp_OrderInfo", "vnp_ReturnUrl", "vnp_TxnRef",
                  "vnp_CurrCode", "vnp_Locale", "vnp_OrderType"):
            if not p.get(k):
                problems.append("missing " + k)
        if problems:
            return self.answer(400, "\n".join(problems) + "\n",
                               "text/plain; charset=utf-8")

        sim.seq += 1
        paid = sim.outcome == "00"
        ipn = {
            "vnp_Amount": p["vnp_Amount"],
            "vnp_BankCode": "NCB",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": p["vnp_OrderInfo"],
            "vnp_PayDate": vn_now(),
            "vnp_ResponseCode": sim.outcome,
            "vnp_TmnCode": sim.tmn,
            "vnp_TransactionNo": str(sim.seq) if paid else "0",
            "vnp_TransactionStatus": "00" if paid else "02",
            "vnp_TxnRef": p["vnp_TxnRef"],
        }
        if paid:
            ipn["vnp_BankTranNo"] = "VNP%d" % sim.seq
        # the IPN first: the merchant knows before the citizen is back
        rsp = self.call_ipn(ipn)
        sim.last = {"ipn": ipn, "answer": rsp}
        data, h = sign(sim.secret, ipn)
        back = p["vnp_ReturnUrl"]
        back += ("&" if "?" in back else "?") + data + "&vnp_SecureHash=" + h
        return self.answer(302, "", "text/plain", [("Location", back)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tmn", required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--ipn", required=True, help="the merchant's IPN URL")
    a = ap.parse_args()
    secret = open(a.secret_file, "rb").read().rstrip(b"\r\n ")
    Handler.sim = Sim(a.tmn, secret, a.ipn)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    sys.stderr.write("vnpay-sim: listening on 127.0.0.1:%d\n" % a.port)
    sys.stderr.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
