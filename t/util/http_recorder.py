#!/usr/bin/env python3
"""A tiny HTTP server for the tests: records every request and answers as
told.  Stands in for a carrier's SMS gateway or Zalo's ZNS API, which
cannot be reached from here (t/067).

    http_recorder.py PORT LOG [PATH=STATUS:BODY ...]

Each request is one JSON line in LOG: {"method", "path", "headers" (names
lower-cased), "body" (text)}.  A path not given is answered 404.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, LOG = int(sys.argv[1]), sys.argv[2]
ANSWERS = {}
for a in sys.argv[3:]:
    path, _, rest = a.partition("=")
    status, _, body = rest.partition(":")
    ANSWERS[path] = (int(status), body)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({
                "method": self.command, "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body}, ensure_ascii=False) + "\n")
        status, text = ANSWERS.get(self.path.split("?")[0], (404, "no"))
        out = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json"
                         if text.startswith("{") else "text/plain")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
